import { migrationPlan, REJECT_COLUMNS, type FoundTables } from '@audit-trail/schema';
import type { MssqlConnection } from '../../sink/connection.js';
import { dbError, migrationError, SinkError } from '../../sink/errors.js';
import { deadlockRetryPauseMs, isTransientError, sqlServerErrorNumber } from '../../sink/error-kind.js';
import type { EventRow, RejectRow } from '../../sink/prepare.js';
import { conflictReject, idConflictReject, isSameEvent, type BatchOutcome, type SinkAdapter, type WriteBatch } from '../adapter.js';
import { checkDrift, checkTables } from '../check-drift.js';
import { loadDriver } from '../load-driver.js';
import { statementsAfterTables } from '../migration-steps.js';
import type { MssqlDriver, MssqlPool, MssqlTransaction } from './mssql-driver.js';
import {
  CREATE_STAGE,
  DESCRIBE_INDEXES,
  DESCRIBE_TABLES,
  DETECT_BABELFISH,
  driverType,
  DROP_STAGE,
  INSERT_FROM_STAGE,
  isBabelfishAnswer,
  mssqlFoundColumns,
  mssqlFoundIndexes,
  CREATE_REJECT_STAGE,
  INSERT_REJECTS_FROM_STAGE,
  REJECT_INSERT_COLUMNS,
  REJECT_STAGE,
  rowsPerInsert,
  SELECT_CONFLICTS,
  SELECT_STORED,
  STAGE,
  STAGE_COLUMNS,
  valuesInsert,
} from './mssql-sql.js';
import { mssqlPoolConfig } from './pool-config.js';

/** The writer's request timeout (pool-config.ts), which the report/verify reader shares. */
export { DEFAULT_REQUEST_TIMEOUT_MS } from './pool-config.js';

/** Duplicate key: 2601 (unique index) and 2627 (unique constraint; Babelfish uses it for both). */
export function isDuplicateKeyError(err: unknown): boolean {
  const n = sqlServerErrorNumber(err);
  return n === 2601 || n === 2627;
}

/**
 * True for "there is already an object named ..." (2714), "an index named
 * ... already exists" (1913) and "column names in each table must be
 * unique" (2705): another process ran the same migration between its
 * existence check and its CREATE or ADD.
 */
function isAlreadyExistsError(err: unknown): boolean {
  const n = sqlServerErrorNumber(err);
  return n === 2714 || n === 1913 || n === 2705;
}

/**
 * Codes of a connection lost under a request; after one the pool is
 * replaced. mssql's own: `ESOCKET` (tedious' ConnectionError for a socket
 * error while connecting or between requests, wrapSocketError) and
 * `ECONNCLOSED` (a request on a closed pool or connection). And those
 * tedious hands the request in flight itself (tedious/lib/connection.js,
 * the SentClientRequest and SentAttention states' socketError, and
 * cleanupConnection): the socket's own error, `ECONNRESET` (the server
 * reset the connection, or ended it: socketEnd's "socket hang up") or
 * `EPIPE` (written after the server closed it), and `ECLOSE` ("Connection
 * closed before request completed.") for a close without an error. And
 * `EINVALIDSTATE` for a request made on a connection that closed between
 * two requests of the batch's transaction (a server restart while the
 * adapter was between BEGIN and its next statement: tedious' makeRequest,
 * "Requests can only be made in the LoggedIn state, not the Final state");
 * mssql's pool only drops such a connection when it is next acquired. mssql
 * keeps that code when it wraps the error (lib/error/mssql-error.js:
 * `message.code || code`). An earlier comment here said ECONNRESET never
 * came from mssql, and such a batch kept the dead pool (found by a review).
 * Not `ETIMEOUT`: it is also a request that outlasted `requestTimeout`,
 * which tedious cancels on a connection that stays usable, and tearing down
 * the pool for it broke every other batch in flight. Codes:
 * https://github.com/tediousjs/node-mssql#error-codes
 */
