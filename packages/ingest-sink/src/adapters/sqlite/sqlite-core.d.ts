import type { ColumnValue } from '@audit-trail/schema';

/** What the SQLite core needs: file, busy timeout and the SQL generated from the schema. */
export interface SqliteCoreInit {
  filename: string;
  busyTimeoutMs: number;
  insertEventSql: string;
  insertRejectSql: string;
  /** `SELECT event_id FROM events WHERE chain_id = ? AND seq = ?`. */
  holderSql: string;
  /** Index of event_json in an event's values (the raw line, for conflict rejects). */
  rawIndex: number;
}

/** A reject row as the core inserts it. */
export interface CoreReject {
  source: string;
  reason: string;
  raw: string;
}

/** A batch as the core executes it (structured-clone friendly: it crosses to the worker). */
export interface CoreBatch {
  events: { values: ColumnValue[]; eventId: string; chainId: string | null; seq: number | null; source: string }[];
  rejects: CoreReject[];
}

/** Outcome of one committed transaction. */
export interface CoreOutcome {
  inserted: number;
  duplicates: number;
  /** Chain position conflicts, already inserted into the rejects table. */
  conflicts: CoreReject[];
}

/** An open SQLite sink database. */
export interface SqliteCore {
  migrate(statements: string[]): void;
  write(batch: CoreBatch): CoreOutcome;
  close(): void;
}

/** Opens the database (WAL, synchronous=FULL) and prepares the sink's statements. */
export function openSqliteCore(Database: unknown, init: SqliteCoreInit): SqliteCore;
