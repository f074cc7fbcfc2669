import { INSERT_COLUMNS, migrationPlan, type FoundTables } from '@audit-trail/schema';
import type { PostgresConnection } from '../../sink/connection.js';
import { dbError, DriverMissingError, migrationError, SinkError } from '../../sink/errors.js';
import { deadlockRetryPauseMs, isTransientPostgresError } from '../../sink/error-kind.js';
import type { EventRow, RejectRow } from '../../sink/prepare.js';
import { conflictReject, idConflictReject, isSameEvent, type BatchOutcome, type SinkAdapter, type WriteBatch } from '../adapter.js';
import { AUDIT_TABLES, checkDrift, checkTables } from '../check-drift.js';
import { loadDriver } from '../load-driver.js';
import { statementsAfterTables } from '../migration-steps.js';
import { eventRowViews } from '../../rows/row-chunk.js';
import { copyPieces } from './copy-text.js';
import { pgDriverConfig, PG_POOL_DEFAULTS } from './driver-config.js';
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import {
  PG_CLEAR_STAGE,
  PG_COPY_EVENTS,
  PG_COPY_STAGE,
  PG_CREATE_STAGE,
  PG_HOLDERS,
  PG_INSERT_EVENTS,
  PG_INSERT_FROM_STAGE,
  PG_INSERT_REJECTS,
  PG_DATABASE_ENCODING,
  PG_DESCRIBE_INDEXES,
  PG_DESCRIBE_TABLES,
  PG_MIGRATION_LOCK,
  PG_STORED_IDS,
  PG_UNIQUE_VIOLATION,
  pgBeginAlone,
  PG_BEGIN_WRITE,
} from './postgres-sql.js';

/** The small part of pg's API the adapter uses. */
interface PgClient {
  query<T extends Writable>(stream: T): T;
  query(text: string | { name?: string; text: string; values?: unknown[] }, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  release(err?: Error | boolean): void;
  on(event: 'error', fn: (err: Error) => void): void;
}
interface PgPool {
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on(event: 'error', fn: (err: Error) => void): void;
}
interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPool;
}

/** Column-major arrays of a batch (one array per insert column). */
function columns(events: readonly EventRow[]): unknown[][] {
  const cols: unknown[][] = INSERT_COLUMNS.map(() => new Array(events.length));
  events.forEach((e, r) => e.values.forEach((v, c) => (cols[c]![r] = v)));
  return cols;
}

/** `pg-copy-streams`'s `from(sql)`: a Writable that a pg client runs as COPY FROM STDIN. */
type CopyFrom = (sql: string) => Writable;

/** {@link copyPieces} as a stream that makes each piece when the COPY asks for it. */
function copyStream(events: readonly EventRow[]): Readable {
  return Readable.from(copyPieces(eventRowViews(events)), { highWaterMark: 1 });
}

/**
 * COPY of a round straight into the events table inside a savepoint (the
 * driver's own best path). False, with the savepoint rolled back, when a row
 * hits a unique index (a stored event_id or a taken chain position): the
 * caller then takes the staging path, which sorts those rows out.
 */
async function copyDirect(c: PgClient, copyFrom: CopyFrom, events: readonly EventRow[]): Promise<boolean> {
  await c.query('SAVEPOINT audit_direct');
  try {
    await pipeline(copyStream(events), c.query(copyFrom(PG_COPY_EVENTS)));
  } catch (err) {
    if ((err as { code?: string }).code !== PG_UNIQUE_VIOLATION) throw err;
    await c.query('ROLLBACK TO SAVEPOINT audit_direct');
    return false;
  }
  await c.query('RELEASE SAVEPOINT audit_direct');
  return true;
}

/** Whether the staging table has been used in the current transaction (it then exists and may hold an earlier round's rows). */
interface StageUse {
  used: boolean;
}

/**
 * COPY of a round into the session staging table, then INSERT ... SELECT ...
 * ON CONFLICT DO NOTHING (measured ~2x the unnest path: bench/sink.ts). The
 * table is created on the transaction's first use of it, whatever round that
 * is: a batch whose first round went in by direct COPY reaches here with no
 * staging table on its connection. Later rounds of the transaction clear it.
 */