const CONNECTION_LOST_CODES: ReadonlySet<unknown> = new Set(['ESOCKET', 'ECONNCLOSED', 'ECONNRESET', 'EPIPE', 'ECLOSE', 'EINVALIDSTATE']);

/** Whether `err` says the connection under the request was lost ({@link CONNECTION_LOST_CODES}). */
function isConnectionLost(err: unknown): boolean {
  return CONNECTION_LOST_CODES.has((err as { code?: unknown } | null | undefined)?.code);
}

/** Attempts of one batch when a concurrent writer wins a race (2601/2627, or a row counted nowhere). */
const MAX_WRITE_ATTEMPTS = 4;

/** A concurrent writer stored one of the batch's rows while it was being written: the batch is run again. */
class ConcurrentWriteError extends Error {
  constructor() {
    super('a row of the batch was stored by a concurrent writer while it was being written');
  }
}

/**
 * How long to wait before running a batch again after a transient error
 * (error-kind.ts isTransientError), by its number and the attempt (from 0).
 * A deadlock victim runs again at once, but for a short jittered pause so
 * the two transactions do not meet again in step. Azure SQL's errors wait 5
 * s, the first retry delay Microsoft recommends
 * (https://learn.microsoft.com/en-us/azure/azure-sql/database/troubleshoot-common-connectivity-issues),
 * 40501 ("service is currently busy") 10 s, as its message asks.
 */
export function transientRetryDelayMs(number: number | undefined, attempt: number, random = Math.random): number {
  if (number === 1205) return deadlockRetryPauseMs(attempt, random);
  return number === 40501 ? 10_000 : 5_000;
}

