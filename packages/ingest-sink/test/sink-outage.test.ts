import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FluentServer } from '@fluent-org/logger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, SpoolFullError, type Sink, type SinkOptions } from '../src/index.js';
import { makeEvents } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { startRawServer, watchClientSockets } from './helpers/sockets.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { tempDir } from './helpers/tmp.js';

let db: Awaited<ReturnType<typeof createTempDatabase>>;
let proxy: TcpProxy;
let dir: string;
let cleanup: () => Promise<void>;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  db = await createTempDatabase();
  proxy = await startTcpProxy(5432);
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await proxy.close();
  await db.drop();
  await cleanup();
});

function open(extra: Partial<SinkOptions> = {}): Sink {
  const url = db.url.replace(':5432/', `:${proxy.port}/`);
  // `spool` last: spread after it, extra.spool would replace the test's directory with the default one in the working directory.
  const sink = createSink({ url, migrate: true, retry: { initialDelayMs: 20, maxDelayMs: 200 }, batch: { maxRows: 100 }, ...extra, spool: { dir, ...extra.spool } });
  closers.push(() => sink.close({ timeoutMs: 2000 }));
  return sink;
}

/** Writes `n` events while the database is unreachable and closes the sink: they stay in the spool for the next one. */
async function leaveInSpool(n: number): Promise<Record<string, unknown>[]> {
  const first = open();
  await first.ready;
  proxy.cut();
  const events = makeEvents(n);
  await first.write(events);
  await first.close({ timeoutMs: 200 });
  closers.pop();
  return events;
}

