import { Decoder, encode } from '@msgpack/msgpack';
import { FluentClient, FluentServer } from '@fluent-org/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { createForwarder, useByteSafeDecoding } from '../src/fallback/forwarder.js';
import { prepareRows, rejectRow } from '../src/sink/prepare.js';
import type { QueuedItem } from '../src/sink/queue.js';
import { makeEvents } from './helpers/events.js';
import { startForwardReceiver } from './helpers/forward-receiver.js';
import { startRawServer, watchClientSockets } from './helpers/sockets.js';
import { selfSignedCert } from './helpers/tls-cert.js';
import { tempDir } from './helpers/tmp.js';
import { aggregatorOnSqlite, readEvents, readRejects } from './receivers/helpers/real-sink.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function items(events: Record<string, unknown>[], tag?: string): QueuedItem[] {
  const rows = prepareRows(events.map((e) => ({ line: JSON.stringify(e) })), 'direct');
  return rows.map((row, i) => ({ row, end: { seg: 1, end: i }, size: 1, ...(tag ? { tag } : {}) }));
}

describe('Fluent forward fallback', () => {
  it.each(['str', 'bin'] as const)('logs in with shared_key when the HELO nonce is a msgpack %s of non-UTF-8 bytes, and gets every ack', async (nonceAs) => {
    const rx = await startForwardReceiver({ sharedKey: 'k3y-shared', nonceAs });
    closers.push(rx.close);
    const events = makeEvents(5);
    const fwd = createForwarder({ host: '127.0.0.1', port: rx.port, sharedKey: 'k3y-shared', clientHostname: 'sink-host', timeoutMs: 5000 });
    await fwd.forward(items(events, 'swarm.audit.node1.web.task1'));
    expect(rx.log.pings).toEqual([{ digestOk: true }]);
    expect(rx.log.records.map((r) => r.record.event_id)).toEqual(events.map((e) => e.event_id));
    expect(rx.log.records[0]!.tag).toBe('swarm.audit.node1.web.task1');
    expect(rx.log.acks).toBeGreaterThan(0);
  });

  it('shows the defect it works around: an unpatched @fluent-org/logger client sends a wrong digest for a str nonce', async () => {
    const rx = await startForwardReceiver({ sharedKey: 'k3y-shared', nonceAs: 'str' });
    closers.push(rx.close);
    const client = new FluentClient('t', { socket: { host: '127.0.0.1', port: rx.port, disableReconnect: true }, security: { clientHostname: 'c', sharedKey: 'k3y-shared' }, disableAutoconnect: true });
    client.socketOn('error' as never, () => undefined);
    await client.connect();
    const sent = client.emit('x', { a: 1 });
    sent.catch(() => undefined);
    await waitFor(() => rx.log.pings.length === 1);
    expect(rx.log.pings).toEqual([{ digestOk: false }]);
    await client.shutdown().catch(() => undefined);
    // The same client with the byte-safe decoder logs in.
    const fixed = new FluentClient('t', { socket: { host: '127.0.0.1', port: rx.port, disableReconnect: true }, security: { clientHostname: 'c', sharedKey: 'k3y-shared' }, disableAutoconnect: true, ack: {} });
    useByteSafeDecoding(fixed);
    await fixed.connect();
    await fixed.emit('x', { a: 1 });
    expect(rx.log.pings[1]).toEqual({ digestOk: true });
    await fixed.shutdown();
  });

  it('fails (does not hang) with a wrong shared key', async () => {
    const rx = await startForwardReceiver({ sharedKey: 'the-real-key', nonceAs: 'str' });
    closers.push(rx.close);
    const fwd = createForwarder({ host: '127.0.0.1', port: rx.port, sharedKey: 'a-wrong-key', timeoutMs: 20_000 });
    await expect(fwd.forward(items(makeEvents(2)))).rejects.toMatchObject({ name: 'ForwardError', code: 'SINK_FORWARD_FAILED' });
    expect(rx.log.pings).toEqual([{ digestOk: false }]);
    expect(rx.log.records).toEqual([]);
  });

  it('times out against a server that never says HELO, and when nothing listens it fails at once', async () => {
    const rx = await startForwardReceiver({ sharedKey: 'k', nonceAs: 'bin', silent: true });
    closers.push(rx.close);
    const fwd = createForwarder({ host: '127.0.0.1', port: rx.port, sharedKey: 'k', timeoutMs: 300 });
    await expect(fwd.forward(items(makeEvents(1)))).rejects.toMatchObject({ code: 'SINK_FORWARD_TIMEOUT', message: expect.stringContaining(': no shared_key handshake (no HELO, or no PONG') });
    const port = rx.port;
    await rx.close();
    closers.pop();
    const refused = createForwarder({ host: '127.0.0.1', port, timeoutMs: 20_000 });
    await expect(refused.forward(items(makeEvents(1)))).rejects.toMatchObject({ code: 'SINK_FORWARD_FAILED' });
  });

  it.each([
    ['acks one request and closes (Fluentd deny_keepalive)', 'ack-close'],
    // Its next requests unread, so an RST: the batch failed with ECONNRESET (found by a review).
    ['acks one request and resets the connection', 'ack-reset'],
  ] as const)('sends the rest of a batch on a new connection when the server %s: a batch of several tags is forwarded whole, each event once', async (_how, thenClose) => {
    const rx = await startForwardReceiver({ sharedKey: 'k', nonceAs: 'str', thenClose });
    closers.push(rx.close);
    const events = makeEvents(6);
    // The client packs one request per tag: three tags, three requests, one per connection here.
    const batch = items(events).map((it, i) => ({ ...it, tag: `swarm.audit.n${i % 3}` }));
    const fwd = createForwarder({ host: '127.0.0.1', port: rx.port, sharedKey: 'k', clientHostname: 'sink-host', timeoutMs: 60_000 });
    await fwd.forward(batch);
    expect(rx.log.records.map((r) => r.record.event_id).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    expect(rx.log.acks).toBe(3);
    expect(rx.log.pings).toHaveLength(3);
  });

  it('says in its timeout how far the attempt got: no connection (a TLS server that never answers), or how many records were acked', async () => {
    // Accepts, reads, never writes: TLS never completes; without TLS, requests are never acked...
    const silent = await startRawServer((s) => s.resume());
    closers.push(silent.close);
    const port = silent.port;
    const tls = createForwarder({ host: '127.0.0.1', port, tls: true, timeoutMs: 300 });
    await expect(tls.forward(items(makeEvents(2)))).rejects.toMatchObject({ code: 'SINK_FORWARD_TIMEOUT', message: expect.stringMatching(/^forward of 2 records to 127\.0\.0\.1:\d+: no connection \(TCP, then TLS when set\) within \d+ ms$/) });
    const plain = createForwarder({ host: '127.0.0.1', port, timeoutMs: 300 });
    await expect(plain.forward(items(makeEvents(2)))).rejects.toMatchObject({ message: expect.stringContaining(': no ack (0 of 2 acked) within') });
    // ...and one that acks the first request (one per tag) only.
    const rx = await startRawServer(async (s) => {
      let first = true;
      try {
        for await (const request of new Decoder().decodeStream(s)) {
          if (first) s.write(encode({ ack: ((request as unknown[])[2] as { chunk: string }).chunk }));
          first = false;
        }
      } catch {
        // The client reset the connection.
      }
    });
    closers.push(rx.close);
    const partial = createForwarder({ host: '127.0.0.1', port: rx.port, timeoutMs: 300 });
    const batch = items(makeEvents(6)).map((it, i) => ({ ...it, tag: `swarm.audit.n${i % 3}` }));
    await expect(partial.forward(batch)).rejects.toMatchObject({ message: expect.stringContaining(': no ack (2 of 6 acked) within') });
  });

  it.each([
    ['stops reading (a full TCP window: Fluentd blocking on a full buffer)', 'stall'],
    ['reads but never acks nor closes its side', 'half-open'],
    ['acks every request but never closes its side', 'ack-half-open'],
  ] as const)('ends its connection after each attempt when the server %s', async (_how, server) => {
    const rx = await startRawServer(
      async (s) => {
        if (server === 'stall') return void s.pause();
        try {
          for await (const request of new Decoder().decodeStream(s)) {
            const chunk = ((request as unknown[])[2] as { chunk?: string } | undefined)?.chunk;
            if (server === 'ack-half-open' && chunk) s.write(encode({ ack: chunk }));
          }
        } catch {
          // The client reset the connection.
        }
      },
      { allowHalfOpen: true },
    );
    closers.push(rx.close);
    // The client's sockets to it.
    const { sockets: opened, stop } = watchClientSockets(rx.port);
    closers.push(async () => stop());
    const fwd = createForwarder({ host: '127.0.0.1', port: rx.port, timeoutMs: server === 'ack-half-open' ? 20_000 : 300 });
    const sent = fwd.forward(items(makeEvents(3)));
    if (server === 'ack-half-open') await sent;
    else await expect(sent).rejects.toMatchObject({ code: 'SINK_FORWARD_TIMEOUT' });
    expect(opened).toHaveLength(1);
    expect(opened.map((s) => s.destroyed)).toEqual([true]);
  });

  it('fails at once, not at the deadline, when the server closes the connection without acking anything', async () => {
    const rx = await startForwardReceiver({ sharedKey: 'k', nonceAs: 'str', thenClose: 'close' });
    closers.push(rx.close);
    const fwd = createForwarder({ host: '127.0.0.1', port: rx.port, sharedKey: 'k', clientHostname: 'sink-host', timeoutMs: 60_000 });
    await expect(fwd.forward(items(makeEvents(2)))).rejects.toMatchObject({ code: 'SINK_FORWARD_FAILED', message: expect.stringContaining('closed the connection before acking anything') });
  });

  it('delivers with ack to FluentServer over TLS with a shared key (happy path)', async () => {
    const { dir, cleanup } = await tempDir();
    closers.push(cleanup);
    const { key, cert } = selfSignedCert(dir);
    const server = new FluentServer({ security: { serverHostname: 'aggregator', sharedKey: 'swarm-key', authorize: false, userDict: {} }, tlsOptions: { key, cert }, listenOptions: { port: 0, host: '127.0.0.1' } });
    const got: { tag: string; record: Record<string, unknown> }[] = [];
    server.on('entry', (tag: string, _time: unknown, record: Record<string, unknown>) => got.push({ tag, record }));
    await server.listen();
    closers.push(() => server.close());
    const events = makeEvents(20);
    const fwd = createForwarder({ host: '127.0.0.1', port: server.port!, sharedKey: 'swarm-key', tls: { ca: cert }, tag: 'audit.fallback', timeoutMs: 5000 });
    await fwd.forward([...items(events), { row: rejectRow('direct', 'bad', 'oops'), end: { seg: 1, end: 99 }, size: 1 }]);
    expect(got.filter((g) => g.tag === 'audit.fallback').map((g) => g.record.event_id)).toEqual(events.map((e) => e.event_id));
    expect(got.find((g) => g.tag === 'audit.fallback.rejects')?.record).toEqual({ raw_payload: 'oops', reason: 'bad', source: 'direct' });
  });
  it('forwards an item whose tag is empty (a forward request may carry one) under the default tag, with the rest of its batch', async () => {
    const rx = await startForwardReceiver({ sharedKey: 'k', nonceAs: 'bin' });
    closers.push(rx.close);
    const events = makeEvents(3);
    const batch = items(events, 'swarm.audit.node1.web.task1');
    batch[1] = { ...batch[1]!, tag: '' };
    const fwd = createForwarder({ host: '127.0.0.1', port: rx.port, sharedKey: 'k', clientHostname: 'sink-host', tag: 'audit.fallback', timeoutMs: 5000 });
    await fwd.forward(batch);
    // The client packs one request per tag, so the order across tags is its own.
    const byId = new Map(rx.log.records.map((r) => [r.record.event_id, r.tag]));
    expect(rx.log.records).toHaveLength(3);
    expect(events.map((e) => byId.get(e.event_id))).toEqual(['swarm.audit.node1.web.task1', 'audit.fallback', 'swarm.audit.node1.web.task1']);
  });
});

describe('Fluent forward fallback into an audit-trail aggregator (audit-trail serve)', () => {
  it('stores the events and the rejects it relays (the reject as it was, the relay in its source), and a resent batch adds nothing', async () => {
    const run = await aggregatorOnSqlite({ forward: { host: '127.0.0.1', port: 0 } });
    closers.push(run.stop);
    const events = makeEvents(5);
    const hostile = "bad\n\u001b[31m'; DROP TABLE x;--";
    const batch = [...items(events), { row: rejectRow('file:/var/log/app.ndjson', 'SCHEMA_INVALID: not an event', hostile), end: { seg: 1, end: 99 }, size: 1 }];
    const fwd = createForwarder({ host: '127.0.0.1', port: run.agg.forward.port, timeoutMs: 5000 });
    // The second time: a fallback attempt whose ack was lost is sent again.
    for (let copy = 0; copy < 2; copy++) {
      await fwd.forward(batch);
      await run.sink.flush();
    }
    expect(readEvents(run.file).map((r) => r.event_id).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    expect(readRejects(run.file).map(({ source, reason, raw_payload }) => ({ source, reason, raw_payload }))).toEqual([
      { source: 'forward:127.0.0.1 relaying file:/var/log/app.ndjson', reason: 'SCHEMA_INVALID: not an event', raw_payload: hostile },
    ]);
    expect(run.agg.counters.forward.nonAudit).toBe(0);
  });

  it('escapes control characters in the reason and source of a relayed reject (the client\'s text, headed for columns); the payload stays as sent', async () => {
    const run = await aggregatorOnSqlite({ forward: { host: '127.0.0.1', port: 0 } });
    closers.push(run.stop);
    const fwd = createForwarder({ host: '127.0.0.1', port: run.agg.forward.port, timeoutMs: 5000 });
    const raw = 'payload\r\n\u001b[2J';
    await fwd.forward([{ row: rejectRow('file:/a\u001b]0;title\u0007\r\nforged', 'SCHEMA_INVALID: \u001b[31mred\r\nnext', raw), end: { seg: 1, end: 1 }, size: 1 }]);
    await run.sink.flush();
    expect(readRejects(run.file).map(({ source, reason, raw_payload }) => ({ source, reason, raw_payload }))).toEqual([
      { source: 'forward:127.0.0.1 relaying file:/a\\x1b]0;title\\x07\\x0d\\x0aforged', reason: 'SCHEMA_INVALID: \\x1b[31mred\\x0d\\x0anext', raw_payload: raw },
    ]);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}
