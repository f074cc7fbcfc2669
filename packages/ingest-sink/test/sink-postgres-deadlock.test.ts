import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createSink, migrateDatabase, type Sink } from '../src/index.js';
import { makeEvent } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';

// Sinks on several nodes write the same events (a resend, two aggregators
// fed by one agent) in other orders: each transaction holds a row the other
// is about to insert, and PostgreSQL ends the cycle by aborting one of them
// (40P01 deadlock_detected, PostgreSQL docs "Deadlocks"). That is a race
// between writers, not a database outage: the batch is run again at once,
// and the sink reports nothing (no retry counted, no lastError, no onError,
// which `serve` logs as "database failing" and /healthz shows as degraded).

let db: Awaited<ReturnType<typeof createTempDatabase>>;
let dir: string;
let cleanup: () => Promise<void>;
let other: pg.Client;
const sinks: Sink[] = [];

beforeEach(async () => {
  db = await createTempDatabase();
  ({ dir, cleanup } = await tempDir());
  await migrateDatabase(db.url);
  other = new pg.Client({ connectionString: db.url });
  other.on('error', () => undefined);
  await other.connect();
});
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  await other.end().catch(() => undefined);
  await db.drop();
  await cleanup();
});

/** What another writer's transaction inserts for an event: the columns the table requires, and the line as the sink stores it. */
function insertAsOtherWriter(e: Record<string, unknown>) {
  return other.query('INSERT INTO security_audit_events (event_id, event_timestamp, event_type, outcome, severity, service, event_json) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    e.event_id,
    e.event_time,
    e.event_type,
    e.outcome,
    e.severity,
    (e.producer as { service: string }).service,
    JSON.stringify(e),
  ]);
}

/** Resolves once a session of the database waits for a row lock (the sink's, behind the other writer's uncommitted row). */
async function untilSinkWaits(): Promise<void> {
  for (;;) {
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [db.name]);
    if (rows[0].n > 0) return;
    await new Promise((r) => setImmediate(r));
  }
}

describe.each(['copy', 'unnest'] as const)('PostgreSQL: a deadlock with another writer (load: %s)', (load) => {
  it('the sink chosen as victim runs its batch again: every event stored once, counted as duplicates, no error reported', async () => {
    const errors: Error[] = [];
    const sink = createSink({ connection: { dialect: 'postgres', connectionString: db.url, load }, spool: { dir }, onError: (e) => errors.push(e), checkIntervalMs: 0 });
    sinks.push(sink);
    let before = sink.stats();
    for (;;) {
      before = sink.stats();
      const [a, b] = [makeEvent(), makeEvent()];
      // The other writer holds b; the sink inserts a, then waits for b; the
      // other writer then inserts a: a cycle. Its own deadlock check comes
      // later than the sink's (PostgreSQL's default is 1 s), so the sink's
      // transaction is the one aborted.
      await other.query('BEGIN');
      await other.query(`SET LOCAL deadlock_timeout = '20s'`);
      await insertAsOtherWriter(b!);
      await sink.write([a!, b!]);
      await untilSinkWaits();
      const mine = await insertAsOtherWriter(a!).then(
        () => true,
        (err: { code?: string }) => {
          // Rarely, the sink's check ran before this insert waited: this
          // session closed the cycle later and was the victim. Start again.
          if (err.code !== '40P01') throw err;
          return false;
        },
      );
      await other.query(mine ? 'COMMIT' : 'ROLLBACK');
      await sink.flush();
      if (!mine) continue;
      const { rows } = await db.query('SELECT event_id::text AS id FROM security_audit_events WHERE event_id = ANY($1::uuid[])', [[a!.event_id, b!.event_id]]);
      expect(rows).toHaveLength(2);
      break;
    }
    const st = sink.stats();
    expect(errors).toEqual([]);
    const delta = (k: 'committed' | 'duplicates' | 'rejected' | 'eventIdConflicts' | 'retries') => st[k] - before[k];
    expect({ committed: delta('committed'), duplicates: delta('duplicates'), rejected: delta('rejected'), eventIdConflicts: delta('eventIdConflicts'), retries: delta('retries') }).toEqual({ committed: 0, duplicates: 2, rejected: 0, eventIdConflicts: 0, retries: 0 });
    expect(st.lastError).toBeUndefined();
    expect(st.outageSince).toBeUndefined();
  });
});