/** Options the tests use to inject the fake driver (and a clock for the retry pauses). */
export interface MssqlAdapterDeps {
  driver?: MssqlDriver;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * SQL Server / Babelfish through mssql. Per batch, one transaction:
 * staging temp table <- bulk load (or parameterised multi-row INSERTs within
 * 2100 parameters), the stored events of its event_ids read (duplicates and
 * event_id conflicts) and chain position conflicts selected, then
 * `INSERT ... SELECT ... WHERE NOT EXISTS`, rejects inserted, staging dropped,
 * commit. 2601/2627 (a concurrent writer won a race) -> the batch is retried.
 */
export async function createMssqlAdapter(conn: MssqlConnection, deps: MssqlAdapterDeps = {}): Promise<SinkAdapter> {
  const sql = deps.driver ?? (await loadDriver<MssqlDriver>('mssql'));
  const stagingLoad = conn.stagingLoad ?? 'bulk';
  const pause = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let pool: MssqlPool | undefined;
  /** The connect in progress: callers that find no pool meanwhile wait for it instead of each building one (one was leaked; found by a review). */
  let connecting: Promise<MssqlPool> | undefined;
  /** Batches (and checks) running on each pool. */
  const users = new Map<MssqlPool, number>();
  /** Pools replaced after a lost connection, closed when their last user is done. */
  const retired = new Set<MssqlPool>();
  let babelfish: boolean | undefined = conn.babelfish === 'auto' || conn.babelfish === undefined ? undefined : conn.babelfish;

  function getPool(): Promise<MssqlPool> {
    if (closed) return Promise.reject(adapterClosed());
    if (pool?.connected) return Promise.resolve(pool);
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  /**
   * Set by close(): no pool is made after it. A write paused between tries
   * of a transient error (seconds, past the sink's close bound) connected a
   * new pool after close(), which nothing closed (found by a review).
   */
  let closed = false;
  const adapterClosed = () => new SinkError('SINK_CLOSED', 'the SQL Server adapter is closed');

  async function connect(): Promise<MssqlPool> {
    if (pool) retire(pool);
    const p = new sql.ConnectionPool(mssqlPoolConfig(conn));
    p.on('error', () => undefined);
    try {
      await p.connect();
      // Babelfish or SQL Server, unless the connection says (`babelfish: true|false`). Before the pool is
      // kept: kept first, a detection that failed left `babelfish` unset for good and the server taken
      // for SQL Server by migrate() (found by a review); now the next call connects and asks again.
      if (babelfish === undefined) babelfish = isBabelfishAnswer((await new sql.Request(p).batch(DETECT_BABELFISH)).recordset?.[0]);
    } catch (err) {
      await p.close().catch(() => undefined);
      throw err;
    }
    // Closed meanwhile: close() could not see this pool.
    if (closed) {
      await p.close().catch(() => undefined);
      throw adapterClosed();
    }
    pool = p;
    return p;
  }

  /**
   * Stops handing out `p` (the next call connects again) if it is still the
   * current pool, and closes it once no batch runs on it: a mssql pool holds
   * several connections, and closing it under another batch in flight failed
   * that batch too (found by a review).
   */
  function retire(p: MssqlPool): void {
    if (pool === p) pool = undefined;
    if ((users.get(p) ?? 0) === 0) void p.close().catch(() => undefined);
    else retired.add(p);
  }

  /** Runs `fn` on the current pool; a lost connection retires that pool. */
  async function withPool<T>(fn: (p: MssqlPool) => Promise<T>): Promise<T> {
    const p = await getPool();
    users.set(p, (users.get(p) ?? 0) + 1);
    try {
      return await fn(p);
    } catch (err) {
      // This batch holds `p`, so retire() only marks it: closed below, after the last batch on it.
      if (isConnectionLost(err)) retire(p);
      throw err;
    } finally {
      const left = users.get(p)! - 1;
      if (left > 0) users.set(p, left);
      else {
        users.delete(p);
        if (pool !== p) {
          retired.delete(p);
          await p.close().catch(() => undefined);
        }
      }
    }
  }

  const stageTypes = STAGE_COLUMNS.map((c) => driverType(sql, c.type));
  const isDate = STAGE_COLUMNS.map((c) => c.type.toUpperCase().startsWith('DATETIME2'));
  const rejectTypes = REJECT_INSERT_COLUMNS.map((n) => driverType(sql, REJECT_COLUMNS.find((c) => c.name === n)!.type.mssql));

  function stageRow(e: EventRow, ord: number): unknown[] {
    const row: unknown[] = [ord, ...e.values];
    for (let i = 0; i < row.length; i++) if (isDate[i] && typeof row[i] === 'string') row[i] = new Date(row[i] as string);
    return row;
  }

  async function loadStage(tx: MssqlTransaction, events: EventRow[]): Promise<void> {
    const rows = events.map((e, i) => stageRow(e, i));
    if (stagingLoad === 'bulk') {
      const table = new sql.Table(STAGE);
      table.create = false;
      STAGE_COLUMNS.forEach((c, i) => table.columns.add(c.name, stageTypes[i]!, { nullable: c.nullable }));
      for (const r of rows) table.rows.add(...r);
      await new sql.Request(tx).bulk(table);
      return;
    }
    const per = rowsPerInsert(STAGE_COLUMNS.length);
    for (let at = 0; at < rows.length; at += per) {
      const chunk = rows.slice(at, at + per);
      const req = new sql.Request(tx);
      chunk.forEach((r, ri) => r.forEach((v, ci) => req.input(`p${ri * STAGE_COLUMNS.length + ci}`, stageTypes[ci]!, v)));
      await req.query(valuesInsert(STAGE, STAGE_COLUMNS.map((c) => c.name), chunk.length));
    }
  }

  /** Stages the rejects (multi-row INSERTs within 2100 parameters) and moves the new ones in; returns how many went in. */
  async function insertRejects(tx: MssqlTransaction, rejects: RejectRow[]): Promise<number> {
    if (rejects.length === 0) return 0;
    await new sql.Request(tx).batch(CREATE_REJECT_STAGE);
    const width = REJECT_INSERT_COLUMNS.length;
    const per = rowsPerInsert(width);
    for (let at = 0; at < rejects.length; at += per) {
      const chunk = rejects.slice(at, at + per);
      const req = new sql.Request(tx);
      chunk.forEach((r, ri) => [r.source, r.reason, r.raw, r.key].forEach((v, ci) => req.input(`p${ri * width + ci}`, rejectTypes[ci]!, v)));
      await req.query(valuesInsert(REJECT_STAGE, REJECT_INSERT_COLUMNS, chunk.length));
    }
    const moved = await new sql.Request(tx).batch(INSERT_REJECTS_FROM_STAGE);
    // Selected, as the events insert's count is: none in rowsAffected under NOCOUNT (mssql-sql.ts).
    const went = Number(moved.recordset?.[0]?.went);
    return Math.min(rejects.length, Math.max(0, Number.isSafeInteger(went) ? went : (moved.rowsAffected[0] ?? 0)));
  }

  /** Staged rows whose event_id is stored, and whether the stored event is theirs (isSameEvent). */
  async function storedRows(tx: MssqlTransaction, round: EventRow[]): Promise<{ ord: number; same: boolean }[]> {
    const rows = (await new sql.Request(tx).batch(SELECT_STORED)).recordset ?? [];
    return rows.map((r) => ({ ord: Number(r.ord), same: isSameEvent(String(r.stored_json), round[Number(r.ord)]!) }));
  }

  /** Staged rows whose (chain_id, seq) another stored event_id holds, with that event_id. */
  async function heldPositions(tx: MssqlTransaction): Promise<{ ord: number; heldBy: string }[]> {
    const rows = (await new sql.Request(tx).batch(SELECT_CONFLICTS)).recordset ?? [];
    return rows.map((r) => ({ ord: Number(r.ord), heldBy: String(r.held_by) }));
  }

  async function writeOnce(p: MssqlPool, batch: WriteBatch, strict: boolean): Promise<BatchOutcome> {
    const tx = new sql.Transaction(p);
    await tx.begin();
    try {
      let inserted = 0;
      let duplicates = 0;
      const conflicts: RejectRow[] = [];
      const idConflicts: RejectRow[] = [];
      for (const round of batch.rounds) {
        await new sql.Request(tx).batch(CREATE_STAGE);
        await loadStage(tx, round);
        // A row whose event_id is stored is a duplicate or an event_id
        // conflict, never also a chain position conflict.
        const stored = new Set<number>();
        for (const { ord, same } of await storedRows(tx, round)) {
          stored.add(ord);
          if (same) duplicates++;
          else idConflicts.push(idConflictReject(round[ord]!));
        }
        const refused = new Set<number>();
        for (const { ord, heldBy } of await heldPositions(tx)) {
          if (stored.has(ord)) continue;
          conflicts.push(conflictReject(round[ord]!, heldBy));
          refused.add(ord);
        }
        const ins = await new sql.Request(tx).batch(INSERT_FROM_STAGE);
        const selected = Number(ins.recordset?.[0]?.went);
        const open = round.length - stored.size - refused.size;
        // At most the rows left open: an INSTEAD OF trigger can report more.
        const went = Math.min(open, Math.max(0, Number.isSafeInteger(selected) ? selected : (ins.rowsAffected[0] ?? 0)));
        if (went < open) {
          // A row NOT EXISTS skipped that was neither stored nor in conflict
          // above: a concurrent writer committed it in between. Run the batch
          // again, as after 2601/2627; it will be read as stored. A mismatch
          // that outlasts the retries commits on the last attempt rather than
          // fail every batch for ever, once the rows left open are read again:
          // another event under one of their ids or positions is kept as a
          // conflict there too, and only the rest count as duplicates (found
          // by a review).
          if (strict) throw new ConcurrentWriteError();
          const late = new Set<number>();
          for (const { ord, same } of await storedRows(tx, round)) {
            if (stored.has(ord) || refused.has(ord)) continue;
            late.add(ord);
            if (same) continue;
            idConflicts.push(idConflictReject(round[ord]!));
            refused.add(ord);
          }
          for (const { ord, heldBy } of await heldPositions(tx)) {
            if (stored.has(ord) || refused.has(ord) || late.has(ord)) continue;
            conflicts.push(conflictReject(round[ord]!, heldBy));
            refused.add(ord);
          }
          duplicates += Math.max(0, round.length - stored.size - refused.size - went);
        }
        inserted += went;
        await new sql.Request(tx).batch(DROP_STAGE);
      }
      const found = [...conflicts, ...idConflicts];
      const rejectsStored = await insertRejects(tx, found.length ? [...batch.rejects, ...found] : batch.rejects);
      await tx.commit();
      return { inserted, duplicates, conflicts, idConflicts, rejectsStored };
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    }
  }

  /** The audit tables' columns and indexes as the catalog has them (none for a table that does not exist). */
  async function describeTables(p: MssqlPool): Promise<FoundTables> {
    const columns = mssqlFoundColumns((await new sql.Request(p).batch(DESCRIBE_TABLES)).recordset ?? []);
    return { columns, indexes: mssqlFoundIndexes((await new sql.Request(p).batch(DESCRIBE_INDEXES)).recordset ?? [], babelfish === true) };
  }

  /** Creates what is missing (tables, missing nullable columns, indexes), then checks the columns for drift. */
  async function migrateOnce(p: MssqlPool): Promise<void> {
    // Each statement checks before it creates (IF OBJECT_ID ... IS NULL), so
    // two processes migrating at once (replicas starting together) can both
    // pass the check; the loser's CREATE fails as already existing. Running
    // the statements again then finds everything made. No lock: Babelfish's
    // support for sp_getapplock cannot be checked here.
    const describe = () => describeTables(p);
    const plan = migrationPlan('mssql', { babelfish: babelfish === true });
    for (let attempt = 0; ; attempt++) {
      try {
        for (const stmt of plan.tables) await new sql.Request(p).batch(stmt);
        for (const stmt of statementsAfterTables(plan, (await describe()).columns)) await new sql.Request(p).batch(stmt);
        break;
      } catch (err) {
        if (!isAlreadyExistsError(err) || attempt >= 2) throw err;
      }
    }
    checkDrift('mssql', await describe());
  }

  return {
    dialect: 'mssql',
    async migrate() {
      try {
        await withPool(migrateOnce);
      } catch (err) {
        // Typed as a write's errors are (an unknown server, a refused login): SINK_DB, the driver's error as cause.
        throw err instanceof SinkError ? err : migrationError('mssql', err as Error & { code?: string });
      }
    },
    async check() {
      let found;
      try {
        found = await withPool(describeTables);
      } catch (err) {
        throw err instanceof SinkError ? err : dbError('mssql', err as Error & { code?: string }, err);
      }
      checkTables('mssql', found);
    },
    async write(batch) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await withPool((p) => writeOnce(p, batch, attempt < MAX_WRITE_ATTEMPTS - 1));
        } catch (err) {
          // A concurrent writer inserted the same key between NOT EXISTS and
          // INSERT: run the batch again, it will see the row as stored.
          if ((isDuplicateKeyError(err) || err instanceof ConcurrentWriteError) && attempt < MAX_WRITE_ATTEMPTS - 1) continue;
          // A deadlock victim or an Azure SQL transient error: run it again
          // after a pause, here, rather than fail the write, which the sink
          // counts as a database outage (delivery.ts).
          if (isTransientError(err) && attempt < MAX_WRITE_ATTEMPTS - 1 && !closed) {
            await pause(transientRetryDelayMs(sqlServerErrorNumber(err), attempt));
            continue;
          }
          if (err instanceof SinkError) throw err;
          throw dbError('mssql', err as Error & { code?: string }, err);
        }
      }
    },
    async close() {
      closed = true;
      const open = [...(pool ? [pool] : []), ...retired];
      pool = undefined;
      retired.clear();
      await Promise.all(open.map((p) => p.close().catch(() => undefined)));
    },
  };
}