async function copyRound(c: PgClient, copyFrom: CopyFrom, events: readonly EventRow[], stage: StageUse) {
  await c.query(stage.used ? PG_CLEAR_STAGE : PG_CREATE_STAGE);
  stage.used = true;
  await pipeline(copyStream(events), c.query(copyFrom(PG_COPY_STAGE)));
  return c.query(PG_INSERT_FROM_STAGE);
}

/** Conflict rejects of a batch, by kind. */
interface Conflicts {
  chain: RejectRow[];
  id: RejectRow[];
}

/**
 * Inserts one round; returns what went in, the duplicates (conflicts are
 * pushed to `conflicts`), and whether a direct COPY was tried and fell back.
 */
async function insertRound(
  c: PgClient,
  events: readonly EventRow[],
  conflicts: Conflicts,
  copyFrom: CopyFrom | undefined,
  direct: boolean,
  stage: StageUse,
): Promise<{ inserted: number; duplicates: number; fellBack: boolean }> {
  if (copyFrom && direct && (await copyDirect(c, copyFrom, events))) return { inserted: events.length, duplicates: 0, fellBack: false };
  const fellBack = !!copyFrom && direct;
  // Unnamed statements (one parse per batch): a named one is session state,
  // which a pooler in transaction mode (PgBouncer) does not keep; every batch
  // failed with 'prepared statement ... already exists' and was retried forever.
  const res = copyFrom ? await copyRound(c, copyFrom, events, stage) : await c.query({ text: PG_INSERT_EVENTS, values: columns(events) });
  const inserted = res.rows.length;
  if (inserted === events.length) return { inserted, duplicates: 0, fellBack };
  const went = new Set(res.rows.map((r) => String(r.event_id)));
  const missing = events.filter((e) => !went.has(e.eventId));
  const stored = await c.query(PG_STORED_IDS, [missing.map((e) => e.eventId)]);
  const storedJson = new Map(stored.rows.map((r) => [String(r.event_id), String(r.event_json)]));
  const refused: EventRow[] = [];
  let duplicates = 0;
  for (const e of missing) {
    const json = storedJson.get(e.eventId);
    if (json === undefined) refused.push(e);
    else if (isSameEvent(json, e)) duplicates++;
    else conflicts.id.push(idConflictReject(e));
  }
  if (refused.length > 0) {
    const h = await c.query(PG_HOLDERS, [refused.map((e) => e.chainId), refused.map((e) => e.seq)]);
    const holder = new Map(h.rows.map((r) => [`${r.chain_id}/${r.seq}`, String(r.event_id)]));
    for (const e of refused) conflicts.chain.push(conflictReject(e, holder.get(`${e.chainId}/${e.seq}`)));
  }
  return { inserted, duplicates, fellBack };
}

/**
 * Attempts of one batch chosen as a deadlock victim (40P01) or failing
 * serialisation (40001) before the error goes to the sink, which counts it
 * as a database outage. Sinks of several nodes resending the same events in
 * other orders wait on each other's rows: 4 sinks sending the same 12 000
 * events in other orders (a multi-writer probe) met 39 deadlocks, each logged
 * by `serve` as "database failing" with `/healthz` degraded, and run again
 * as they were they deadlocked again (5000-row batches: 90 s for the load).
 * A batch run again therefore takes the writers' lock exclusively
 * ({@link pgBeginAlone}): it waits for the batches in flight and runs
 * alone, so it is not a victim again (the same probe: 5 deadlocks, each
 * settled by one more attempt, 9 s). More attempts are for writers that do
 * not take that lock (an older sink, another program).
 */
const MAX_WRITE_ATTEMPTS = 4;

/** Batches that skip the direct COPY after one fell back (a resend or replay usually comes in a run of batches). */
const DIRECT_PAUSE_BATCHES = 10;

/** Clients given a listener of their own for 'error' (once each: the pool hands the same clients out again). */
const heard = new WeakSet<PgClient>();

/** The audit tables' columns and indexes as the catalog has them (none for a table that does not exist). */
async function describeTables(c: PgClient): Promise<FoundTables> {
  const { rows } = await c.query(PG_DESCRIBE_TABLES, [...AUDIT_TABLES]);
  const columns = (rows as { table_name: string; name: string; type: string; nullable: boolean; has_default: boolean; view: boolean }[]).map((r) => ({
    table: r.table_name,
    name: r.name,
    type: r.type,
    nullable: r.nullable,
    hasDefault: r.has_default,
    view: r.view,
  }));
  const ix = await c.query(PG_DESCRIBE_INDEXES, [...AUDIT_TABLES]);
  const indexes = (ix.rows as { table_name: string; name: string; unique: boolean; usable: boolean; columns: string[]; predicate: string | null }[]).map((r) => ({
    table: r.table_name,
    name: r.name,
    unique: r.unique,
    usable: r.usable,
    columns: r.columns,
    where: r.predicate ?? undefined,
  }));
  return { columns, indexes };
}

