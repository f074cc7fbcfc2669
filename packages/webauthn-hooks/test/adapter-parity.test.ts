import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../src/testing/index.js';
import { captureAudit, type AuditCapture } from './support/audit-capture.js';
import { ORIGIN, RP_ID } from './support/harness.js';
import { post, startExpress, startFastify, type RunningServer } from './support/servers.js';

const ADAPTERS = [
  ['express', startExpress],
  ['fastify', startFastify],
] as const;

/** A POST with exactly these bytes and headers (fetch would not send a gzip body with its own framing). */
function rawPost(url: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(ADAPTERS)('%s adapter reads a request as the other does (found by a probe)', (_name, start) => {
  let server: RunningServer | undefined;
  let capture: AuditCapture;
  afterEach(async () => {
    await server?.close();
    await capture?.close();
  });

  async function bootWithAlice() {
    capture = captureAudit();
    server = await start({ audit: capture.audit, rpName: 'Parity Test', rpID: RP_ID, origin: ORIGIN });
    const auth = new SoftAuthenticator();
    const ro = await post(`${server.base}/registration/options`, { username: 'alice' });
    expect((await post(`${server.base}/registration/verify`, auth.register(ORIGIN, ro.body))).status).toBe(200);
    capture.take();
    const assertion = async () => {
      const ao = await post(`${server!.base}/authentication/options`, { username: 'alice' });
      return JSON.stringify(auth.signIn(ORIGIN, ao.body));
    };
    return { s: server, assertion };
  }

  it('a UTF-8 byte order mark is ignored (RFC 8259 §8.1): the sign-in succeeds', async () => {
    const { s, assertion } = await bootWithAlice();
    const res = await rawPost(`${s.base}/authentication/verify`, `\uFEFF${await assertion()}`, { 'content-type': 'application/json' });
    expect(res).toMatchObject({ status: 200, body: { verified: true } });
    expect(capture.take().events.map((e) => e.event_type)).toEqual(['WEBAUTHN_AUTH_SUCCESS']);
  });

  it('a gzip body, or a charset other than UTF-8, is refused with 415 and audited, never verified', async () => {
    const { s, assertion } = await bootWithAlice();
    const gzip = await rawPost(`${s.base}/authentication/verify`, gzipSync(await assertion()), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const utf16 = await rawPost(`${s.base}/authentication/verify`, Buffer.from(await assertion(), 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' });
    for (const res of [gzip, utf16]) expect(res).toEqual({ status: 415, body: { verified: false, error: 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE' } });
    const events = capture.take().events;
    expect(events.map((e) => [e.event_type, 'webauthn' in e ? e.webauthn.failure_stage : undefined])).toEqual([
      ['WEBAUTHN_AUTH_FAILURE', 'malformed_response'],
      ['WEBAUTHN_AUTH_FAILURE', 'malformed_response'],
    ]);
    expect(events[0]!.error?.message).toBe('request refused: Content-Encoding is not identity');
    expect(s.verified).toHaveLength(1); // alice's registration only
  });

  it('every event carries a request id of its own in correlation.request_id; a client\'s X-Request-Id is not taken', async () => {
    const { s, assertion } = await bootWithAlice();
    await post(`${s.base}/authentication/verify`, await assertion(), { 'x-request-id': 'chosen-by-client' });
    await post(`${s.base}/authentication/verify`, '{not json');
    const ids = capture.take().events.map((e) => e.correlation?.request_id);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(new Set(ids).size).toBe(2);
    expect(ids).not.toContain('chosen-by-client');
  });

  it('serves the four paths exactly as written: another case or a trailing slash is a 404 with no event, as on Fastify (Express\'s router matched them and audited them; found by a probe)', async () => {
    const { s } = await bootWithAlice();
    for (const path of ['/Authentication/Verify', '/authentication/verify/', '/REGISTRATION/options']) {
      const res = await fetch(`${s.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status, path).toBe(404);
    }
    expect(capture.take().events).toEqual([]);
  });
});

describe('express adapter behind a logging middleware', () => {
  it('takes the request id the middleware set on req.id (as pino-http does), so the audit line meets its log lines', async () => {
    const { default: express } = await import('express');
    const { createWebAuthnRouter } = await import('../src/express.js');
    const capture = captureAudit();
    const app = express();
    app.use((req, _res, next) => {
      (req as { id?: unknown }).id = 42;
      next();
    });
    app.use('/webauthn', createWebAuthnRouter({ audit: capture.audit, rpName: 'x', rpID: RP_ID, origin: ORIGIN }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    await post(`http://127.0.0.1:${port}/webauthn/authentication/verify`, '{}');
    expect(capture.take().events.map((e) => e.correlation?.request_id)).toEqual(['42']);
    await new Promise((resolve) => server.close(resolve));
    await capture.close();
  });
});
