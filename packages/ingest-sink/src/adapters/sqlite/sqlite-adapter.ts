import { migrationPlan, TRANSPORT_FIELDS, type FoundTables } from '@audit-trail/schema';
import { AUDIT_TABLES, checkDrift, checkTables } from '../check-drift.js';
import type { SqliteConnection } from '../../sink/connection.js';
import type { BatchOutcome, SinkAdapter, WriteBatch } from '../adapter.js';
import { dbError } from '../../sink/errors.js';
import { loadDriver } from '../load-driver.js';
import { packEventRows } from '../../rows/row-chunk.js';
import { openSqliteCore, type CoreBatch, type CoreMigration, type CoreOutcome, type SqliteCore, type SqliteCoreInit } from './sqlite-core.js';
import { CHAIN_ID_INDEX, EVENT_ID_INDEX, RAW_INDEX, SEQ_INDEX, SQLITE_HOLDER, SQLITE_INSERT_EVENT, SQLITE_INSERT_REJECT, SQLITE_STORED_EVENT } from './sqlite-sql.js';
import { SqliteWorkerClient } from './sqlite-worker-client.js';

/** The parts of the SQLite core the adapter calls, in-process or through the worker. */
interface CoreLike {
  migrate(arg: CoreMigration): Promise<FoundTables>;
  describe(tables: string[]): Promise<FoundTables>;
  write(batch: CoreBatch): Promise<CoreOutcome>;
  close(): Promise<void>;
}

/**
 * The core on this thread. Its errors are better-sqlite3's own, raised as
 * the worker's client raises them ({@link dbError}): without the driver's
 * code as `dbCode`, a row SQLite refuses was retried forever instead of
 * being isolated into the rejects table.
 */
function inProcess(core: SqliteCore): CoreLike {
  const run = async <T>(fn: () => T): Promise<T> => {
    try {
      return fn();
    } catch (err) {
      throw dbError('sqlite', err as Error & { code?: string }, err);
    }
  };
  return {
    migrate: (s) => run(() => core.migrate(s)),
    describe: (t) => run(() => core.describe(t)),
    write: (b) => run(() => core.write(b)),
    close: () => run(() => core.close()),
  };
}

/** Opens the core on this thread; a file that cannot be opened is SINK_DB, as the worker's client reports it. */
function openInProcess(Database: unknown, init: SqliteCoreInit): SqliteCore {
  try {
    return openSqliteCore(Database, init);
  } catch (err) {
    throw dbError('sqlite', err as Error & { code?: string }, err);
  }
}

function toCoreBatch(batch: WriteBatch): CoreBatch {
  const events = batch.rounds.length === 1 ? batch.rounds[0]! : batch.rounds.flat();
  return { events: packEventRows(events), sources: events.map((e) => e.source), rejects: batch.rejects.map((r) => ({ source: r.source, reason: r.reason, raw: r.raw, key: r.key })) };
}

/** What the SQLite core needs for a connection: file, busy timeout and the SQL generated from the schema. */
export function sqliteCoreInit(conn: SqliteConnection): SqliteCoreInit {
  return {
    filename: conn.filename,
    busyTimeoutMs: conn.busyTimeoutMs ?? 5000,
    insertEventSql: SQLITE_INSERT_EVENT,
    insertRejectSql: SQLITE_INSERT_REJECT,
    holderSql: SQLITE_HOLDER,
    storedEventSql: SQLITE_STORED_EVENT,
    transportFields: TRANSPORT_FIELDS,
    rawIndex: RAW_INDEX,
    eventIdIndex: EVENT_ID_INDEX,
    chainIdIndex: CHAIN_ID_INDEX,
    seqIndex: SEQ_INDEX,
  };
}

/**
 * SQLite through better-sqlite3: WAL, synchronous=FULL, one IMMEDIATE
 * transaction per batch with a prepared `INSERT ... ON CONFLICT(event_id) DO
 * NOTHING` (an insert that does nothing is a duplicate or an event_id
 * conflict, by what the stored row holds). By default the transactions run in a worker thread.
 */
export async function createSqliteAdapter(conn: SqliteConnection): Promise<SinkAdapter> {
  const Database = await loadDriver<unknown>('better-sqlite3');
  const init = sqliteCoreInit(conn);
  const core: CoreLike = conn.worker === false ? inProcess(openInProcess(Database, init)) : await SqliteWorkerClient.start(init);
  return {
    dialect: 'sqlite',
    // The worker may wait out the busy timeout in a statement: ended then, it aborts the process (SinkAdapter.closeToEnd).
    closeToEnd: true,
    async migrate() {
      checkDrift('sqlite', await core.migrate({ plan: migrationPlan('sqlite'), tables: [...AUDIT_TABLES] }));
    },
    async check() {
      checkTables('sqlite', await core.describe([...AUDIT_TABLES]));
    },
    write(batch): Promise<BatchOutcome> {
      // Not an async function: a suspended one keeps its temporaries, here the
      // packed copy of the batch, which the worker already has, until the reply.
      return core.write(toCoreBatch(batch)).then((out) => ({
        inserted: out.inserted,
        duplicates: out.duplicates,
        conflicts: out.conflicts.map((c) => ({ kind: 'reject', ...c })),
        idConflicts: out.idConflicts.map((c) => ({ kind: 'reject', ...c })),
        rejectsStored: out.rejectsStored,
      }));
    },
    close: () => core.close(),
  };
}
