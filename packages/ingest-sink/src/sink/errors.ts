import type { ColumnDrift, Dialect } from '@audit-trail/schema';
import { sqlServerErrorNumber } from './error-kind.js';

/** Codes of every error the sink raises; stable, for programs that branch on them. */
export type SinkErrorCode =
  | 'SINK_DRIVER_MISSING'
  | 'SINK_BAD_URL'
  | 'SINK_BAD_OPTION'
  | 'SINK_BAD_ITEM'
  | 'SINK_SPOOL_FULL'
  | 'SINK_SPOOL_IO'
  | 'SINK_SPOOL_FOREIGN'
  | 'SINK_CLOSED'
  | 'SINK_DB'
  | 'SINK_SCHEMA_DRIFT'
  | 'SINK_NOT_MIGRATED'
  | 'SINK_FORWARD_FAILED'
  | 'SINK_FORWARD_TIMEOUT';

/** Base class of the sink's errors: an `Error` with a stable `code`. */
export class SinkError extends Error {
  override name = 'SinkError';
  constructor(
    readonly code: SinkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `SINK_SPOOL_IO` for a failure of the spool's (or the partial-line journal's) files, with the system's reason (ENOSPC, EACCES...). */
export function spoolIoError(what: string, err: unknown): SinkError {
  if (err instanceof SinkError) return err;
  return new SinkError('SINK_SPOOL_IO', `${what}: ${(err as Error).message}`, { cause: err });
}

/** A database URL was used whose driver (an optional peer dependency) is not installed. */
export class DriverMissingError extends SinkError {
  override name = 'DriverMissingError';
  constructor(readonly packageName: string, cause?: unknown) {
    super('SINK_DRIVER_MISSING', `the database driver "${packageName}" is not installed; run: npm install ${packageName}`, { cause });
  }
}

/** The spool reached `spool.maxBytes` and the policy is `reject`: the caller keeps the items. */
export class SpoolFullError extends SinkError {
  override name = 'SpoolFullError';
  constructor(readonly spooledBytes: number, readonly maxBytes: number) {
    super('SINK_SPOOL_FULL', `spool is full (${spooledBytes} of ${maxBytes} bytes); nothing of this write was accepted`);
  }
}

/** `write()` after `close()`. */
export class SinkClosedError extends SinkError {
  override name = 'SinkClosedError';
  constructor(message = 'the sink is closed') {
    super('SINK_CLOSED', message);
  }
}

/** What a drift entry is about, as the message names it: `table.column`, `table index name`, or the table a view holds. */
function driftSubject(d: ColumnDrift): string {
  return d.kind === 'view' ? d.table : d.kind === 'index' ? `${d.table} index ${d.column}` : `${d.table}.${d.column}`;
}

/** How many entries of each kind: `2 column(s)`, `1 column(s) and 1 unique index(es)`, `1 view(s)`. */
function driftCount(drift: readonly ColumnDrift[]): string {
  const count = (kind: ColumnDrift['kind']) => drift.filter((d) => d.kind === kind).length;
  const parts: [number, string][] = [
    [count(undefined), 'column(s)'],
    [count('index'), 'unique index(es)'],
    [count('view'), 'view(s) in place of a table'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(' and ');
}

/**
 * `migrate()` found tables made by an earlier version (or by hand) that
 * cannot hold what this version writes: columns missing, narrower, of
 * another type, NOT NULL where values may be absent, or an operator's own
 * NOT NULL without a default; a unique index the writer relies on missing
 * or not unique; a view where a table should be. `drift` lists each with
 * the statement that fixes it; the message lists them too, so an operator
 * can run them and migrate again. The sink does not alter a table itself:
 * on a large table that rewrites every row under an exclusive lock, a
 * decision for whoever runs the database.
 */
export class SchemaDriftError extends SinkError {
  override name = 'SchemaDriftError';
  constructor(
    readonly dialect: Dialect,
    readonly drift: readonly ColumnDrift[],
  ) {
    super(
      'SINK_SCHEMA_DRIFT',
      `${dialect}: ${driftCount(drift)} of the existing audit tables cannot hold what this version writes:\n` +
        drift.map((d) => `  ${driftSubject(d)}: ${d.problem}`).join('\n') +
        `\nRun these statements once (one that changes a column's type rewrites the table under an exclusive lock), then migrate again:\n` +
        drift.map((d) => `  ${d.fix}`).join('\n'),
    );
  }
}

/** The Fluent forward fallback did not get an ack in time, or the server refused the login. */
export class ForwardError extends SinkError {
  override name = 'ForwardError';
}

/**
 * A failure the database reported, as the sink raises it: `SINK_DB`, the
 * message prefixed with the dialect, and the driver's code (SQLSTATE,
 * `SQLITE_*`, a tedious code) as `dbCode`, which is what tells a data error
 * (the row is isolated into the rejects table) from an outage (retried):
 * error-kind.ts. Every adapter raises its driver's errors through this, in
 * the writer thread's client as in-process.
 */
export function dbError(dialect: Dialect, err: { message: string; code?: unknown }, cause?: unknown): SinkError & { dbCode: unknown } {
  return Object.assign(new SinkError('SINK_DB', `${dialect}: ${err.message}`, cause === undefined ? undefined : { cause }), { dbCode: err.code });
}

/**
 * Privilege errors of a migration: PostgreSQL's SQLSTATE 42501
 * insufficient_privilege ("permission denied for schema public": CREATE
 * TABLE IF NOT EXISTS checks the privilege before it looks for the table)
 * and SQL Server's 262 ("CREATE TABLE permission denied in database").
 */
function deniedMigration(dialect: Dialect, err: { code?: unknown }): boolean {
  return dialect === 'postgres' ? err.code === '42501' : dialect === 'mssql' && sqlServerErrorNumber(err) === 262;
}

/**
 * A migration's failure as {@link dbError} raises it, and for a database user
 * that may not create the tables (a least-privilege writer, the usual setup
 * for a service), what to do: it said only "permission denied for schema
 * public", and nothing pointed to writing without migrating (found by a
 * probe).
 */
export function migrationError(dialect: Dialect, err: { message: string; code?: unknown }): SinkError & { dbCode: unknown } {
  const e = dbError(dialect, err, err);
  if (deniedMigration(dialect, err)) {
    e.message += ': this database user may not create or change the audit tables; have their owner run `audit-trail migrate` once, then write without migrating (`audit-trail ingest --no-migrate`, createSink({ migrate: false }))';
  }
  return e;
}
