import { FluentClient, type EventModes } from '@fluent-org/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/receivers/aggregator.js';
import { makeEvent } from './helpers/events.js';
import { makeTestCerts, type TestCerts } from './helpers/tls-certs.js';
import { readEvents, readRejects, sqliteSink, tempDir } from './helpers/real-sink.js';

type Sink = Awaited<ReturnType<typeof sqliteSink>>['sink'];

/** Sends `n` events with ack through a real @fluent-org/logger client and disconnects. */
async function send(client: FluentClient, n: number, label = 'audit') {
  const events = Array.from({ length: n }, (_, i) => makeEvent(i));
  await client.connect();
  await Promise.all(events.map((e) => client.emit(label, e as unknown as Record<string, unknown>)));
  await client.disconnect();
  return events.map((e) => e.event_id);
}

async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('interop: @fluent-org/logger FluentClient -> forward receiver -> real SQLite sink', () => {
  let tmp: ReturnType<typeof tempDir>;
  let sink: Sink;
  let file: string;
  let certs: TestCerts;
  const aggs: Aggregator[] = [];

  beforeAll(async () => {
    tmp = tempDir();
    ({ sink, file } = await sqliteSink(tmp.dir));
    certs = makeTestCerts(tmp.dir);
  });
  afterAll(async () => {
    for (const a of aggs) await a.close();
    await sink.close();
    tmp.remove();
  });

  const start = async (forward: Parameters<typeof startAggregator>[0]['forward'] = {}) => {
    const a = await startAggregator({ sink, forward: { host: '127.0.0.1', port: 0, ...forward } });
    aggs.push(a);
    return a;
  };

  for (const eventMode of ['Message', 'Forward', 'PackedForward', 'CompressedPackedForward'] as EventModes[]) {
    it(`stores every acked event sent in ${eventMode} mode exactly once`, async () => {
      const agg = await start();
      const client = new FluentClient('swarm.audit', {
        eventMode,
        milliseconds: eventMode !== 'Message',
        ack: { ackTimeout: 20_000 },
        socket: { host: '127.0.0.1', port: agg.forward.port, disableReconnect: true },
      });
      const ids = await send(client, 40);
      expect(agg.counters.forward.acks).toBeGreaterThan(0);
      await sink.flush();
      const stored = new Set(readEvents(file).map((r) => r.event_id));
      for (const id of ids) expect(stored.has(id)).toBe(true);
      expect(agg.counters.forward.accepted).toBe(40);
      expect(agg.counters.forward.rejected).toBe(0);
    });
  }

  for (const eventMode of ['Message', 'Forward', 'PackedForward'] as EventModes[]) {
    it(`stores audit lines sent as msgpack bin (a Buffer, Go's []byte) in ${eventMode} mode, as PackedForward always did`, async () => {
      const agg = await start();
      const client = new FluentClient('swarm.audit', { eventMode, ack: { ackTimeout: 20_000 }, socket: { host: '127.0.0.1', port: agg.forward.port, disableReconnect: true } });
      const events = Array.from({ length: 5 }, (_, i) => makeEvent(100 + i));
      await client.connect();
      // A Docker-driver-shaped record whose log line is bytes: acked, and before this, counted as non-audit and lost in Message and Forward modes.
      await Promise.all(events.map((e) => client.emit('t', { log: Buffer.from(JSON.stringify(e)), source: 'stdout' })));
      await client.disconnect();
      await sink.flush();
      const stored = new Set(readEvents(file).map((r) => r.event_id));
      for (const e of events) expect(stored.has(e.event_id as string), `${eventMode}: ${e.event_id}`).toBe(true);
      expect(agg.counters.forward.nonAudit).toBe(0);
    });
  }

  it('a record whose split-line fields are maps (what an agent parsing a container\'s JSON to top level forwards) is a reject; its request is acked and its good events stored (found by a probe: the request failed on every resend)', async () => {
    const agg = await start();
    const client = new FluentClient('swarm.audit', { ack: { ackTimeout: 20_000 }, socket: { host: '127.0.0.1', port: agg.forward.port, disableReconnect: true } });
    const good = [makeEvent(300), makeEvent(301)];
    const [cut1, cut2] = [JSON.stringify(makeEvent(302)), JSON.stringify(makeEvent(303))];
    const rejectsBefore = readRejects(file).length;
    await client.connect();
    // PackedForward (the client's default): one request holds all five records.
    await Promise.all([
      client.emit('a', good[0] as unknown as Record<string, unknown>),
      client.emit('a', { partial_message: 'true', partial_id: { toString: 1 }, log: cut1 }),
      client.emit('a', { partial_message: 'true', partial_id: 'p1', container_id: 'c'.repeat(64), partial_ordinal: { valueOf: 1 }, log: cut2 }),
      // Not an audit line: counted as other output, as any piece of one.
      client.emit('a', { partial_message: 'true', partial_id: ['x'], log: 'plain text' }),
      client.emit('a', good[1] as unknown as Record<string, unknown>),
    ]);
    await client.disconnect();
    await sink.flush();
    const stored = new Set(readEvents(file).map((r) => r.event_id));
    for (const e of good) expect(stored.has(e.event_id as string)).toBe(true);
    expect(agg.counters.forward.badFramesByCode).toEqual({});
    const rejects = readRejects(file).slice(rejectsBefore);
    expect(rejects.map((r) => r.reason)).toEqual([
      'PARTIAL_PIECE_INVALID: partial_id or container_id is not a string; the piece is kept as it came',
      'PARTIAL_PIECE_INVALID: partial_ordinal {"valueOf":1} is not a whole number from 1; the piece is kept as it came',
    ]);
    expect(rejects.map((r) => r.raw_payload)).toEqual([cut1, cut2]);
    expect(agg.counters.forward.nonAudit).toBe(1);
  });

  it('authenticates with shared_key (second of two active keys) and stores the events', async () => {
    const agg = await start({ security: { selfHostname: 'aggregator', sharedKeys: ['retiring-key', 'current-key'] } });
    const client = new FluentClient('app', {
      ack: { ackTimeout: 20_000 },
      security: { clientHostname: 'client-1', sharedKey: 'current-key', username: '', password: '' },
      socket: { host: '127.0.0.1', port: agg.forward.port, disableReconnect: true },
    });
    const ids = await send(client, 10);
    await sink.flush();
    const stored = new Set(readEvents(file).map((r) => r.event_id));
    expect(ids.every((id) => stored.has(id))).toBe(true);
    expect(agg.counters.forward.authFailures).toBe(0);
  });

  it('refuses a client with the wrong shared_key and stores nothing from it', async () => {
    const agg = await start({ security: { selfHostname: 'aggregator', sharedKeys: ['current-key'] } });
    const client = new FluentClient('app', {
      ack: { ackTimeout: 2_000 },
      security: { clientHostname: 'client-1', sharedKey: 'wrong-key', username: '', password: '' },
      socket: { host: '127.0.0.1', port: agg.forward.port, disableReconnect: true },
      eventRetry: { attempts: 0 },
    });
    const before = readEvents(file).length;
    // With disableReconnect the client does not connect by itself (observed-clients.md).
    client.connect().catch(() => {});
    client.emit('x', makeEvent(1) as unknown as Record<string, unknown>).catch(() => {});
    await until(() => agg.counters.forward.authFailures === 1, 'the auth failure');
    await client.shutdown().catch(() => {});
    await sink.flush();
    expect(readEvents(file).length).toBe(before);
    expect(agg.counters.forward.requests).toBe(0);
  });

  it('accepts TLS, and mutual TLS only with a client certificate from the configured CA', async () => {
    const tlsAgg = await start({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    const tlsClient = new FluentClient('tls', {
      ack: { ackTimeout: 20_000 },
      socket: { host: '127.0.0.1', port: tlsAgg.forward.port, disableReconnect: true, tls: { ca: certs.ca } },
    });
    const ids = await send(tlsClient, 5);
    const mtls = await start({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } });
    const good = new FluentClient('mtls', {
      ack: { ackTimeout: 20_000 },
      socket: { host: '127.0.0.1', port: mtls.forward.port, disableReconnect: true, tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } },
    });
    ids.push(...(await send(good, 5)));
    await sink.flush();
    const stored = new Set(readEvents(file).map((r) => r.event_id));
    expect(ids.every((id) => stored.has(id))).toBe(true);

    const stranger = new FluentClient('mtls', {
      ack: { ackTimeout: 2_000 },
      eventRetry: { attempts: 0 },
      socket: { host: '127.0.0.1', port: mtls.forward.port, disableReconnect: true, tls: { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey } },
    });
    stranger.connect().catch(() => {});
    await until(() => mtls.counters.forward.authFailures >= 1, 'the refused TLS client');
    await stranger.shutdown().catch(() => {});
    expect(mtls.counters.forward.requests).toBe(1);
  });
});