/**
 * Refuses a database whose encoding is not UTF8 (PG_DATABASE_ENCODING says
 * why): `SINK_SCHEMA_DRIFT`, as for a column that cannot hold what this
 * version writes, naming what to create instead.
 */
async function checkEncoding(c: PgClient): Promise<void> {
  const { rows } = await c.query(PG_DATABASE_ENCODING);
  const encoding = (rows as { encoding?: string }[])[0]?.encoding;
  if (encoding === undefined || encoding === 'UTF8') return;
  throw new SinkError(
    'SINK_SCHEMA_DRIFT',
    `postgres: the database's encoding is ${encoding}, not UTF8: its VARCHAR columns cannot hold every event the schema accepts (${encoding === 'SQL_ASCII' ? 'their widths count bytes there, not characters' : 'characters outside it have no equivalent'}), so valid events would be refused into the rejects. Store the audit tables in a UTF8 database: CREATE DATABASE audit ENCODING 'UTF8' TEMPLATE template0 (with an LC_COLLATE and LC_CTYPE that suit UTF8, e.g. 'C.UTF-8')`,
  );
}

/** A driver's error typed as the sink raises it (an unknown database, a refused login): SINK_DB, the driver's error as cause. */
function asSinkError(err: Error & { code?: string }): never {
  throw err instanceof SinkError ? err : dbError('postgres', err, err);
}

/** A client of the pool, listened to for 'error'. */
async function connect(pool: PgPool): Promise<PgClient> {
  const client = await pool.connect();
  // pg-pool takes its own 'error' listener off a client it hands out, so a
  // connection lost mid-batch (a network cut, a server restart) would be an
  // unheard 'error' event, which crashes the process (pg docs, "Pool:
  // client.on('error')"). The batch learns of it anyway: the query in flight
  // or the next one fails, the ROLLBACK too, and the client is destroyed.
  if (!heard.has(client)) {
    client.on('error', () => undefined);
    heard.add(client);
  }
  return client;
}

/** Runs `fn` on a client outside any transaction (one read); a client that failed is destroyed, not pooled again. */
async function onClient<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  try {
    const out = await fn(client);
    client.release();
    return out;
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
}

async function inTransaction<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await connect(pool);
  try {
    await client.query(begin);
    const out = await fn(client);
    await client.query('COMMIT');
    client.release();
    return out;
  } catch (err) {
    // An error of the client's own (pg's query_timeout, a socket gone) says
    // nothing of the session's state, and a ROLLBACK would queue behind the
    // query still waiting: on a hung server it waited out a second
    // query_timeout, and the outage (and the fallback's afterMs) began
    // minutes after the hang (found by a probe). The connection is
    // destroyed instead; the server ends its transaction with it.
    if (!fromServer(err)) {
      client.release(err as Error);
      throw err;
    }
    // A failed ROLLBACK means the connection is gone: destroy it, the pool reconnects.
    const broken = await client.query('ROLLBACK').then(() => false, () => true);
    client.release(broken ? (err as Error) : undefined);
    throw err;
  }
}

/** An error the server sent (a SQLSTATE and a severity), as opposed to one of pg's own: the session still answers. */
function fromServer(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown };
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/**
 * PostgreSQL through pg: one transaction per batch. With pg-copy-streams
 * installed, a batch is first COPYed straight into the events table (in a
 * savepoint); when that meets a duplicate, it is COPYed into a session
 * staging table instead and moved with `INSERT ... SELECT ... ON CONFLICT DO
 * NOTHING RETURNING event_id` (without pg-copy-streams: one array per column,
 * `unnest`ed). Rows that did not go in are duplicates when their event_id is
 * stored with the same event, event_id conflicts when it holds another, and
 * otherwise chain position conflicts; both kinds of conflict go to the
 * rejects table.
 * A lost connection is dropped from the pool and the next attempt reconnects.
 * All state is the transaction's (unnamed statements, `CREATE TEMP TABLE IF
 * NOT EXISTS` in each transaction that stages, transaction-scoped advisory
 * lock), so a pooler in transaction mode (PgBouncer) may sit in between.
 */
