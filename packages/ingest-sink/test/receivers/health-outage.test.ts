import { afterEach, describe, expect, it } from 'vitest';
import { createSink, startAggregator, type Aggregator, type Sink } from '../../src/index.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';
import { chainEvent, makeEvent, makeEvents } from '../helpers/events.js';
import { createTempDatabase } from '../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { tempDir } from '../helpers/tmp.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** PostgreSQL behind a proxy the test can cut, a sink on it, and an aggregator with its health endpoint and a log it keeps. */
async function setUp(spool: { maxBytes?: number; memoryBytes?: number; onFull?: 'wait' | 'reject' } = {}): Promise<{ proxy: TcpProxy; sink: Sink; agg: Aggregator; lines: ReceiverLogEntry[] }> {
  const db = await createTempDatabase();
  closers.push(() => db.drop());
  const proxy = await startTcpProxy(5432);
  closers.push(() => proxy.close());
  const { dir, cleanup } = await tempDir();
  closers.push(cleanup);
  const sink = createSink({ url: db.url.replace(':5432/', `:${proxy.port}/`), migrate: true, retry: { initialDelayMs: 20, maxDelayMs: 200 }, spool: { dir, ...spool } });
  closers.push(() => sink.close({ timeoutMs: 2000 }));
  await sink.ready;
  const lines: ReceiverLogEntry[] = [];
  const agg = await startAggregator({ sink, forward: { port: 0 }, health: { port: 0 }, log: (e) => lines.push(e) });
  closers.push(() => agg.close());
  return { proxy, sink, agg, lines };
}

