import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadDriver } from '../adapters/load-driver.js';
import { mssqlPoolConfig } from '../adapters/mssql/pool-config.js';
import { pgDriverConfig, PG_CLIENT_DEFAULTS } from '../adapters/postgres/driver-config.js';
import { checkPostgresCredentials, parseDbUrl, type Connection, type MssqlConnection, type PostgresConnection } from '../sink/connection.js';
import { SinkError } from '../sink/errors.js';
import { explainMissingColumn } from './missing-column.js';
import type { AuditReader, ReadQuery, Row } from './reader.js';

type SqliteModule = typeof import('better-sqlite3');
type PgModule = typeof import('pg');
type MssqlModule = typeof import('mssql');

/**
 * Rows one FETCH reads from a PostgreSQL cursor: what `iterate` holds at a
 * time (report rows are well under 1 KB each), and few enough round trips
 * (one per 1000 rows) to cost nothing beside the query itself.
 */
const PG_FETCH_ROWS = 1000;

/**
 * How long a report's transaction may sit idle, its output not taken (ms):
 * then the server ends the session and the report fails, rather than hold a
 * lock a migration would queue behind, and every insert behind that.
 */
const REPORT_IDLE_MS = 60_000;

/** Options of {@link openReader}. */
export interface ReaderOptions {
  /**
   * Read one snapshot of the database (see {@link AuditReader.snapshot}):
   * rows committed after the first query are not seen, so reference times
   * read first and the rows read after agree on a table that is being
   * written. It holds back PostgreSQL's vacuum and SQLite's WAL checkpoints
   * until the reader is closed.
   */
  snapshot?: boolean | undefined;
}

/**
 * Why SQLite could not open a file that exists: a directory, or a file that
 * is no SQLite database, said in words; "permission denied" with the
 * remedy when this user may not read it (SQLite says only "unable to open
 * database file"; the sink creates its database owner-only, so a reader in
 * another account meets this), else SQLite's own message.
 */
function unreadableReason(filename: string, err: Error): string {
  // A directory (`--db sqlite:/var/lib/audit`, the file's name left off): SQLite says "disk I/O error" of it.
  if (statSync(filename, { throwIfNoEntry: false })?.isDirectory()) return 'it is a directory, not a SQLite database file';
  // Another kind of file (`--db sqlite:./audit.ndjson`): SQLite says only "file is not a database", and said it
  // at the first query, without the file's name (found by a probe).
  if ((err as Error & { code?: unknown }).code === 'SQLITE_NOTADB') return 'the file is not a SQLite database (SQLITE_NOTADB)';
  try {
    accessSync(filename, constants.R_OK);
  } catch {
    return 'permission denied: the sink creates its database readable by its own user only (0600); give this account access on purpose (a group and chmod g+r, on the -wal and -shm files too) or run as that user';
  }
  return err.message;
}

/**
 * SQLSTATEs of a server ending the session: admin_shutdown, crash_shutdown,
 * cannot_connect_now, database_dropped, idle_session_timeout (class 57P) and
 * idle_in_transaction_session_timeout (25P03).
 */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03', '57P04', '57P05', '25P03']);

/**
 * Whether a server error ended the session: by its SQLSTATE, or its severity
 * FATAL. The severity alone is the server's localized word (`lc_messages`:
 * "ВАЖНО" in Russian), which pg passes on as it is (found by a review).
 */
function endsSession(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown };
  return (typeof e.code === 'string' && SESSION_ENDED.has(e.code)) || e.severity === 'FATAL';
}

/** SINK_DB for a session the server ended, with its reason: how every query and read of a lost reader fails. */
function connectionLost(cause: Error): SinkError {
  return new SinkError('SINK_DB', `PostgreSQL connection lost: ${cause.message}`, { cause });
}

/** SINK_DB naming the SQLite file that could not be opened or read, and why in words. */
function openError(filename: string, err: Error): SinkError {
  // A reader opens what exists, it never creates: say that the file is missing, and where it was looked for
  // (SQLite says only "unable to open database file" of a typo in --db).
  const missing = !existsSync(filename);
  return new SinkError('SINK_DB', `cannot open SQLite database ${filename}: ${missing ? `the file ${resolve(filename)} does not exist` : unreadableReason(filename, err)}`, { cause: err });
}

