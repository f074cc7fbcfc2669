import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { newCounters } from '../../src/receivers/counters.js';
import { startSyslogServer } from '../../src/receivers/syslog/server.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';
import { makeLine } from './helpers/events.js';
import { RawClient } from './helpers/raw-client.js';
import { RecordingSink } from './helpers/recording-sink.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean) {
  for (let i = 0; i < 1000 && !cond(); i++) await sleep(10);
}
const message = (i: number) => `<14>1 2024-01-01T00:00:00Z host app - - - ${makeLine(i)}\n`;

/** A server on a sink whose writes wait until `release()`: four of them pause the connection (TCP backpressure). */
async function gatedServer(options: { closeTimeoutMs: number }) {
  const sink = new RecordingSink();
  let release!: () => void;
  sink.gate = new Promise<void>((r) => (release = r));
  const counters = newCounters();
  const logs: ReceiverLogEntry[] = [];
  const srv = await startSyslogServer({ port: 0, ...options }, { sink, counters, log: (e) => logs.push(e) });
  return { sink, counters, logs, srv, release };
}

/** Sends messages 0-3 in separate reads, each starting a sink write, so the connection is paused after them. */
async function fillUntilPaused(c: RawClient, sink: RecordingSink) {
  for (let i = 0; i < 4; i++) {
    c.socket.write(message(i));
    await until(() => sink.writes === i + 1);
  }
  expect(sink.writes).toBe(4);
}

describe('syslog receiver: close() while connections are paused for backpressure', () => {
  let release: (() => void) | undefined;
  afterEach(() => release?.());

  it('close() stores every message a paused connection sent before its FIN, even when the sink takes longer than 2 s', async () => {
    const s = await gatedServer({ closeTimeoutMs: 60_000 });
    release = s.release;
    const c = await RawClient.open(s.srv.address.port);
    await fillUntilPaused(c, s.sink);
    for (let i = 4; i < 12; i++) c.socket.write(message(i));
    c.socket.end();
    const closing = s.srv.close();
    // Longer than the 2 s after which close() used to destroy the unread connection.
    await sleep(2_500);
    s.release();
    await closing;
    expect(s.sink.items.length).toBe(12);
    expect(s.counters.accepted).toBe(12);
    expect(s.counters.badFrames).toBe(0);
  });

  it('at the close deadline, counts and logs the messages read but not stored (SERVER_BUSY) and the cut one (REQUEST_TRUNCATED)', async () => {
    const s = await gatedServer({ closeTimeoutMs: 500 });
    release = s.release;
    const c = await RawClient.open(s.srv.address.port);
    await fillUntilPaused(c, s.sink);
    let rest = '';
    for (let i = 4; i < 12; i++) rest += message(i);
    c.socket.write(`${rest}<14>1 - - app - - - cut short`);
    await sleep(200);
    const closing = s.srv.close();
    await until(() => s.logs.some((e) => /close deadline/.test(e.msg)));
    s.release();
    await closing;
    const entry = s.logs.find((e) => /close deadline/.test(e.msg));
    expect(entry).toMatchObject({ level: 'warn', code: 'SERVER_BUSY', frames: 8, partialBytes: Buffer.byteLength('<14>1 - - app - - - cut short') });
    expect(JSON.stringify(entry)).not.toContain('user-');
    expect(s.counters.badFramesByCode).toEqual({ SERVER_BUSY: 8, REQUEST_TRUNCATED: 1 });
    expect(s.sink.items.length).toBe(4);
    expect(c.closed || (await c.waitClosed().then(() => true))).toBe(true);
  });

  it('close() does not wait for the deadline on an idle connection whose sender keeps it open', async () => {
    const s = await gatedServer({ closeTimeoutMs: 60_000 });
    s.release();
    // allowHalfOpen: the client does not answer our FIN with its own, as an idle rsyslog would not.
    const sock = connect({ port: s.srv.address.port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.on('error', () => {});
    sock.write(message(1));
    await until(() => s.counters.accepted === 1);
    const t0 = Date.now();
    await s.srv.close();
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(s.counters.activeConnections).toBe(0);
    sock.destroy();
  });
});
