import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSink, SinkError, startAggregator, type Sink, type SinkOptions } from '../src/index.js';
import type { ReceiverLogEntry } from '../src/receivers/types.js';
import { makeEvents } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { tempDir } from './helpers/tmp.js';

/**
 * The sink's database check (checkIntervalMs): at start and while idle it
 * asks the database whether it answers and holds the audit tables, so a
 * database that is down, misnamed or not migrated is an outage (stats,
 * onError, health) before any event arrives. Real PostgreSQL (behind a proxy
 * the test cuts) and real SQLite files.
 */

const REPO = resolve(import.meta.dirname, '../../..');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function spoolDir(): Promise<string> {
  const { dir, cleanup } = await tempDir();
  closers.push(cleanup);
  return dir;
}

/** A sink that records what it passes to onError, closed after the test. */
async function openSink(options: SinkOptions): Promise<{ sink: Sink; errors: Error[] }> {
  const errors: Error[] = [];
  const sink = createSink({ retry: { initialDelayMs: 20, maxDelayMs: 200 }, ...options, spool: { dir: await spoolDir(), ...options.spool }, onError: (e) => errors.push(e) });
  closers.push(() => sink.close({ timeoutMs: 1000 }));
  await sink.ready;
  return { sink, errors };
}

async function proxiedDatabase(): Promise<{ url: string; proxy: TcpProxy; db: Awaited<ReturnType<typeof createTempDatabase>> }> {
  const db = await createTempDatabase('at_check');
  closers.push(() => db.drop());
  const proxy = await startTcpProxy(5432);
  closers.push(() => proxy.close());
  return { db, proxy, url: db.url.replace(':5432/', `:${proxy.port}/`) };
}

describe('migrate: true when the migration fails for another reason than an unreachable database', () => {
  it('does not start: a unique index the DDL cannot build (the table holds a duplicate) is refused at ready, never postponed into write() where it read as a data error and made the batch rejects (found by a review)', async () => {
    const dir = await spoolDir();
    const url = `sqlite:${join(dir, 'audit.db')}`;
    const first = createSink({ url, spool: { dir: join(dir, 's0') } });
    await first.write(makeEvents(1));
    await first.flush();
    await first.close();
    const db = new Database(join(dir, 'audit.db'));
    db.exec('DROP INDEX UX_security_audit_events_event_id');
    const cols = (db.prepare("SELECT name FROM pragma_table_info('security_audit_events') WHERE name <> 'id'").all() as { name: string }[]).map((r) => r.name).join(', ');
    db.exec(`INSERT INTO security_audit_events (${cols}) SELECT ${cols} FROM security_audit_events`);
    db.close();
    const sink = createSink({ url, migrate: true, spool: { dir: join(dir, 's1') }, onError: () => undefined });
    closers.push(() => sink.close({ timeoutMs: 1000 }).catch(() => undefined));
    await expect(sink.ready).rejects.toThrow(/UNIQUE constraint failed/);
    await expect(sink.write(makeEvents(1))).rejects.toThrow(/UNIQUE constraint failed/);
  });
});

