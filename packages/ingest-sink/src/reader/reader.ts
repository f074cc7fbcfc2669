import type { Dialect } from '@audit-trail/schema';

/** A query as drivers take it: `$n` placeholders with positional values (PostgreSQL) or `@name` with named values. */
export interface ReadQuery {
  text: string;
  positional?: readonly unknown[];
  named?: Readonly<Record<string, unknown>>;
}

/** A row as the driver returns it, keyed by column name. */
export type Row = Record<string, unknown>;

/**
 * Read-only access to the audit tables, for reports and `verify --db`. It
 * never writes: SQLite files are opened read-only, and server connections
 * only run the SELECTs they are given.
 */
export interface AuditReader {
  readonly dialect: Dialect;
  /**
   * Every query reads one snapshot of the database, taken at the first
   * (`openReader(target, { snapshot: true })`): PostgreSQL in a REPEATABLE
   * READ READ ONLY transaction, SQLite in a read transaction. False on SQL
   * Server, whose snapshot isolation is a database option that is off by
   * default, and when no snapshot was asked for.
   */
  readonly snapshot?: boolean;
  /** Runs one query and returns all its rows. */
  query(q: ReadQuery): Promise<Row[]>;
  /**
   * Runs one query and yields its rows as the driver reads them, so a result
   * larger than memory can be written out row by row (`audit-trail report`):
   * SQLite steps the statement (better-sqlite3 `iterate()`), PostgreSQL
   * fetches from a server-side cursor a page at a time. SQL Server reads the
   * whole result first, as {@link query} does. Stopping early (`break`)
   * closes the statement or cursor. Run no other query on the reader until
   * the iteration ends: SQLite refuses one while a statement is stepping.
   */
  iterate(q: ReadQuery): AsyncIterable<Row>;
  /** Closes the connection. */
  close(): Promise<void>;
}
