import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebAuthnRouter } from '../src/express.js';
import { webauthnPlugin } from '../src/fastify.js';
import { MemoryChallengeStore, type ChallengeRecord, type WebAuthnHooks } from '../src/index.js';
import { SoftAuthenticator } from '../src/testing/index.js';
import { captureAudit, type AuditCapture } from './support/audit-capture.js';
import { ORIGIN, RP_ID } from './support/harness.js';

/** A challenge store that keeps what it was asked to save. */
class RecordingChallengeStore extends MemoryChallengeStore {
  readonly saved: ChallengeRecord[] = [];
  override save(record: ChallengeRecord): void {
    this.saved.push(record);
    super.save(record);
  }
}

interface Running {
  server: Server;
  hooks: WebAuthnHooks;
  /** Call before sending: resolves when the next request has been answered. */
  answered(): Promise<void>;
  close(): Promise<void>;
}

/** Wires `server` so that `answered()` resolves when the next request is answered (its response ended, whether or not anyone can read it). */
function trackAnswers(server: Server): () => Promise<void> {
  let waiting: (() => void) | undefined;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const resolve = waiting;
      waiting = undefined;
      resolve?.();
      return end(...args);
    }) as typeof res.end;
  });
  return () => new Promise<void>((resolve) => (waiting = resolve));
}