const ids = async () => (await db.query('SELECT event_id::text AS id FROM security_audit_events')).rows.map((r) => r.id as string);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL outage (TCP proxy cut)', () => {
  it('a COMMIT whose reply is lost: the batch is sent again and stores nothing twice, neither its events nor its rejects', async () => {
    const sink = open();
    await sink.ready;
    const events = makeEvents(20);
    // PostgreSQL commits; the sink only sees its connection reset, so it retries the whole batch.
    const lost = proxy.loseReplyTo(Buffer.from('COMMIT\0'));
    await sink.write([...events, 'not an event', { line: '{"event_type":"nope"}', source: 'forward:10.0.0.7' }]);
    await sink.flush();
    await lost;
    expect((await ids()).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    const rejects = await db.query('SELECT source, raw_payload, length(reject_key) AS key_length FROM security_audit_rejects ORDER BY id');
    expect(rejects.rows).toEqual([
      { source: 'direct', raw_payload: 'not an event', key_length: 43 },
      { source: 'forward:10.0.0.7', raw_payload: '{"event_type":"nope"}', key_length: 43 },
    ]);
    expect(sink.stats()).toMatchObject({ committed: 0, duplicates: 20, rejected: 0, duplicateRejects: 2 });
    expect(sink.stats().retries).toBeGreaterThanOrEqual(1);
  });

  it('keeps accepting writes into the spool while the database is unreachable, then delivers each event exactly once', async () => {
    const sink = open();
    const before = makeEvents(150);
    await sink.write(before);
    await sink.flush();
    proxy.cut();
    const during = makeEvents(400);
    for (let i = 0; i < during.length; i += 50) {
      expect(await sink.write(during.slice(i, i + 50))).toEqual({ accepted: 50, rejected: 0 });
      await pause(250);
    }
    const mid = sink.stats();
    expect(mid.spooledEvents).toBeGreaterThan(0);
    expect(mid.retries).toBeGreaterThan(0);
    expect(mid.lastError?.code).toBe('SINK_DB');
    expect(mid.lastError?.message).not.toMatch(/password/i);
    expect((await ids()).length).toBeLessThan(550);
    proxy.restore();
    await sink.flush();
    const stored = await ids();
    expect(stored).toHaveLength(550);
    expect(new Set(stored)).toEqual(new Set([...before, ...during].map((e) => e.event_id as string)));
    expect(sink.stats()).toMatchObject({ committed: 550, spooledEvents: 0, spooledBytes: 0 });
  });

  it('survives connections cut while batches are in flight (40 cuts, both load paths): no uncaught error, every event stored once', async () => {
    // pg-pool leaves a client it hands out without an 'error' listener: a
    // connection lost mid-batch crashed the process with ECONNRESET.
    const uncaught: Error[] = [];
    const hear = (err: Error) => void uncaught.push(err);
    process.prependListener('uncaughtException', hear);
    try {
      for (const load of ['copy', 'unnest'] as const) {
        await db.query('DROP TABLE IF EXISTS security_audit_events, security_audit_rejects');
        const sink = open({ url: `${db.url.replace(':5432/', `:${proxy.port}/`)}?load=${load}`, batch: { maxRows: 500 }, onError: () => undefined });
        await sink.ready;
        const written: string[] = [];
        let stop = false;
        const writer = (async () => {
          while (!stop) {
            const events = makeEvents(500);
            await sink.write(events);
            for (const e of events) written.push(e.event_id as string);
          }
        })();
        for (let i = 0; i < 20; i++) {
          await pause(20 + ((i * 37) % 60));
          proxy.cut();
          await pause(5);
          proxy.restore();
        }
        stop = true;
        await writer;
        await sink.flush();
        const stored = await ids();
        expect(stored.length, load).toBe(new Set(stored).size);
        expect(new Set(stored), load).toEqual(new Set(written));
        expect(sink.stats().retries, `${load}: the cuts hit batches`).toBeGreaterThan(0);
        await sink.close();
        closers.pop();
      }
      expect(uncaught.map((e) => e.message)).toEqual([]);
    } finally {
      process.off('uncaughtException', hear);
    }
  }, 60_000);

  it('close() during an outage returns once what it accepted is in the spool, not at its timeout; the next start delivers it (found by a transport probe)', async () => {
    const sink = open();
    await sink.ready;
    proxy.cut();
    const events = makeEvents(300);
    for (let i = 0; i < events.length; i += 50) await sink.write(events.slice(i, i + 50));
    await expect.poll(() => sink.stats().outageSince, { timeout: 5000 }).toBeDefined();
    // Waiting cannot deliver: close() must not wait out its timeout (10 minutes, past this test's own bound).
    await sink.close({ timeoutMs: 600_000 });
    closers.pop();
    expect(await ids()).toEqual([]);
    proxy.restore();
    const next = open();
    await next.flush();
    expect((await ids()).sort()).toEqual(events.map((e) => e.event_id as string).sort());
  }, 20_000);

  it('close() when the database is back from an outage, while the sink still backs off, tries at once and delivers everything', async () => {
    const sink = open({ retry: { initialDelayMs: 20_000, maxDelayMs: 20_000 } });
    await sink.ready;
    proxy.cut();
    const events = makeEvents(200);
    await sink.write(events);
    await expect.poll(() => sink.stats().outageSince, { timeout: 5000 }).toBeDefined();
    proxy.restore();
    await sink.close({ timeoutMs: 600_000 });
    closers.pop();
    expect((await ids()).sort()).toEqual(events.map((e) => e.event_id as string).sort());
  }, 20_000);

  it('with a small memory budget an outage fills the spool, not the heap: records wait on disk and are read back', async () => {
    const sink = open({ spool: { dir, memoryBytes: 8_000 } });
    await sink.ready;
    proxy.cut();
    const events = makeEvents(400);
    for (let i = 0; i < events.length; i += 50) await sink.write(events.slice(i, i + 50));
    const mid = sink.stats();
    expect(mid).toMatchObject({ spooledEvents: 400, committed: 0 });
    // Only about one budget's worth (8 000 bytes: under 30 events) was loaded into memory; the rest waits on disk.
    expect(mid.readBack).toBeLessThan(30);
    proxy.restore();
    await sink.flush();
    const stored = await ids();
    expect(stored).toHaveLength(400);
    expect(new Set(stored)).toEqual(new Set(events.map((e) => e.event_id as string)));
    const s = sink.stats();
    expect(s).toMatchObject({ committed: 400, duplicates: 0, spooledEvents: 0, spooledBytes: 0 });
    // 8 000 bytes hold about a dozen events: most were read back from the spool files.
    expect(s.readBack).toBeGreaterThan(300);
  });

  it('on restart loads a replayed spool larger than the memory budget a part at a time', async () => {
    const events = await leaveInSpool(300);
    proxy.restore();
    const second = open({ spool: { dir, memoryBytes: 10_000 } });
    await second.flush();
    expect(second.stats()).toMatchObject({ replayed: 300, committed: 300, spooledEvents: 0 });
    expect(second.stats().readBack).toBeGreaterThan(200);
    expect((await ids()).sort()).toEqual(events.map((e) => e.event_id as string).sort());
  });

  it('after a long outage forwards the pending batches to a Fluent forward server with ack', async () => {
    const server = new FluentServer({ listenOptions: { port: 0, host: '127.0.0.1' } });
    const got: Record<string, unknown>[] = [];
    server.on('entry', (_tag: string, _time: unknown, record: Record<string, unknown>) => got.push(record));
    await server.listen();
    closers.push(() => server.close());
    const sink = open({ fallback: { host: '127.0.0.1', port: server.port!, afterMs: 300, timeoutMs: 5000 } });
    await sink.ready;
    proxy.cut();
    const events = makeEvents(250);
    await sink.write(events);
    await sink.flush();
    expect(got.map((r) => r.event_id as string).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    expect(sink.stats()).toMatchObject({ forwarded: 250, committed: 0, spooledEvents: 0 });
    proxy.restore();
    const later = makeEvents(10);
    await sink.write(later);
    await sink.flush();
    expect((await ids()).sort()).toEqual(later.map((e) => e.event_id as string).sort());
  });

  it('close() abandons a forward still awaiting its ack at the deadline: nothing is counted forwarded after close(), and the spool keeps the records for the next start', async () => {
    // A forward server that reads the request and holds its ack.
    let requested!: () => void;
    const request = new Promise<void>((resolve) => (requested = resolve));
    const rx = await startRawServer((s) => s.once('data', () => requested()));
    closers.push(rx.close);
    const rxPort = rx.port;
    // The forwarder's connections.
    const { sockets: toRx, stop } = watchClientSockets(rxPort);
    closers.push(async () => stop());
    const errors: Error[] = [];
    const sink = open({ fallback: { host: '127.0.0.1', port: rxPort, afterMs: 0, timeoutMs: 600_000 }, onError: (e) => errors.push(e) });
    await sink.ready;
    proxy.cut();
    const events = makeEvents(20);
    await sink.write(events);
    await request;
    await sink.close({ timeoutMs: 100 });
    closers.pop();
    // Before, the forward went on after close(): an ack then counted the records forwarded (and
    // released a spool already closed: SINK_SPOOL_IO) while the spool kept them for the next start.
    expect(toRx.map((s) => s.destroyed)).toEqual([true]);
    expect(sink.stats()).toMatchObject({ forwarded: 0, spooledEvents: 20 });
    expect(errors.at(-1)).toMatchObject({ code: 'SINK_FORWARD_FAILED', message: expect.stringContaining('forward of 20 records to 127.0.0.1:' + rxPort + ' abandoned: the sink is closing; they stay in the spool') });
    proxy.restore();
    const next = open();
    await next.flush();
    expect((await ids()).sort()).toEqual(events.map((e) => e.event_id as string).sort());
  });

  it('with a full spool and onFull "reject", write() fails with SpoolFullError and nothing accepted is lost', async () => {
    const sink = open({ spool: { maxBytes: 40_000, onFull: 'reject' } });
    await sink.ready;
    proxy.cut();
    const accepted: Record<string, unknown>[] = [];
    let error: unknown;
    for (let i = 0; i < 100 && !error; i++) {
      const batch = makeEvents(10);
      try {
        await sink.write(batch);
        accepted.push(...batch);
      } catch (err) {
        error = err;
      }
    }
    expect(error).toBeInstanceOf(SpoolFullError);
    expect(error).toMatchObject({ code: 'SINK_SPOOL_FULL' });
    expect(sink.stats().spooledBytes).toBeLessThanOrEqual(40_000);
    proxy.restore();
    await sink.flush();
    expect((await ids()).sort()).toEqual(accepted.map((e) => e.event_id as string).sort());
  });

  it('with a full spool and onFull "wait", write() waits (backpressure) and completes once the database is back', async () => {
    const sink = open({ spool: { maxBytes: 30_000, onFull: 'wait' } });
    await sink.ready;
    proxy.cut();
    const events = makeEvents(100);
    let resolved = 0;
    const writes = [];
    for (let i = 0; i < events.length; i += 10) writes.push(sink.write(events.slice(i, i + 10)).then(() => resolved++));
    await pause(1000);
    expect(resolved).toBeLessThan(10);
    expect(sink.stats().spooledBytes).toBeLessThanOrEqual(30_000);
    proxy.restore();
    await Promise.all(writes);
    await sink.flush();
    expect((await ids()).sort()).toEqual(events.map((e) => e.event_id as string).sort());
  });

  it('on restart reports a torn spool tail (counted, quarantined) and delivers every intact record', async () => {
    const events = await leaveInSpool(40);
    const seg = (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort().at(-1)!;
    await appendFile(join(dir, seg), Buffer.from([0, 0, 1, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]));
    proxy.restore();
    const errors: Error[] = [];
    const second = open({ onError: (e) => errors.push(e) });
    await second.flush();
    const s = second.stats();
    expect(s).toMatchObject({ spoolCorruptTails: 1, spoolCorruptBytes: 11, replayed: 40, committed: 40 });
    expect(errors.map((e) => e.message).join('\n')).toMatch(/torn record/);
    expect((await readdir(join(dir, 'quarantine'))).length).toBe(1);
    expect((await ids()).sort()).toEqual(events.map((e) => e.event_id as string).sort());
  });

  it('skips a record damaged on disk while it waited, with the rest of its segment, copied to quarantine and reported, and delivers everything else', async () => {
    const errors: Error[] = [];
    const sink = open({ spool: { dir, memoryBytes: 8_000, segmentBytes: 16 * 1024 }, onError: (e) => errors.push(e) });
    await sink.ready;
    proxy.cut();
    const events = makeEvents(400);
    for (let i = 0; i < events.length; i += 10) await sink.write(events.slice(i, i + 10));
    // Most records now wait on disk only. Flip one byte in the middle of the fourth segment.
    const segs = (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();
    expect(segs.length).toBeGreaterThan(5);
    const seg = join(dir, segs[3]!);
    const bytes = await readFile(seg);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x5a;
    await writeFile(seg, bytes);
    proxy.restore();
    await sink.flush();

    const s = sink.stats();
    const lost = s.spoolQuarantinedRecords;
    expect(lost).toBeGreaterThan(0);
    expect(s).toMatchObject({ committed: 400 - lost, spoolCorruptTails: 1, spooledEvents: 0, spooledBytes: 0 });
    expect(s.lastError?.code).toBe('SINK_SPOOL_IO');
    const reported = errors.map((e) => e.message).join('\n');
    expect(reported).toMatch(new RegExp(`${segs[3]} is corrupt at byte \\d+: (checksum mismatch|implausible record length|torn record).*copied to .*quarantine.*: ${lost} accepted record\\(s\\) in it skipped, not delivered \\(\`audit-trail salvage\` recovers the intact ones\\)`));
    // Exactly one run of consecutive events is missing: the damaged record and those after it in its segment.
    const stored = new Set(await ids());
    expect(stored.size).toBe(400 - lost);
    const missing = events.map((e, i) => (stored.has(e.event_id as string) ? -1 : i)).filter((i) => i >= 0);
    expect(missing.at(-1)! - missing[0]!).toBe(lost - 1);
    // The quarantined bytes are the segment's tail, byte for byte.
    const [q] = await readdir(join(dir, 'quarantine'));
    expect((await readFile(join(dir, 'quarantine', q!))).equals(bytes.subarray(bytes.length - s.spoolCorruptBytes))).toBe(true);
    await sink.close();
    closers.pop();
    const again = open();
    await again.flush();
    expect(again.stats()).toMatchObject({ spoolCorruptTails: 0, replayed: 0 });
  });
});