export async function createPostgresAdapter(conn: PostgresConnection): Promise<SinkAdapter> {
  const pg = await loadDriver<PgModule>('pg');
  const load = conn.load ?? 'auto';
  // COPY needs pg-copy-streams (optional); without it, the unnest path.
  let copyFrom: CopyFrom | undefined;
  if (load !== 'unnest') {
    try {
      copyFrom = ((await import('pg-copy-streams')) as unknown as { from: CopyFrom }).from;
    } catch (err) {
      if (load === 'copy') throw new DriverMissingError('pg-copy-streams', err);
    }
  }
  const pool = new pg.Pool(pgDriverConfig(conn, PG_POOL_DEFAULTS));
  // An idle client losing its connection emits 'error' on the pool; without a
  // listener that would crash the process (pg docs, "pool.on('error')").
  pool.on('error', () => undefined);
  let directPause = 0;
  let closed = false;

  return {
    dialect: 'postgres',
    async migrate() {
      // One transaction under the advisory lock (tables, then per table its
      // missing nullable columns and indexes, then the columns as they are);
      // it commits whatever the drift check finds: what it created is right
      // either way.
      const found = await inTransaction(pool, async (c) => {
        await c.query(PG_MIGRATION_LOCK);
        await checkEncoding(c);
        const plan = migrationPlan('postgres');
        for (const sql of plan.tables) await c.query(sql);
        for (const sql of statementsAfterTables(plan, (await describeTables(c)).columns)) await c.query(sql);
        return describeTables(c);
      }).catch((err: Error & { code?: string }) => {
        throw err instanceof SinkError ? err : migrationError('postgres', err);
      });
      checkDrift('postgres', found);
    },
    async check() {
      const found = await onClient(pool, async (c) => {
        await checkEncoding(c);
        return describeTables(c);
      }).catch(asSinkError);
      checkTables('postgres', found);
    },
    async write(batch): Promise<BatchOutcome> {
      for (let attempt = 0; ; attempt++) {
        try {
          return await writeOnce(batch, attempt);
        } catch (err) {
          // PostgreSQL rolled this batch back to break a cycle of lock waits
          // with another writer; running it again (alone) is all it asks.
          if (isTransientPostgresError(err) && attempt < MAX_WRITE_ATTEMPTS - 1 && !closed) {
            await new Promise((r) => setTimeout(r, deadlockRetryPauseMs(attempt)));
            continue;
          }
          throw err;
        }
      }
    },
    close() {
      closed = true;
      return pool.end();
    },
  };

  /** One transaction of a batch; a run again (`attempt` from 1) takes the writers' lock exclusively. */
  function writeOnce(batch: WriteBatch, attempt: number): Promise<BatchOutcome> {
    return inTransaction(pool, async (c) => {
      let inserted = 0;
      let duplicates = 0;
      const conflicts: Conflicts = { chain: [], id: [] };
      const direct = directPause === 0;
      if (directPause > 0) directPause--;
      const stage: StageUse = { used: false };
      for (const [i, round] of batch.rounds.entries()) {
        // Later rounds exist only for repeated chain positions and event_ids: they conflict, so go straight to staging.
        const r = await insertRound(c, round, conflicts, copyFrom, direct && i === 0, stage);
        if (r.fellBack) directPause = DIRECT_PAUSE_BATCHES;
        inserted += r.inserted;
        duplicates += r.duplicates;
      }
      const found = [...conflicts.chain, ...conflicts.id];
      const rejects = found.length ? [...batch.rejects, ...found] : batch.rejects;
      let rejectsStored = 0;
      if (rejects.length > 0) {
        const r = await c.query({ text: PG_INSERT_REJECTS, values: [rejects.map((r) => r.source), rejects.map((r) => r.reason), rejects.map((r) => r.raw), rejects.map((r) => r.key)] });
        rejectsStored = r.rowCount ?? 0;
      }
      return { inserted, duplicates, conflicts: conflicts.chain, idConflicts: conflicts.id, rejectsStored };
    }, attempt > 0 ? pgBeginAlone(attempt) : PG_BEGIN_WRITE).catch(asSinkError);
  }
}
