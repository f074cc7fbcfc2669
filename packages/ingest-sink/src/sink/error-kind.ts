/**
 * SQL Server's error number of a driver error: on mssql's error (`number`),
 * on tedious' beneath it (`originalError.info.number`), or on either as the
 * `cause` of the sink's SINK_DB error (errors.ts dbError).
 */
export function sqlServerErrorNumber(err: unknown): number | undefined {
  type Numbered = { number?: unknown; originalError?: { info?: { number?: unknown } } };
  const e = err as (Numbered & { cause?: Numbered }) | null | undefined;
  for (const n of [e?.number, e?.originalError?.info?.number, e?.cause?.number, e?.cause?.originalError?.info?.number]) {
    if (typeof n === 'number') return n;
  }
  return undefined;
}

/**
 * SQL Server errors after which the same statement succeeds when simply run
 * again, soon: 1205, chosen as a deadlock victim (its transaction rolled
 * back; "rerun the transaction",
 * https://learn.microsoft.com/en-us/sql/relational-databases/errors-events/mssqlserver-1205-database-engine-error),
 * and Azure SQL's transient errors 40501 (service busy), 40613 (database not
 * currently available, e.g. during a failover) and 40197 (error processing
 * the request, e.g. during an upgrade or failover), which Microsoft says to
 * retry (https://learn.microsoft.com/en-us/azure/azure-sql/database/troubleshoot-common-errors-issues).
 * The mssql adapter retries them itself, so a deadlock is not reported as a
 * database outage (found by a review).
 */
export const TRANSIENT_SQL_SERVER_ERRORS: readonly number[] = [1205, 40501, 40613, 40197];

/** True for an error of {@link TRANSIENT_SQL_SERVER_ERRORS}, on the driver's error or as a SINK_DB error's cause. */
export function isTransientError(err: unknown): boolean {
  const n = sqlServerErrorNumber(err);
  return n !== undefined && TRANSIENT_SQL_SERVER_ERRORS.includes(n);
}

/**
 * PostgreSQL SQLSTATEs after which the same transaction succeeds when simply
 * run again: 40P01 deadlock_detected (the server aborted this transaction to
 * break a cycle of lock waits) and 40001 serialization_failure (PostgreSQL
 * docs, "Serialization Failure Handling": "retry the complete transaction").
 * Sinks on several nodes resending the same events in other orders wait on
 * each other's unique index entries, and one of them is chosen as the
 * victim: a race between writers, not a database outage. The PostgreSQL
 * adapter runs such a batch again itself, as the SQL Server adapter does
 * for 1205; alone, under a lock it waits for with a lock_timeout, hence also
 * 55P03 lock_not_available (a lock_timeout ran out: try again).
 */
export const TRANSIENT_POSTGRES_STATES: readonly string[] = ['40P01', '40001', '55P03'];

/**
 * Pause before running a deadlock victim's batch again (SQL Server 1205,
 * PostgreSQL 40P01), by attempt from 0: short and jittered, so the two
 * transactions of one cycle do not meet again in step; longer each time.
 */
export function deadlockRetryPauseMs(attempt: number, random = Math.random): number {
  return Math.round((50 + random() * 150) * (attempt + 1));
}

/** True for an error of {@link TRANSIENT_POSTGRES_STATES}, on pg's error (`code`) or as a SINK_DB error's `dbCode` or cause. */
export function isTransientPostgresError(err: unknown): boolean {
  const e = err as { code?: unknown; dbCode?: unknown; cause?: { code?: unknown } } | null | undefined;
  return [e?.code, e?.dbCode, e?.cause?.code].some((c) => typeof c === 'string' && TRANSIENT_POSTGRES_STATES.includes(c));
}

/**
 * True when a database error is about the data of the batch (it will fail
 * again however often it is retried) rather than about reaching the server.
 * Such a batch is split so the offending row goes to the rejects table and
 * its batch-mates commit; everything else is retried with backoff.
 * PostgreSQL SQLSTATE classes 22 (data exception) and 23 (integrity);
 * SQLite constraint/mismatch/toobig; SQL Server 8152/2628 (truncation),
 * 4815 (a bulk load's value too long for its column, "Received an invalid
 * column length from the bcp client": the bulk path's truncation, found by a
 * review), 245/241/8114 (conversion), 515 (NULL), 547 (constraint).
 */
export function isDataError(err: unknown): boolean {
  const e = err as { dbCode?: unknown; cause?: { code?: unknown } };
  const code = e.dbCode ?? e.cause?.code;
  if (typeof code === 'string') {
    if (/^2[23][0-9A-Z]{3}$/.test(code)) return true;
    if (/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)) return true;
  }
  const num = sqlServerErrorNumber({ cause: e.cause });
  return num !== undefined && [8152, 2628, 4815, 245, 241, 8114, 515, 547].includes(num);
}

/**
 * Node's socket and DNS errors of a server that cannot be reached
 * (ECONNREFUSED...; ECONNRESET and EPIPE also reach a SQL Server request as
 * its error's code: tedious hands the request in flight the socket's error,
 * and mssql keeps its code), mssql's (ESOCKET, ETIMEOUT, ECONNCLOSED) and
 * tedious' ECLOSE, a connection closed under a request without a socket
 * error (tedious/lib/connection.js cleanupConnection), and its
 * EINVALIDSTATE, a request on a connection that closed between two requests
 * (makeRequest).
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ESOCKET', 'ETIMEOUT', 'ECONNCLOSED', 'ECLOSE', 'EINVALIDSTATE', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

/**
 * True when an error says the database could not be reached or is not
 * taking connections now, rather than what it answered: a socket or DNS
 * error (on the error, as `dbCode`, or on its cause), PostgreSQL SQLSTATE
 * class 08 (connection exception) or 57P01-57P03 (shutting down, cannot
 * connect now), pg's "Connection terminated", a SQLite file busy or locked.
 * A login refused, a database that does not exist or a missing privilege is
 * none of these: retrying does not make it pass.
 */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; dbCode?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null | undefined;
  for (const code of [e?.dbCode, e?.code, e?.cause?.code]) {
    if (typeof code !== 'string') continue;
    if (UNREACHABLE_CODES.has(code) || /^SQLITE_(BUSY|LOCKED)/.test(code) || /^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
  }
  const message = `${typeof e?.message === 'string' ? e.message : ''} ${typeof e?.cause?.message === 'string' ? e.cause.message : ''}`;
  return /Connection terminated|connect ECONNREFUSED|timeout expired/i.test(message);
}
