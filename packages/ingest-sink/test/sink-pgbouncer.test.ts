// The PostgreSQL sink behind a pooler in transaction mode (real PgBouncer from
// Debian): consecutive transactions of one client may run on different
// server sessions, and those of different clients on the same one, so the
// sink may keep no session state (named prepared statements, above all).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink } from '../src/index.js';
import { makeEvents } from './helpers/events.js';
import { startPgBouncer } from './helpers/pgbouncer.js';
import { createTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';

let db: Awaited<ReturnType<typeof createTempDatabase>>;
let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  db = await createTempDatabase('at_pgb');
  bouncer = await startPgBouncer();
  ({ dir, cleanup } = await tempDir('at-pgb-'));
});
afterEach(async () => {
  await bouncer.close();
  await db.drop();
  await cleanup();
});

describe('PostgreSQL sink through PgBouncer (pool_mode = transaction)', () => {
  it.each(['copy', 'unnest'] as const)('%s: migrates, delivers batches with rejects and resends (two in flight on two clients), every event once', async (load) => {
    const url = `${db.url.replace(':5432/', `:${bouncer.port}/`)}?load=${load}`;
    const errors: string[] = [];
    const sink = createSink({ url, migrate: true, spool: { dir }, batch: { maxRows: 150, maxDelayMs: 1 }, retry: { initialDelayMs: 10, maxDelayMs: 100 }, onError: (e) => errors.push(e.message) });
    await sink.ready;
    const events = makeEvents(2000);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < events.length; i += 100) writes.push(sink.write([...events.slice(i, i + 100), `not an event ${i}`, ...events.slice(Math.max(0, i - 20), i)]));
    await Promise.all(writes);
    // Bounded: the fault this guards against retried every batch forever.
    const flushed = await Promise.race([sink.flush().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20_000))]);
    expect(errors).toEqual([]);
    expect(flushed).toBe(true);
    const { rows } = await db.query('SELECT event_id::text AS id FROM security_audit_events');
    expect(rows.length).toBe(2000);
    expect(new Set(rows.map((r) => r.id as string))).toEqual(new Set(events.map((e) => e.event_id as string)));
    expect((await db.query('SELECT count(*)::int AS n FROM security_audit_rejects')).rows[0].n).toBe(20);
    // Each write after the first resends the 20 events before it.
    expect(sink.stats()).toMatchObject({ received: 2400, committed: 2000, duplicates: 380, rejected: 20, retries: 0 });
    await sink.close();
  }, 40_000);
});
