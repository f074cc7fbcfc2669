import type { PackedRows } from '../../rows/packed-rows.js';
import type { FoundTables, MigrationPlan } from '@audit-trail/schema';

/** What the SQLite core needs: file, busy timeout and the SQL generated from the schema. */
export interface SqliteCoreInit {
  filename: string;
  busyTimeoutMs: number;
  insertEventSql: string;
  insertRejectSql: string;
  /** `SELECT event_id FROM events WHERE chain_id = ? AND seq = ?`. */
  holderSql: string;
  /** `SELECT event_json FROM events WHERE event_id = ?`: what a stored event_id holds, to tell a duplicate from an event_id conflict. */
  storedEventSql: string;
  /** Fields beside an event that are not part of it (schema TRANSPORT_FIELDS), for same-event.js. */
  transportFields: readonly string[];
  /** Indexes in an event's values of event_json (the raw line, for conflict rejects), event_id, chain_id and seq. */
  rawIndex: number;
  eventIdIndex: number;
  chainIdIndex: number;
  seqIndex: number;
}

/** A reject row as the core inserts it. */
export interface CoreReject {
  source: string;
  reason: string;
  raw: string;
  /** reject-key.js of the three above. */
  key: string;
}

/**
 * A batch as the core executes it. It crosses to the worker thread, so it is
 * kept lean: the events' values packed (packed-rows.js; event_id, chain_id
 * and seq are read from them by index) and the events' sources (only used
 * for conflict rejects) as one parallel array.
 */
export interface CoreBatch {
  events: PackedRows;
  sources: string[];
  rejects: CoreReject[];
}

/** Outcome of one committed transaction. */
export interface CoreOutcome {
  inserted: number;
  duplicates: number;
  /** Chain position conflicts, already inserted into the rejects table (unless their key was stored). */
  conflicts: CoreReject[];
  /** event_id conflicts (stored with another event), already inserted into the rejects table (unless their key was stored). */
  idConflicts: CoreReject[];
  /** Reject rows inserted. */
  rejectsStored: number;
}

/** What {@link SqliteCore.migrate} runs and describes. */
export interface CoreMigration {
  plan: MigrationPlan;
  tables: string[];
}

/** An open SQLite sink database. */
export interface SqliteCore {
  /** Runs `plan` (tables, then per table the addable columns it lacks and its indexes) in one transaction and returns the columns and indexes of `tables` as they then are. */
  migrate(arg: CoreMigration): FoundTables;
  /** The columns and indexes of `tables` as they are, in one read transaction (none for a table that does not exist). */
  describe(tables: string[]): FoundTables;
  write(batch: CoreBatch): CoreOutcome;
  close(): void;
}

/** Page size of a database the sink creates (SQLite applies it to new databases only). */
export const SQLITE_PAGE_SIZE: number;

/** WAL size between automatic checkpoints, in bytes. */
export const SQLITE_CHECKPOINT_BYTES: number;

/** Sets the pragmas of every sink connection: page size (new databases), WAL, synchronous=FULL, WAL autocheckpoint. */
export function applySqlitePragmas(db: { pragma(source: string, options?: { simple?: boolean }): unknown }): void;

/** Opens the database (WAL, synchronous=FULL) and prepares the sink's statements. */
export function openSqliteCore(Database: unknown, init: SqliteCoreInit): SqliteCore;
