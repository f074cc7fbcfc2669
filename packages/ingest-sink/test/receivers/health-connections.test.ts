import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_HEALTH_CONNECTIONS, startHealthServer, type HealthServer } from '../../src/receivers/health.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';

const open: Socket[] = [];
let server: HealthServer | undefined;
afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    open.push(s);
  });
}

/** What a GET on `s` gets first: the response's first bytes, or the server closing the connection unanswered. */
function firstAnswer(s: Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n', 1)[0]!));
    s.once('close', () => resolve('closed'));
    s.on('error', () => {});
    s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

describe('health endpoint connections', () => {
  it(`holds at most ${MAX_HEALTH_CONNECTIONS} connections: more are closed unanswered, counted in one throttled log line, and a probe is answered again once they go`, async () => {
    // Unbounded, idle connections to the health port (0.0.0.0:9880 in the
    // operations guide) took the process's file descriptors: the forward
    // receiver's clients were then accepted and closed unanswered by libuv,
    // no counter or log saying so (found by a probe, 400 connections under
    // a 300-descriptor limit).
    const lines: ReceiverLogEntry[] = [];
    server = await startHealthServer('127.0.0.1', 0, async () => ({ status: 'ok' }), (e) => lines.push(e));
    const { port } = server.address;
    for (let i = 0; i < MAX_HEALTH_CONNECTIONS; i++) await connected(port);
    expect(await firstAnswer(await connected(port), '/livez')).toBe('closed');
    expect(await firstAnswer(await connected(port), '/livez')).toBe('closed');
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'refusing health connection', code: 'TOO_MANY_CONNECTIONS', limit: MAX_HEALTH_CONNECTIONS })]);
    const held = open.slice(0, MAX_HEALTH_CONNECTIONS);
    // One of the held connections is still served.
    expect(await firstAnswer(held[0]!, '/livez')).toBe('HTTP/1.1 200 OK');
    await Promise.all(held.map((s) => new Promise((r) => (s.once('close', r), s.destroy()))));
    // The server learns of the closes asynchronously: ask until a new connection is taken.
    let answer = 'closed';
    while (answer === 'closed') answer = await firstAnswer(await connected(port), '/livez');
    expect(answer).toBe('HTTP/1.1 200 OK');
  });
});