describe('database check (real PostgreSQL)', () => {
  it('migrate: true with the database unreachable at start: the sink starts, spools what it is given, and migrates then delivers when the database answers (found by a probe: ready rejected and a transport lost its lines)', async () => {
    const { db, proxy, url } = await proxiedDatabase();
    proxy.cut();
    const { sink, errors } = await openSink({ url, migrate: true });
    expect(errors[0]).toMatchObject({ code: 'SINK_DB' });
    expect(await sink.write(makeEvents(4))).toEqual({ accepted: 4, rejected: 0 });
    expect(sink.stats()).toMatchObject({ spooledEvents: 4, committed: 0 });
    await until('the outage', () => sink.stats().outageSince !== undefined);
    proxy.restore();
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 4 });
    expect((await db.query('SELECT count(*)::int AS n FROM security_audit_events')).rows).toEqual([{ n: 4 }]);
  });

  it('migrate: true with the database unreachable at start and its tables drifted: the postponed migration holds the events and says SINK_SCHEMA_DRIFT, not an unreachable database', async () => {
    const { db, proxy, url } = await proxiedDatabase();
    const first = createSink({ url: db.url, migrate: true, spool: { dir: await spoolDir() } });
    await first.ready;
    await first.close();
    await db.query('ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE varchar(8)');
    proxy.cut();
    const { sink } = await openSink({ url, migrate: true, checkIntervalMs: 0 });
    expect(await sink.write(makeEvents(2))).toEqual({ accepted: 2, rejected: 0 });
    proxy.restore();
    await until('the drift found by the postponed migration', () => sink.stats().lastError?.code === 'SINK_SCHEMA_DRIFT');
    expect(sink.stats().lastError?.message).toContain('security_audit_events.user_id: narrower');
    expect(sink.stats()).toMatchObject({ committed: 0, rejected: 0, spooledEvents: 2 });
    expect((await db.query('SELECT count(*)::int AS n FROM security_audit_events')).rows).toEqual([{ n: 0 }]);
  });

  it('a database unreachable at start is an outage before any write, and ends when it answers, still without a write', async () => {
    const { db, proxy, url } = await proxiedDatabase();
    const migrated = createSink({ url: db.url, migrate: true, spool: { dir: await spoolDir() } });
    await migrated.ready;
    await migrated.close();
    proxy.cut();
    // migrate: false, as for any server database: ready resolves with the database down (events are spooled meanwhile).
    const { sink, errors } = await openSink({ url });
    await until('the outage', () => sink.stats().outageSince !== undefined);
    expect(sink.stats()).toMatchObject({ received: 0, retries: 0, lastError: { code: 'SINK_DB', message: expect.stringMatching(/^postgres: /) } });
    expect(errors[0]).toBeInstanceOf(SinkError);
    // It keeps checking (with the retry backoff) while the database is down.
    await until('a second failed check', () => errors.length >= 2);
    proxy.restore();
    await until('the end of the outage', () => sink.stats().outageSince === undefined);
    expect(sink.stats()).toMatchObject({ received: 0, committed: 0, batches: 0 });
    // The outage was real: writes now commit at once.
    await sink.write(makeEvents(3));
    await sink.flush();
    expect(sink.stats().committed).toBe(3);
  });

  it('a database without the audit tables is SINK_NOT_MIGRATED, naming the tables and the command; migrate() ends it', async () => {
    const db = await createTempDatabase('at_check');
    closers.push(() => db.drop());
    const { sink, errors } = await openSink({ url: db.url });
    await until('the outage', () => sink.stats().outageSince !== undefined);
    const err = errors[0] as SinkError;
    expect(err.code).toBe('SINK_NOT_MIGRATED');
    expect(err.message).toContain('security_audit_events, security_audit_rejects do not exist');
    expect(err.message).toContain('audit-trail migrate --db URL');
    await sink.migrate();
    await until('the end of the outage', () => sink.stats().outageSince === undefined);
    // Only the audit tables' absence was the matter: one table missing is named alone.
    await db.query('DROP TABLE security_audit_rejects');
    const again = await openSink({ url: db.url });
    await until('the outage', () => again.sink.stats().outageSince !== undefined);
    expect(again.sink.stats().lastError?.message).toMatch(/the audit table\(s\) security_audit_rejects do not exist/);
  });

  it('a sink that does not migrate writes nothing into drifted tables: its events stay spooled with the drift as lastError, and are delivered once the table is fixed (found by a probe: the first write went in beside the failing check)', async () => {
    const db = await createTempDatabase('at_check');
    closers.push(() => db.drop());
    const migrated = createSink({ url: db.url, migrate: true, spool: { dir: await spoolDir() } });
    await migrated.ready;
    await migrated.close();
    // What an older or hand-written DDL may hold: a timestamp without time zone, and a user_id narrower than this version's.
    await db.query('ALTER TABLE security_audit_events ALTER COLUMN event_timestamp TYPE timestamp(3) without time zone');
    await db.query('ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE varchar(8)');
    const { sink, errors } = await openSink({ url: db.url, checkIntervalMs: 0 });
    const events = makeEvents(3).map((e, i) => ({ ...e, user_id: `a-user-id-longer-than-8-${i}` }));
    expect(await sink.write(events)).toEqual({ accepted: 3, rejected: 0 });
    await until('the drift reported', () => errors.some((e) => (e as SinkError).code === 'SINK_SCHEMA_DRIFT'));
    expect(sink.stats()).toMatchObject({ committed: 0, rejected: 0, spooledEvents: 3, lastError: { code: 'SINK_SCHEMA_DRIFT' } });
    expect(sink.stats().lastError?.message).toContain('security_audit_events.event_timestamp: different type');
    expect(sink.stats().lastError?.message).toContain('security_audit_events.user_id: narrower');
    expect(sink.stats().outageSince).toBeDefined();
    expect((await db.query('SELECT (SELECT count(*)::int FROM security_audit_events) AS events, (SELECT count(*)::int FROM security_audit_rejects) AS rejects')).rows).toEqual([{ events: 0, rejects: 0 }]);
    // The operator runs the printed statements: the retried write checks again, passes, and delivers all three as events.
    await db.query("ALTER TABLE security_audit_events ALTER COLUMN event_timestamp TYPE timestamptz(3) USING event_timestamp AT TIME ZONE 'UTC'");
    await db.query('ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE varchar(256)');
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 3, rejected: 0 });
    expect(sink.stats().outageSince).toBeUndefined();
    expect((await db.query('SELECT user_id FROM security_audit_events ORDER BY user_id')).rows.map((r) => r.user_id)).toEqual(events.map((e) => e.user_id));
  });

  it('a check that finds the tables drifted under a running sink holds its writes until one passes', async () => {
    const db = await createTempDatabase('at_check');
    closers.push(() => db.drop());
    const { sink } = await openSink({ url: db.url, migrate: true, checkIntervalMs: 100 });
    await sink.write(makeEvents(1));
    await sink.flush();
    await db.query('ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE varchar(8)');
    await until('the drift found by a check', () => sink.stats().lastError?.code === 'SINK_SCHEMA_DRIFT', 5000);
    await sink.write(makeEvents(2).map((e, i) => ({ ...e, user_id: `u${i}` })));
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.stats()).toMatchObject({ committed: 1, rejected: 0, spooledEvents: 2 });
    await db.query('ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE varchar(256)');
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 3, rejected: 0 });
  });

  it('an idle sink checks again after checkIntervalMs: a database gone while nothing was written shows, and its return too', async () => {
    const { proxy, url } = await proxiedDatabase();
    const { sink, errors } = await openSink({ url, migrate: true, checkIntervalMs: 300 });
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.stats().outageSince).toBeUndefined();
    expect(errors).toEqual([]);
    proxy.cut();
    await until('the outage', () => sink.stats().outageSince !== undefined, 3000);
    expect(sink.stats().retries).toBe(0);
    proxy.restore();
    await until('the end of the outage', () => sink.stats().outageSince === undefined, 3000);
    expect(sink.stats()).toMatchObject({ received: 0, committed: 0 });
  });

  it('a check the database never answers counts as a write waiting (writingSince), which health reads as a hang', async () => {
    const { proxy, url } = await proxiedDatabase();
    proxy.hang();
    const { sink } = await openSink({ url });
    await until('the check in flight', () => sink.stats().writingSince !== undefined);
    expect(sink.stats().outageSince).toBeUndefined();
    proxy.restore();
  });

  it('a batch the database hangs on fails at the driver\'s query_timeout and its connection is dropped, without a ROLLBACK queued behind the hung query for another timeout (found by a probe: the outage, and the fallback, began 130 s after the hang)', async () => {
    // Every query the driver is asked for, in order: pg queues a query behind
    // the one in progress, so a ROLLBACK asked for never reaches the wire.
    const pg = (await import('pg')).default;
    const asked: string[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
      asked.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: unknown } | undefined)?.text));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    closers.push(async () => void (pg.Client.prototype.query = query));
    const { proxy, url } = await proxiedDatabase();
    const { sink } = await openSink({ connection: { dialect: 'postgres', connectionString: url, query_timeout: 1500, connectionTimeoutMillis: 1500 }, migrate: true, checkIntervalMs: 0 });
    await sink.write(makeEvents(2));
    await sink.flush();
    proxy.hang();
    const atHang = asked.length;
    await sink.write(makeEvents(3));
    // Its own error, not one from before the hang (a slow migration on a loaded machine).
    await until('the hung batch failing', () => /timeout/i.test(sink.stats().lastError?.message ?? ''), 20_000);
    expect(asked.slice(atHang).length).toBeGreaterThan(0);
    expect(asked.slice(atHang).filter((q) => /ROLLBACK/.test(q))).toEqual([]);
    proxy.restore();
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 5 });
  });

  it('checkIntervalMs 0 turns the check off: nothing is asked of a database nobody writes to', async () => {
    const { proxy, url } = await proxiedDatabase();
    proxy.cut();
    const { sink, errors } = await openSink({ url, checkIntervalMs: 0 });
    await new Promise((r) => setTimeout(r, 700));
    expect(sink.stats().outageSince).toBeUndefined();
    expect(errors).toEqual([]);
    expect(proxy.connections()).toBe(0);
  });

  it('the next check does not keep an idle process alive: a script that writes and flushes without close() exits', async () => {
    const dir = await spoolDir();
    // Before the timer was unref'd this waited for the check forever (the execFile timeout kills it: a failure, not a hang of the suite).
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', join(import.meta.dirname, 'fixtures/idle-exit.ts'), join(dir, 'a.db')], { cwd: REPO, timeout: 20_000 });
    expect(stdout).toBe('1\n');
  });

  it('refuses a checkIntervalMs that is not a non-negative number', () => {
    expect(() => createSink({ url: 'sqlite:/tmp/never.db', checkIntervalMs: -1 })).toThrow(/checkIntervalMs must be a non-negative number/);
    expect(() => createSink({ url: 'sqlite:/tmp/never.db', checkIntervalMs: '30s' as never })).toThrow(/checkIntervalMs must be a non-negative number/);
  });
});