async function health(agg: Aggregator): Promise<{ code: number; body: { status: string; problems: string[]; sink: Record<string, unknown> } }> {
  const res = await fetch(`http://127.0.0.1:${agg.health!.port}/healthz`);
  return { code: res.status, body: (await res.json()) as never };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('aggregator health and log while the database fails (real PostgreSQL behind a cut TCP proxy)', () => {
  it('says degraded (still 200: events are accepted and spooled) and logs the outage, then ok and logs the recovery', async () => {
    const { proxy, sink, agg, lines } = await setUp();
    expect(await health(agg)).toMatchObject({ code: 200, body: { status: 'ok', problems: [] } });
    // As monitors ask: HEAD (no body), a cache-busting query; another method is 405, another path 404.
    const base = `http://127.0.0.1:${agg.health!.port}`;
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    expect((await fetch(`${base}/healthz?t=1733472000`)).status).toBe(200);
    expect((await fetch(`${base}/livez/?t=1`)).status).toBe(200);
    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${base}/healthzz`)).status).toBe(404);
    proxy.cut();
    await sink.write(makeEvents(30));
    await until('the outage in the log', () => lines.some((l) => l.msg.startsWith('database failing')));
    const during = await health(agg);
    expect(during.code).toBe(200);
    expect(during.body.status).toBe('degraded');
    expect(during.body.problems).toHaveLength(1);
    expect(during.body.problems[0]).toMatch(/^database failing since \d{4}-\d\d-\d\dT.*; events are spooled$/);
    expect(during.body.sink).toMatchObject({ spooledEvents: 30, outageSince: expect.any(String), databaseError: { code: expect.any(String), at: expect.any(String) } });
    const failing = lines.find((l) => l.msg.startsWith('database failing'))!;
    expect(failing).toMatchObject({ level: 'warn', since: during.body.sink.outageSince, spooledEvents: 30, error: { code: expect.any(String) } });
    proxy.restore();
    await sink.flush();
    await until('the recovery in the log', () => lines.some((l) => l.msg === 'database accepting events again'));
    expect(await health(agg)).toMatchObject({ code: 200, body: { status: 'ok', problems: [], sink: { committed: 30, spooledEvents: 0 } } });
    expect((await health(agg)).body.sink).not.toHaveProperty('outageSince');
    expect((await health(agg)).body.sink).not.toHaveProperty('databaseError');
    // One line for the start of the outage, one for its end: not one per retry.
    expect(lines.filter((l) => /^database/.test(l.msg)).map((l) => l.msg)).toEqual(['database failing: events are spooled until it accepts them again', 'database accepting events again']);
    // A single failed attempt just after the recovery (a pooled connection the cut
    // left dead) may be logged, once a minute per code at most, never per retry.
    expect(lines.filter((l) => l.msg === 'sink error').length).toBeLessThanOrEqual(1);
  });

  it('says failing with 503 once the spool is nearly full, and logs it; /livez stays 200', async () => {
    const { proxy, sink, agg, lines } = await setUp({ maxBytes: 64 * 1024, onFull: 'reject' });
    proxy.cut();
    // About 1 KiB a record: write until the spool refuses.
    let refused: unknown;
    for (let i = 0; i < 100 && !refused; i++) await sink.write(makeEvents(4)).catch((err: unknown) => (refused = err));
    expect(refused).toMatchObject({ code: 'SINK_SPOOL_FULL' });
    const full = await health(agg);
    expect(full.code).toBe(503);
    expect(full.body.status).toBe('failing');
    expect(full.body.problems[0]).toMatch(/^spool at (9\d|100)% of its limit \(65536 bytes\): writes will wait or be refused$/);
    await until('the full spool in the log', () => lines.some((l) => l.msg === 'spool nearly full: writes will wait or be refused'));
    const live = await fetch(`http://127.0.0.1:${agg.health!.port}/livez`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'alive' }]);
    proxy.restore();
    await sink.flush();
    await until('room in the log', () => lines.some((l) => l.msg === 'spool has room again'));
    expect(await health(agg)).toMatchObject({ code: 200, body: { status: 'ok' } });
  });

  it('logs a chain position conflict (what a forged record looks like) as an error line at once', async () => {
    const { sink, lines } = await setUp();
    const chain = makeEvent().event_id as string;
    await sink.write([chainEvent(chain, 1), chainEvent(chain, 2)]);
    // Another event claiming seq 2 of the same chain.
    await sink.write([chainEvent(chain, 2)]);
    await sink.flush();
    await until('the conflict in the log', () => lines.some((l) => l.msg.startsWith('chain position conflict')));
    expect(lines.find((l) => l.msg.startsWith('chain position conflict'))).toMatchObject({ level: 'error', chainConflicts: 1, new: 1 });
  });

  it('says degraded when the database hangs (accepts, never answers) once a write has waited 15 s, long before the driver gives up', async () => {
    const { proxy, sink, agg, lines } = await setUp();
    await sink.write(makeEvents(2));
    await sink.flush();
    proxy.hang();
    await sink.write(makeEvents(3));
    await until('a stalled write on /healthz', async () => (await health(agg)).body.status === 'degraded', 30_000);
    const during = await health(agg);
    expect(during.code).toBe(200);
    expect(during.body.problems[0]).toMatch(/^database has not answered a write for 1\d s \(since .*\); events are spooled$/);
    await until('the stall in the log', () => lines.some((l) => l.msg === 'database not answering: a write has waited since'));
    // The hung connections dropped and the database back: the write is sent again and delivered.
    proxy.cut();
    proxy.restore();
    await sink.flush();
    await until('ok again', async () => (await health(agg)).body.status === 'ok');
    expect((await health(agg)).body.sink).toMatchObject({ committed: 5, spooledEvents: 0 });
  }, 60_000);

  it('acks into the spool while the database hangs, once a write has waited 15 s, instead of holding writers for the driver\'s 60 s timeout (found by a probe)', async () => {
    // An in-memory queue of 64 KiB: a few writes fill it, as a loaded aggregator's does.
    const { proxy, sink, agg } = await setUp({ memoryBytes: 64 * 1024 });
    await sink.write(makeEvents(2));
    await sink.flush();
    proxy.hang();
    // About 1 MiB: far over the queue, far under the spool's limit. Each write
    // resolves once durable in the spool (what an ack waits for); before,
    // those beyond the queue waited for the hung write to fail, 60 s later.
    const writes = Array.from({ length: 10 }, () => sink.write(makeEvents(100)));
    await until('every write durable in the spool', async () => (await sink.stats()).spooledEvents === 1000, 40_000);
    await Promise.all(writes);
    expect((await health(agg)).body.status).toBe('degraded');
    proxy.cut();
    proxy.restore();
    await sink.flush();
    expect(await sink.stats()).toMatchObject({ committed: 1002, spooledEvents: 0 });
  }, 60_000);
});