async function sqliteReader(filename: string, snapshot: boolean): Promise<AuditReader> {
  const Database = await loadDriver<SqliteModule>('better-sqlite3');
  let db: import('better-sqlite3').Database;
  try {
    db = new Database(filename, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw openError(filename, err as Error);
  }
  try {
    // SQLite opens a file lazily: its header is read, and a file that is not a
    // database found out, at the first query. Read it now, so that the error
    // names the file as an open failure does.
    db.pragma('schema_version', { simple: true });
  } catch (err) {
    db.close();
    throw openError(filename, err as Error);
  }
  // A deferred transaction: its snapshot is taken by the first read and held
  // until the end (SQLite, "Transactions"; in WAL mode writers go on meanwhile).
  if (snapshot) db.exec('BEGIN');
  return {
    dialect: 'sqlite',
    snapshot,
    async query(q: ReadQuery) {
      const stmt = db.prepare(q.text);
      return (q.named ? stmt.all(q.named) : stmt.all(...(q.positional ?? []))) as Row[];
    },
    async *iterate(q: ReadQuery) {
      const stmt = db.prepare(q.text);
      yield* (q.named ? stmt.iterate(q.named) : stmt.iterate(...(q.positional ?? []))) as IterableIterator<Row>;
    },
    async close() {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

async function postgresReader(conn: PostgresConnection, snapshot: boolean): Promise<AuditReader> {
  checkPostgresCredentials(conn);
  const pg = await loadDriver<PgModule>('pg');
  // A client, not a pool: the connection's pool size does not apply.
  const { max: _m, ...config } = conn;
  // A host that does not answer fails within 10 s instead of the OS's TCP timeout (minutes); the URL or options may set another.
  const client = new pg.Client(pgDriverConfig(config, PG_CLIENT_DEFAULTS));
  // A connection the server ends (a restart, a failover, pg_terminate_backend,
  // idle_session_timeout) is an 'error' event: unheard, it would crash the
  // process (pg docs, "client.on('error')"). Later queries fail with it.
  let lost: Error | undefined;
  client.on('error', (err: Error) => (lost ??= err));
  try {
    await client.connect();
  } catch (err) {
    throw new SinkError('SINK_DB', `cannot connect to PostgreSQL at ${client.host}:${client.port}: ${(err as Error).message}`);
  }
  // pg reads timestamptz text in the ISO output style only (pg-types'
  // postgres-date); a database, role or PGOPTIONS that sets another
  // (`ALTER DATABASE audit SET DateStyle = 'SQL, DMY'`) made every time
  // null: reports printed rows without their time and `verify --db` called
  // every row a PROJECTION_MISMATCH (found by a probe). ISO sets the output
  // style only, the input order (DMY, MDY) stays (PostgreSQL docs,
  // "DateStyle"); PgBouncer keeps it across pooled server connections (it
  // tracks DateStyle).
  try {
    await client.query('SET DateStyle = ISO');
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new SinkError('SINK_DB', `cannot set DateStyle on PostgreSQL: ${(err as Error).message}`);
  }
  // REPEATABLE READ: every statement of the transaction sees the snapshot
  // taken by its first (PostgreSQL docs, "Transaction Isolation" 13.2.2).
  if (snapshot) {
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new SinkError('SINK_DB', `cannot begin a read-only snapshot on PostgreSQL: ${(err as Error).message}`);
    }
  }
  let cursors = 0;
  return {
    dialect: 'postgres',
    snapshot,
    async query(q: ReadQuery) {
      if (lost) throw connectionLost(lost);
      return (await client.query(q.text, (q.positional ?? []) as unknown[])).rows as Row[];
    },
    // A cursor declared in SQL, not pg-cursor (not a dependency): it reads
    // the one result the query would return, in its order, from a snapshot
    // taken when it opens, where paging with LIMIT/OFFSET would re-run the
    // query and skip or repeat rows written meanwhile. A cursor lives in a
    // transaction: the snapshot's, else a read-only one of its own
    // (PostgreSQL docs, DECLARE and FETCH).
    async *iterate(q: ReadQuery) {
      if (lost) throw connectionLost(lost);
      const cursor = `audit_trail_rows_${++cursors}`;
      // In a snapshot, a savepoint: a failed DECLARE or FETCH would abort the
      // snapshot's transaction for every later query, and ROLLBACK TO also
      // undoes the SET LOCALs below (found by a review).
      await client.query(snapshot ? 'SAVEPOINT audit_trail_iterate' : 'BEGIN READ ONLY');
      try {
        // A cursor's plan favours its first rows (cursor_tuple_fraction 0.1):
        // the reports read every row, so plan them as the query they are.
        // No JIT: a report runs once, for seconds, and compiling cost more
        // than it saved (the shell sessions over 200 000 rows: 2.6-3.2 s
        // with JIT, 1.5-1.8 s without, when the plan's cost passed
        // jit_optimize_above_cost). The cursor keeps its transaction, and
        // the table's ACCESS SHARE lock, open while the output waits (a
        // pager left open): a migration's ALTER TABLE would then wait, and
        // every insert behind it (found by a review). A report idle that
        // long is ended by the server instead.
        await client.query(`SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL jit = off${snapshot ? '' : `; SET LOCAL idle_in_transaction_session_timeout = ${REPORT_IDLE_MS}`}`);
        await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${q.text}`, (q.positional ?? []) as unknown[]);
        for (;;) {
          const { rows } = await client.query(`FETCH ${PG_FETCH_ROWS} FROM ${cursor}`);
          yield* rows as Row[];
          if (rows.length < PG_FETCH_ROWS) break;
        }
      } catch (err) {
        // The server ended the session while the rows were being read: ended
        // idle by idle_in_transaction_session_timeout (the output not taken
        // for a minute), a restart, pg_terminate_backend. pg then fails the
        // next FETCH with only "Client has encountered a connection error
        // and is not queryable"; the cause is the 'error' event's (found by
        // a probe).
        // Read anew: the 'error' listener sets it while the rows are read, which the narrowing above cannot know.
        // A FETCH sent before pg read the server's notice fails with that FATAL error itself: the same loss.
        const cause = (lost as Error | undefined) ?? (endsSession(err) ? (err as Error) : undefined);
        if (cause) throw connectionLost(cause);
        throw err;
      } finally {
        // Ended, early (break) or failed: the cursor and the settings go with the savepoint, or with our own transaction.
        if (!lost) {
          if (snapshot) await client.query('ROLLBACK TO SAVEPOINT audit_trail_iterate; RELEASE SAVEPOINT audit_trail_iterate').catch(() => undefined);
          else await client.query('ROLLBACK').catch(() => undefined);
        }
      }
    },
    async close() {
      // Nothing was written; ending the session ends the transaction, but say so rather than leave it to the server.
      if (snapshot && !lost) await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch((err: Error) => {
        if (!lost) throw err;
      });
    },
  };
}

/**
 * A reader on SQL Server through a mssql pool configured as the writer's
 * (mssqlPoolConfig: its request timeout, a copy of the config). `driver`:
 * the mssql module, loaded when not given (the unit tests give a fake).
 */
export async function mssqlReader(conn: MssqlConnection, driver?: MssqlModule): Promise<AuditReader> {
  const sql = driver ?? (await loadDriver<MssqlModule>('mssql'));
  const pool = new sql.ConnectionPool(mssqlPoolConfig(conn) as unknown as import('mssql').config);
  // The pool reports a connection it loses as an 'error' event; unheard, it would crash the process.
  pool.on('error', () => undefined);
  try {
    await pool.connect();
  } catch (err) {
    // Typed as the PostgreSQL reader's (SINK_DB, naming the server), not the driver's ConnectionError; the pool closed, as the writer closes one that failed to connect.
    await pool.close().catch(() => undefined);
    const { server, port, options } = conn.config;
    const where = typeof options?.instanceName === 'string' ? `${server}\\${options.instanceName}` : `${server}:${typeof port === 'number' ? port : 1433}`;
    throw new SinkError('SINK_DB', `cannot connect to SQL Server at ${where}: ${(err as Error).message}`, { cause: err });
  }
  const query = async (q: ReadQuery) => {
    const request = pool.request();
    for (const [name, value] of Object.entries(q.named ?? {})) request.input(name, value);
    return (await request.query(q.text)).recordset as Row[];
  };
  return {
    dialect: 'mssql',
    snapshot: false,
    query,
    // The whole result, as query() reads it: the driver can stream
    // (Request.toReadableStream), but no SQL Server runs where this is tested.
    async *iterate(q: ReadQuery) {
      yield* await query(q);
    },
    async close() {
      await pool.close();
    },
  };
}

/**
 * Opens a read-only connection to the database named by a URL (the same
 * forms `createSink` takes: `sqlite:./audit.db`, `postgres://...`,
 * `mssql://...`) or a parsed {@link Connection}. The driver is loaded only
 * for that dialect; a missing one is a `DriverMissingError` naming the package.
 * With `snapshot`, every query reads one snapshot where the database offers
 * one ({@link AuditReader.snapshot} says whether it did).
 */
export async function openReader(target: string | Connection, options: ReaderOptions = {}): Promise<AuditReader> {
  const conn = typeof target === 'string' ? parseDbUrl(target) : target;
  const snapshot = options.snapshot === true;
  let reader: AuditReader;
  switch (conn.dialect) {
    case 'sqlite':
      reader = await sqliteReader(conn.filename, snapshot);
      break;
    case 'postgres':
      reader = await postgresReader(conn, snapshot);
      break;
    case 'mssql':
      reader = await mssqlReader(conn);
      break;
    default:
      throw new SinkError('SINK_BAD_OPTION', `connection.dialect must be sqlite, postgres or mssql (got ${JSON.stringify(String((conn as { dialect?: unknown })?.dialect).slice(0, 20))})`);
  }
  // Tables an earlier version made lack the columns added since: say so, and what to run.
  const query = reader.query.bind(reader);
  reader.query = (q) => query(q).catch((err: unknown) => Promise.reject(explainMissingColumn(err)));
  const iterate = reader.iterate.bind(reader);
  reader.iterate = async function* (q) {
    try {
      yield* iterate(q);
    } catch (err) {
      throw explainMissingColumn(err);
    }
  };
  return reader;
}
