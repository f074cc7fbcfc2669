import { connect } from 'node:net';
import { decodeMulti, encode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator, type Sink } from '../../src/index.js';
import { newCounters } from '../../src/receivers/counters.js';
import { DEFAULT_TAG_TEMPLATE } from '../../src/receivers/defaults.js';
import type { ForwardServerOptions } from '../../src/receivers/forward/options.js';
import { startForwardServer } from '../../src/receivers/forward/server.js';
import { RecordNormalizer } from '../../src/normalize/record.js';
import type { ReceiverLog, ReceiverLogEntry } from '../../src/receivers/types.js';
import { RecordingSink } from './helpers/recording-sink.js';
import { makeTestCerts } from './helpers/tls-certs.js';
import { makeLine } from './helpers/events.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { RawClient } from './helpers/raw-client.js';
import { readEvents, sqliteSink, tempDir } from './helpers/real-sink.js';

const until = async (what: string, ok: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** An aggregator on a real SQLite sink, forward port only. */
async function start(limits: Record<string, number> = {}): Promise<{ agg: Aggregator; file: string; sink: Sink }> {
  const tmp = tempDir();
  const { sink, file } = await sqliteSink(tmp.dir);
  const agg = await startAggregator({ sink, forward: { port: 0, limits } });
  cleanups.push(async () => {
    await agg.close();
    await sink.close();
    tmp.remove();
  });
  return { agg, file, sink };
}

/** The forward server alone on `sink` (a stand-in where a test must hold a write open); closed after the test unless `autoClose` is false. */
async function forwardServerOn(sink: RecordingSink, options: Omit<ForwardServerOptions, 'port'>, autoClose = true, log: ReceiverLog = () => {}) {
  const counters = newCounters();
  const normalizer = new RecordNormalizer({ tagTemplate: DEFAULT_TAG_TEMPLATE, partials: { maxLineBytes: 1 << 20, maxOpen: 100, maxOpenBytes: 1 << 30, maxAgeMs: 60_000 } }, counters);
  const server = await startForwardServer({ port: 0, ...options }, { sink, counters, normalizer, log });
  if (autoClose) cleanups.push(() => server.close());
  return { server, counters };
}

describe('forward receiver: socket edge cases (real SQLite sink, real sockets)', () => {
  it('logs connections closed because the sink cannot store once per 10 s with how many were not logged, not one line each (a full spool disk flooded the log; found by a probe)', async () => {
    const sink = new RecordingSink();
    sink.fail = true;
    const logs: ReceiverLogEntry[] = [];
    const { server, counters } = await forwardServerOn(sink, {}, false, (e) => logs.push(e));
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.open(server.address.port);
      c.socket.write(dockerMessage('swarm.audit.n1.api.t1', 1_700_000_000, dockerRecord(makeLine(i)), `chunk-${i}`));
      await c.waitClosed();
    }
    expect(counters.sinkFailures).toBe(5);
    const closing = () => logs.filter((e) => e.msg === 'closing forward connection');
    expect(closing()).toEqual([expect.objectContaining({ level: 'warn', code: 'SINK_FAILED', reason: 'sink could not store the request: sink unavailable' })]);
    await server.close();
    // At close, the count of those not logged.
    expect(closing().at(-1)).toMatchObject({ level: 'warn', notLogged: 4 });
  });

  it('still closes an idle connection after its idle timeout fired while a request was being stored', async () => {
    // A sink whose write() is held open, so the request stays in flight past the idle timeout.
    const sink = new RecordingSink();
    let release!: () => void;
    sink.gate = new Promise<void>((r) => (release = r));
    // 1 s, not less: with the test files running in parallel, an event loop held up
    // past the timeout runs the timer before it reads the request that arrived meanwhile.
    const { server, counters } = await forwardServerOn(sink, { limits: { idleTimeoutMs: 1000 } });
    const c = await RawClient.open(server.address.port);
    cleanups.push(() => void c.socket.destroy());
    // No chunk: no ack, so nothing is written to the socket once the request is stored.
    c.socket.write(dockerMessage('swarm.audit.n1.api.t1', 1_700_000_000, dockerRecord(makeLine(1))));
    await until('the request to reach the sink', () => sink.writes === 1);
    await new Promise((r) => setTimeout(r, 1800)); // past the idle timeout, the request still in flight
    expect(c.closed).toBe(false);
    release();
    await c.waitClosed();
    expect(sink.items).toHaveLength(1);
    // The server ended its side; its own 'close' comes once the client's FIN
    // arrives, which may be after the client saw its socket close.
    await until('the server to count the connection closed', () => counters.activeConnections === 0);
  });

  it('stops reading a peer that leaves more than 1 MiB of acks unread, and serves it again once it reads them', async () => {
    const sink = new RecordingSink();
    const { server } = await forwardServerOn(sink, {});
    const socket = connect({ port: server.address.port, host: '127.0.0.1' });
    cleanups.push(() => void socket.destroy());
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.pause(); // reads nothing: the acks pile up in the kernel, then in the server's socket
    // 60 000 requests asking for acks with 256-byte chunk ids: ~16 MB of acks, more than
    // loopback's socket buffers hold. Without the limit the server would read them all and
    // keep every ack in its memory.
    const N = 60_000;
    const line = makeLine(7);
    const chunkId = (i: number) => String(i).padStart(256, '0');
    const frames: Buffer[] = [];
    for (let i = 0; i < N; i++) frames.push(dockerMessage('swarm.audit.n1.api.t1', 1_700_000_000, dockerRecord(line), chunkId(i)));
    socket.write(Buffer.concat(frames));
    // Let the server read until it stops: no new request stored for a second.
    let seen = -1;
    while (sink.items.length !== seen) {
      seen = sink.items.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(N);
    expect(socket.writableLength).toBeGreaterThan(0); // our requests wait, unread by the server
    // Reading the acks lets the server go on, to the last request.
    let acks = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (acks = Buffer.concat([acks, d])));
    socket.resume();
    await until('every request stored', () => sink.items.length === N, 60_000);
    // Every ack is the same size ({ ack: <256-character id> }, 264 bytes): wait for all of their bytes.
    const ackBytes = encode({ ack: chunkId(0) }).length;
    await until('every ack read', () => acks.length >= N * ackBytes, 60_000);
    const decoded = [...decodeMulti(acks)] as { ack: string }[];
    expect(decoded).toHaveLength(N);
    expect(decoded[0]!.ack).toBe(chunkId(0));
    expect(decoded[N - 1]!.ack).toBe(chunkId(N - 1));
  }, 120_000);

  it('acks a request whose sender half-closed its side after sending it, and counts only acks it wrote', async () => {
    const { agg, file, sink } = await start();
    const socket = connect({ port: agg.forward.port, host: '127.0.0.1', allowHalfOpen: true });
    cleanups.push(() => void socket.destroy());
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    const ended = new Promise<void>((r) => socket.on('end', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(dockerMessage('swarm.audit.n1.api.t1', 1_700_000_000, dockerRecord(makeLine(2)), 'chunk-1'));
    socket.end(); // shutdown(SHUT_WR): nc and socat senders do this, and still read
    await ended;
    expect([...decodeMulti(received)]).toEqual([{ ack: 'chunk-1' }]);
    expect(agg.counters.forward.acks).toBe(1);
    await sink.flush();
    expect(readEvents(file)).toHaveLength(1);
  });

  it('refuses a chunk id longer than 256 bytes (it would be echoed in every ack): no ack, nothing stored, BAD_REQUEST', async () => {
    const { agg, file, sink } = await start();
    const c = await RawClient.open(agg.forward.port);
    c.socket.write(dockerMessage('swarm.audit.n1.api.t1', 1_700_000_000, dockerRecord(makeLine(3)), 'c'.repeat(257)));
    await c.waitClosed();
    expect(c.received.length).toBe(0);
    expect(agg.counters.forward.badFramesByCode).toMatchObject({ BAD_REQUEST: 1 });
    await sink.flush();
    expect(readEvents(file)).toHaveLength(0);
    // 256 bytes is still fine.
    const ok = await RawClient.open(agg.forward.port);
    cleanups.push(() => void ok.socket.destroy());
    ok.socket.write(dockerMessage('swarm.audit.n1.api.t1', 1_700_000_000, dockerRecord(makeLine(4)), 'c'.repeat(256)));
    await until('the ack', () => ok.received.length > 256);
    expect([...decodeMulti(ok.received)]).toEqual([{ ack: 'c'.repeat(256) }]);
  });

  it('takes records whose maps have keys that are not strings (msgpack allows any; Fluentd passes them on): the chunk is acked and its audit events stored', async () => {
    const { agg, file, sink } = await start();
    const c = await RawClient.open(agg.forward.port);
    cleanups.push(() => void c.socket.destroy());
    // A Forward-mode chunk as a Fluentd agent relays it: an app's {404: "not found", nil: 1, log: ...}
    // (Python or Ruby fluent-logger) between two Docker driver records holding audit lines.
    const oddKeys = Buffer.concat([Buffer.from([0x83, 0xcd, 0x01, 0x94]), encode('not found'), Buffer.from([0xc0, 0x01]), encode('log'), encode(makeLine(11))]);
    const entry = (record: Buffer) => Buffer.concat([Buffer.from([0x92]), encode(1_700_000_000), record]);
    c.socket.write(
      Buffer.concat([
        Buffer.from([0x93]),
        encode('swarm.audit.n1.api.t1'),
        Buffer.from([0x93]),
        entry(Buffer.from(encode(dockerRecord(makeLine(10))))),
        entry(oddKeys),
        entry(Buffer.from(encode(dockerRecord(makeLine(12))))),
        encode({ chunk: 'odd-keys' }),
      ]),
    );
    await until('the ack', () => c.received.length > 0 || c.closed);
    expect([...decodeMulti(c.received)]).toEqual([{ ack: 'odd-keys' }]);
    await sink.flush();
    expect(readEvents(file).map((e) => JSON.parse(e.event_json).user_id)).toEqual(['user-10', 'user-11', 'user-12']);
    expect(agg.counters.forward.badFrames).toBe(0);
  });

  it('with TLS, counts connections still in their handshake against maxConnections, and close() does not wait for them', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.remove());
    const certs = makeTestCerts(tmp.dir);
    const { server, counters } = await forwardServerOn(new RecordingSink(), { tls: { cert: certs.serverCert, key: certs.serverKey }, limits: { maxConnections: 2 } }, false);
    // TCP connected, no ClientHello: stuck or slow clients.
    const idle = await Promise.all(Array.from({ length: 4 }, () => RawClient.open(server.address.port)));
    cleanups.push(() => idle.forEach((c) => c.socket.destroy()));
    await until('the connections over the limit to be refused', () => idle.filter((c) => c.closed).length === 2);
    expect(counters.refusedConnections).toBe(2);
    // Not a speed check: close() either finishes or hangs until Node's 120 s handshake timeout.
    const outcome = await Promise.race([server.close().then(() => 'closed'), new Promise((r) => setTimeout(r, 15_000, 'hung'))]);
    expect(outcome).toBe('closed');
    await until('the idle clients to be closed', () => idle.every((c) => c.closed));
  });
});