async function startExpress(capture: AuditCapture, challengeStore: MemoryChallengeStore, listenOn: number | string = 0): Promise<Running> {
  const router = createWebAuthnRouter({ audit: capture.audit, rpName: 'Reset Test', rpID: RP_ID, origin: ORIGIN, challengeStore });
  const app = express();
  app.use('/webauthn', router);
  const server = createServer();
  const answered = trackAnswers(server);
  server.on('request', app);
  await new Promise<void>((resolve) => (typeof listenOn === 'string' ? server.listen(listenOn, resolve) : server.listen(listenOn, '127.0.0.1', resolve)));
  return { server, hooks: router.webauthn, answered, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function startFastify(capture: AuditCapture, challengeStore: MemoryChallengeStore): Promise<Running> {
  const app = Fastify();
  await app.register(webauthnPlugin, { audit: capture.audit, rpName: 'Reset Test', rpID: RP_ID, origin: ORIGIN, challengeStore });
  const answered = trackAnswers(app.server);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { server: app.server, hooks: app.webauthn, answered, close: () => app.close() };
}

/** Sends one complete JSON POST and resets the connection (RST) in the same tick, before the server can read anything. */
async function postThenReset(server: Server, path: string, body: unknown): Promise<void> {
  const json = JSON.stringify(body);
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(`POST /webauthn${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  socket.resetAndDestroy();
}

/** A normal JSON POST over the same server (a fresh connection). */
async function post(server: Server, path: string, body: unknown): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webauthn${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

describe.each([
  ['express', startExpress],
  ['fastify', startFastify],
] as const)('%s: a client that resets the connection', (_name, start) => {
  let capture: AuditCapture;
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    await capture?.close();
  });

  it('right after its request, gets no challenge issued: one address cannot fill the store past its per-client quota with challenges of no client (found by a probe)', async () => {
    capture = captureAudit();
    const store = new RecordingChallengeStore();
    running = await start(capture, store);
    for (const path of ['/authentication/options', '/registration/options']) {
      const answered = running.answered();
      await postThenReset(running.server, path, { username: 'mallory' });
      await answered;
    }
    expect(store.saved).toEqual([]);
    // A client that stays gets its challenge, counted against its address.
    expect(await post(running.server, '/authentication/options', {})).toHaveProperty('challenge');
    expect(store.saved.map((r) => r.client)).toEqual(['127.0.0.1']);
  });

  it('right after its request, has its verification refused and audited as such, never verified without its address: no account is created', async () => {
    capture = captureAudit();
    running = await start(capture, new MemoryChallengeStore());
    const auth = new SoftAuthenticator();
    const options = await post(running.server, '/registration/options', { username: 'mallory' });
    const response = auth.register(ORIGIN, options);
    const answered = running.answered();
    await postThenReset(running.server, '/registration/verify', response);
    await answered;
    const { events } = capture.take();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_type: 'WEBAUTHN_REG_FAILURE',
      error: { code: 'WEBAUTHN_CONNECTION_CLOSED' },
      webauthn: { failure_stage: 'malformed_response', credential_id: response.id },
    });
    expect(events[0]).not.toHaveProperty('client_ip');
    expect(await running.hooks.options.users.findByName('mallory')).toBeUndefined();
    expect(await running.hooks.options.credentials.findById(response.id)).toBeUndefined();
  });

  it('halfway through its body has its verification audited once, as a failure, on both adapters alike (Fastify passed the aborted body to the app\'s error handler unaudited)', async () => {
    capture = captureAudit();
    running = await start(capture, new MemoryChallengeStore());
    const auth = new SoftAuthenticator();
    const options = await post(running.server, '/registration/options', { username: 'mallory' });
    const json = JSON.stringify(auth.register(ORIGIN, options));
    const socket = connect((running.server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const answered = running.answered();
    const head = `POST /webauthn/registration/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n`;
    // Headers and half the body, then the body's first bytes are known to have been read before the reset.
    const reading = new Promise<void>((resolve) => running!.server.once('request', (req: IncomingMessage) => req.once('data', () => resolve())));
    socket.write(head + json.slice(0, json.length >> 1));
    await reading;
    socket.resetAndDestroy();
    await answered;
    const { events } = capture.take();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: 'WEBAUTHN_REG_FAILURE', webauthn: { failure_stage: 'malformed_response' } });
    expect(await running.hooks.options.users.findByName('mallory')).toBeUndefined();
  });
  it('halfway through its body is audited with the address it came from: the peer was known when the request arrived (found by a probe)', async () => {
    capture = captureAudit();
    running = await start(capture, new MemoryChallengeStore());
    const json = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } });
    for (const ending of ['reset', 'half-close'] as const) {
      const socket = connect((running.server.address() as AddressInfo).port, '127.0.0.1');
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      const answered = running.answered();
      const reading = new Promise<void>((resolve) => running!.server.once('request', (req: IncomingMessage) => req.once('data', () => resolve())));
      socket.write(`POST /webauthn/authentication/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json.slice(0, 20)}`);
      await reading;
      if (ending === 'reset') socket.resetAndDestroy();
      else socket.end();
      await answered;
      const { events } = capture.take();
      expect(events, ending).toHaveLength(1);
      // Before: no client_ip (WEBAUTHN_CONNECTION_CLOSED), so a client could send failures no address was recorded for.
      expect(events[0], ending).toMatchObject({
        event_type: 'WEBAUTHN_AUTH_FAILURE',
        client_ip: '127.0.0.1',
        peer_ip: '127.0.0.1',
        error: { code: 'WEBAUTHN_MALFORMED_RESPONSE' },
        webauthn: { failure_stage: 'malformed_response' },
      });
      socket.destroy();
    }
  });
});

describe('a server on a Unix socket (behind a local proxy) has no peer address and is still served', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('issues challenges and audits verifications without client_ip, as before', async () => {
    dir = await mkdtemp(join(tmpdir(), 'webauthn-uds-'));
    const capture = captureAudit();
    const store = new RecordingChallengeStore();
    const running = await startExpress(capture, store, join(dir, 'http.sock'));
    const call = (path: string, body: unknown) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request({ socketPath: join(dir!, 'http.sock'), path: `/webauthn${path}`, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.on('error', reject).end(JSON.stringify(body));
      });
    expect((await call('/authentication/options', {})).body).toHaveProperty('challenge');
    expect(store.saved).toHaveLength(1);
    expect(await call('/authentication/verify', {})).toEqual({ status: 401, body: { verified: false, error: 'WEBAUTHN_MALFORMED_RESPONSE' } });
    expect(capture.take().events).toMatchObject([{ event_type: 'WEBAUTHN_AUTH_FAILURE', error: { code: 'WEBAUTHN_MALFORMED_RESPONSE' } }]);
    await running.close();
    await capture.close();
  });
});