describe('database check (real SQLite files)', () => {
  for (const worker of [true, false]) {
    it(`a table dropped under an idle sink is SINK_NOT_MIGRATED at the next check, and a migrate ends it (${worker ? 'worker thread' : 'in-process'})`, async () => {
      const file = join(await spoolDir(), 'audit.db');
      const { sink, errors } = await openSink({ connection: { dialect: 'sqlite', filename: file, worker }, checkIntervalMs: 200, spool: { dir: `${file}.spool` } });
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.stats().outageSince).toBeUndefined();
      const other = new Database(file);
      other.exec('DROP TABLE security_audit_events');
      other.close();
      await until('the outage', () => sink.stats().outageSince !== undefined, 3000);
      expect(errors.map((e) => (e as SinkError).code)).toContain('SINK_NOT_MIGRATED');
      expect(sink.stats().lastError?.message).toMatch(/^sqlite: the audit table\(s\) security_audit_events do not exist/);
      await sink.migrate();
      await until('the end of the outage', () => sink.stats().outageSince === undefined, 3000);
      await sink.write(makeEvents(2));
      await sink.flush();
      expect(sink.stats().committed).toBe(2);
    });
  }
});

describe('aggregator on a database down at start (real PostgreSQL behind a cut proxy)', () => {
  it('health says degraded with the reason and the log says so before any event; the stop line says how many events stay spooled', async () => {
    const { proxy, url } = await proxiedDatabase();
    proxy.cut();
    const lines: ReceiverLogEntry[] = [];
    const agg = await startAggregator({ sink: url, sinkOptions: { spool: { dir: await spoolDir() } }, forward: { port: 0 }, health: { port: 0 }, log: (e) => lines.push(e) });
    let closed = false;
    closers.push(() => (closed ? Promise.resolve() : agg.close()));
    await until('the outage in the log', () => lines.some((l) => l.msg.startsWith('database failing')));
    const res = await fetch(`http://127.0.0.1:${agg.health!.port}/healthz`);
    const body = (await res.json()) as { status: string; problems: string[] };
    expect(res.status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.problems[0]).toMatch(/^database failing since .* \(SINK_DB: postgres: .*\); events are spooled$/);
    expect(agg.counters.forward.requests).toBe(0);
    await agg.sink.write(makeEvents(4).map((e) => ({ line: JSON.stringify(e), source: 'forward:test' })));
    await agg.close();
    closed = true;
    const stopped = lines.find((l) => l.msg === 'aggregator stopped');
    expect(stopped).toMatchObject({ spooled: { events: 4, bytes: expect.any(Number) } });
    expect((stopped as unknown as { spooled: { bytes: number } }).spooled.bytes).toBeGreaterThan(0);
  }, 30_000);
});
