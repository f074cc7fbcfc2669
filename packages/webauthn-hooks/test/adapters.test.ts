import { afterEach, describe, expect, it } from 'vitest';
import { captureAudit, type AuditCapture } from './support/audit-capture.js';
import { SoftAuthenticator } from '../src/testing/index.js';
import { ORIGIN, RP_ID } from './support/harness.js';
import { post, startExpress, startFastify, type RunningServer } from './support/servers.js';
import { flipSignatureByte } from '../src/testing/index.js';
import { MemoryUserStore } from '../src/index.js';

const ADAPTERS = [
  ['express', startExpress],
  ['fastify', startFastify],
] as const;

describe.each(ADAPTERS)('%s adapter: the four routes over real sockets', (name, start) => {
  let server: RunningServer | undefined;
  let capture: AuditCapture;
  afterEach(async () => {
    await server?.close();
    await capture?.close();
  });

  async function boot(trustedProxies: string[] = [], appTrustsAllProxies = false) {
    capture = captureAudit({ signed: true });
    server = await start({ audit: capture.audit, rpName: 'Adapter Test', rpID: RP_ID, origin: ORIGIN, trustedProxies }, appTrustsAllProxies);
    return server;
  }

  async function register(s: RunningServer, auth: SoftAuthenticator, username: string, headers: Record<string, string> = {}) {
    const options = await post(`${s.base}/registration/options`, { username });
    expect(options.status).toBe(200);
    return post(`${s.base}/registration/verify`, auth.register(ORIGIN, options.body), headers);
  }

  async function signIn(s: RunningServer, auth: SoftAuthenticator, username: string, headers: Record<string, string> = {}, tamper = (r: any) => r) {
    const options = await post(`${s.base}/authentication/options`, { username });
    expect(options.status).toBe(200);
    return post(`${s.base}/authentication/verify`, tamper(auth.signIn(ORIGIN, options.body)), headers);
  }

  it('stores each challenge with the client address the options request came from, so the store can bound challenges per client', async () => {
    const s = await boot(['loopback']);
    const forwarded = await post(`${s.base}/authentication/options`, {}, { 'x-forwarded-for': '198.51.100.23' });
    const direct = await post(`${s.base}/registration/options`, { username: 'carol' });
    const store = s.hooks.options.challenges;
    expect(store.take(forwarded.body.challenge, Date.now())).toMatchObject({ status: 'ok', record: { client: '198.51.100.23' } });
    expect(store.take(direct.body.challenge, Date.now())).toMatchObject({ status: 'ok', record: { client: '127.0.0.1' } });
  });

  it('registers and signs in; each verification writes one event with client_ip, peer_ip and user agent', async () => {
    const s = await boot();
    const auth = new SoftAuthenticator();
    const reg = await register(s, auth, 'alice');
    expect(reg).toMatchObject({ status: 200, body: { verified: true, user: { name: 'alice' } } });
    const login = await signIn(s, auth, 'alice');
    expect(login).toMatchObject({ status: 200, body: { verified: true, user: { id: reg.body.user.id } } });
    const events = capture.ceremonyEvents();
    expect(events.map((e) => e.event_type)).toEqual(['WEBAUTHN_REG_SUCCESS', 'WEBAUTHN_AUTH_SUCCESS']);
    for (const e of events) {
      expect(e).toMatchObject({ user_id: reg.body.user.id, client_ip: '127.0.0.1', client_ip_source: 'socket', peer_ip: '127.0.0.1', user_agent: 'adapter-test/1.0' });
    }
    expect(s.verified.map((v) => v.user.name)).toEqual(['alice', 'alice']);
    // The real logger signs its chain: the ceremony lines carry per-event integrity.
    expect(capture.events()[0]!.event_type).toBe('AUDIT_CHAIN_OPEN');
    for (const e of events) expect(e.integrity).toMatchObject({ v: 1, alg: 'HMAC-SHA256', kid: 'test' });
  });

  it('stores a User-Agent sent as UTF-8 as the text it is, and one in latin1 as latin1 (Node reads header bytes as latin1: it was mojibake with its 0x80-0x9F bytes dropped; found by a probe)', async () => {
    const s = await boot();
    // fetch sends a header string's characters as bytes: these are the UTF-8 bytes of the text.
    const utf8 = Buffer.from('Mozilla/5.0 (日本語; Überall)').toString('latin1');
    await post(`${s.base}/authentication/verify`, {}, { 'user-agent': utf8 });
    await post(`${s.base}/authentication/verify`, {}, { 'user-agent': 'caf\u00e9/1.0' });
    expect(capture.ceremonyEvents().map((e) => e.user_agent)).toEqual(['Mozilla/5.0 (日本語; Überall)', 'caf\u00e9/1.0']);
  });

  it('a client not behind a trusted proxy cannot spoof client_ip with X-Forwarded-For, even if the app trusts all proxies', async () => {
    const s = await boot([], true);
    const auth = new SoftAuthenticator();
    await register(s, auth, 'alice', { 'x-forwarded-for': '6.6.6.6' });
    await signIn(s, auth, 'alice', { 'x-forwarded-for': '6.6.6.6, 7.7.7.7' });
    for (const e of capture.ceremonyEvents()) {
      expect(e).toMatchObject({ client_ip: '127.0.0.1', client_ip_source: 'socket', peer_ip: '127.0.0.1' });
    }
  });

  it('through a trusted proxy the hop it appended is client_ip; the client-supplied left part is ignored', async () => {
    const s = await boot(['loopback']);
    const auth = new SoftAuthenticator();
    await register(s, auth, 'alice', { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' });
    const [event] = capture.ceremonyEvents();
    expect(event).toMatchObject({ client_ip: '198.51.100.9', client_ip_source: 'x-forwarded-for', peer_ip: '127.0.0.1' });
  });

  it('a bad signature answers 401 with the code only and writes one WEBAUTHN_AUTH_FAILURE', async () => {
    const s = await boot();
    const auth = new SoftAuthenticator();
    const reg = await register(s, auth, 'alice');
    capture.take();
    const res = await signIn(s, auth, 'alice', {}, flipSignatureByte);
    expect(res).toEqual({ status: 401, body: { verified: false, error: 'WEBAUTHN_SIGNATURE_INVALID' } });
    const { events } = capture.take();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: reg.body.user.id, webauthn: { failure_stage: 'signature' } });
  });

  it('a body that is not JSON is still an audited verification failure; usage mistakes answer 400/409', async () => {
    const s = await boot();
    expect(await post(`${s.base}/registration/verify`, '{not json')).toEqual({
      status: 400,
      body: { verified: false, error: 'WEBAUTHN_MALFORMED_RESPONSE' },
    });
    // Not application/json: refused before it is read (see cross-site.test.ts), audited at the same stage.
    expect(await post(`${s.base}/authentication/verify`, 'garbage', { 'content-type': 'text/plain' })).toEqual({
      status: 415,
      body: { verified: false, error: 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE' },
    });
    expect(capture.take().events.map((e) => ('webauthn' in e ? e.webauthn.failure_stage : undefined))).toEqual(['malformed_response', 'malformed_response']);
    expect((await post(`${s.base}/registration/options`, {})).status).toBe(400);
    await register(s, new SoftAuthenticator(), 'alice');
    expect(await post(`${s.base}/registration/options`, { username: 'alice' })).toMatchObject({
      status: 409,
      body: { error: 'WEBAUTHN_HOOKS_USERNAME_TAKEN' },
    });
  });

  it('a closed audit logger: the verification fails closed with a clean JSON 503, no stack trace and no user stored', async () => {
    const s = await boot();
    const auth = new SoftAuthenticator();
    const options = await post(`${s.base}/registration/options`, { username: 'alice' });
    expect(options.status).toBe(200);
    await capture.close(); // the real logger: emit() now throws AuditClosedError (AUDIT_LOGGER_CLOSED)
    const res = await fetch(`${s.base}/registration/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(auth.register(ORIGIN, options.body)),
    });
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toEqual({ verified: false, error: 'WEBAUTHN_HOOKS_UNAVAILABLE' });
    expect(text).not.toMatch(/AuditClosedError|audit logger is closed|\bat /);
    expect(await s.hooks.options.users.findByName('alice')).toBeUndefined();
    // A bad body still gets the same answer: the failure cannot be audited either.
    expect(await post(`${s.base}/authentication/verify`, '{not json')).toEqual({ status: 503, body: { verified: false, error: 'WEBAUTHN_HOOKS_UNAVAILABLE' } });
  });

  it('a store that throws answers a clean JSON 500 on every route, without the error or its stack', async () => {
    capture = captureAudit();
    const failing = new MemoryUserStore();
    failing.findByName = () => {
      throw new Error('connect ECONNREFUSED 10.9.9.9:5432 "secret-dsn"');
    };
    server = await start({ audit: capture.audit, rpName: 'x', rpID: RP_ID, origin: ORIGIN, userStore: failing });
    const reg = await fetch(`${server.base}/registration/options`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"alice"}' });
    const text = await reg.text();
    expect(reg.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: 'WEBAUTHN_HOOKS_INTERNAL_ERROR', message: 'internal error' });
    expect(text).not.toMatch(/ECONNREFUSED|secret-dsn|\bat /);
    expect(await post(`${server.base}/authentication/options`, { username: 'alice' })).toEqual({
      status: 500,
      body: { error: 'WEBAUTHN_HOOKS_INTERNAL_ERROR', message: 'internal error' },
    });
  });

  it('too large (413), an unknown charset or a content encoding (415): one malformed_response event each, the status kept, no error page', async () => {
    capture = captureAudit();
    server = await start({ audit: capture.audit, rpName: 'x', rpID: RP_ID, origin: ORIGIN, bodyLimit: 1024 });
    const big = { id: 'x'.repeat(2000), response: {} };
    expect(await post(`${server.base}/authentication/verify`, big)).toEqual({ status: 413, body: { verified: false, error: 'WEBAUTHN_MALFORMED_RESPONSE' } });
    expect(await post(`${server.base}/registration/verify`, big)).toEqual({ status: 413, body: { verified: false, error: 'WEBAUTHN_MALFORMED_RESPONSE' } });
    expect(await post(`${server.base}/authentication/verify`, '{}', { 'content-type': 'application/json; charset=klingon' })).toMatchObject({ status: 415, body: { error: 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE' } });
    expect(await post(`${server.base}/authentication/verify`, 'not gzip', { 'content-encoding': 'gzip' })).toMatchObject({ status: 415, body: { error: 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE' } });
    const expected = ['WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_REG_FAILURE', 'WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_AUTH_FAILURE'];
    const events = capture.take().events;
    expect(events.map((e) => e.event_type)).toEqual(expected);
    expect(events.map((e) => ('webauthn' in e ? e.webauthn.failure_stage : undefined))).toEqual(expected.map(() => 'malformed_response'));
    // An options request with an unreadable body just gets the status (options are not audited).
    expect(await post(`${server.base}/authentication/options`, big)).toMatchObject({ status: 413, body: { error: 'WEBAUTHN_HOOKS_BAD_REQUEST' } });
    expect(capture.take().events).toEqual([]);
  });
});

describe('express adapter behind an app-wide express.json()', () => {
  it('takes the body the app already parsed', async () => {
    const { default: express } = await import('express');
    const { createWebAuthnRouter } = await import('../src/express.js');
    const capture = captureAudit();
    const app = express();
    app.use(express.json());
    app.use('/webauthn', createWebAuthnRouter({ audit: capture.audit, rpName: 'x', rpID: RP_ID, origin: ORIGIN }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/webauthn`;
      const auth = new SoftAuthenticator();
      const options = await post(`${base}/registration/options`, { username: 'alice' });
      expect(options.status).toBe(200);
      const verify = await post(`${base}/registration/verify`, auth.register(ORIGIN, options.body));
      expect(verify).toMatchObject({ status: 200, body: { verified: true } });
      expect(capture.ceremonyEvents().map((e) => e.event_type)).toEqual(['WEBAUTHN_REG_SUCCESS']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await capture.close();
    }
  });
});

describe('onVerified that answers the request itself', () => {
  it('is not answered a second time (Express and Fastify)', async () => {
    const { default: express } = await import('express');
    const { default: Fastify } = await import('fastify');
    const { createWebAuthnRouter } = await import('../src/express.js');
    const { webauthnPlugin } = await import('../src/fastify.js');
    const capture = captureAudit();
    const base = { audit: capture.audit, rpName: 'x', rpID: RP_ID, origin: ORIGIN };
    const errors: unknown[] = [];
    const app = express();
    app.use('/webauthn', createWebAuthnRouter({ ...base, onVerified: (_r, _req, res) => void res.status(303).set('location', '/home').end() }));
    app.use((err: unknown, _req: unknown, res: { status(n: number): { end(): void } }, _next: unknown) => (errors.push(err), res.status(500).end()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const fastify = Fastify();
    await fastify.register(webauthnPlugin, { ...base, onVerified: async (_r, _req, reply) => void (await reply.code(303).header('location', '/home').send()) });
    fastify.addHook('onError', async (_req, _reply, err) => void errors.push(err));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (const url of [`http://127.0.0.1:${(server.address() as { port: number }).port}/webauthn`, `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}/webauthn`]) {
        const options = await post(`${url}/registration/options`, { username: 'alice' });
        const res = await fetch(`${url}/registration/verify`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify(new SoftAuthenticator().register(ORIGIN, options.body)) });
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/home');
      }
      expect(errors).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await fastify.close();
      await capture.close();
    }
  });
});
