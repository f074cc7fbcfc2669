import { checkPostgresCredentials, parseDbUrl, DEFAULT_DB_URL, type Connection, type MssqlConnection } from './connection.js';
import { SinkError } from './errors.js';
import { defaultSpoolDir } from './spool-dir.js';
import { checkForwardOptions } from '../fallback/check-forward-options.js';
import type { ForwardFallbackOptions } from '../fallback/forward-options.js';
import type { SinkOptions } from './types.js';
import type { FsyncPolicy } from '../spool/spool.js';

/** {@link SinkOptions} with every default applied. */
export interface ResolvedSinkOptions {
  connection: Connection;
  migrate: boolean;
  batch: { maxRows: number; maxBytes: number; maxDelayMs: number };
  spool: {
    dir: string;
    /** The default directory's earlier names (keyed by the whole URL, with or without its password), each moved to `dir` on open when only it holds events. */
    legacy?: string[];
    fsync: FsyncPolicy;
    maxBytes: number;
    memoryBytes: number;
    onFull: 'wait' | 'reject';
    segmentBytes: number;
  };
  retry: { initialDelayMs: number; maxDelayMs: number; factor: number };
  fallback: (ForwardFallbackOptions & { afterMs: number }) | undefined;
  defaultSource: string;
  checkIntervalMs: number;
  futureSkewMs: number;
  onError: (err: Error) => void;
}

function positive(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v < 0) throw new SinkError('SINK_BAD_OPTION', `${name} must be a non-negative number`);
  return v;
}

function spoolDir(dir: unknown): string | undefined {
  if (dir === undefined) return undefined;
  if (typeof dir !== 'string' || dir === '') throw new SinkError('SINK_BAD_OPTION', 'spool.dir must be a non-empty path');
  return dir;
}

/** Default {@link SinkOptions.futureSkewMs}: five minutes, as the future-dated report's default skew. */
export const DEFAULT_FUTURE_SKEW_MS = 5 * 60_000;

/** Largest futureSkewMs: a year. Far larger would date the sink's threshold past year 9999, which ISO 8601 text cannot order. */
const MAX_FUTURE_SKEW_MS = 365 * 24 * 3_600_000;

function futureSkew(v: number | undefined): number {
  const ms = positive('futureSkewMs', v, DEFAULT_FUTURE_SKEW_MS);
  if (ms > MAX_FUTURE_SKEW_MS) throw new SinkError('SINK_BAD_OPTION', `futureSkewMs must be at most ${MAX_FUTURE_SKEW_MS} (a year)`);
  return ms;
}

/** Smallest default in-memory queue budget (a large `batch.maxRows` raises it). */
const MIN_MEMORY_BYTES = 2 * 1024 * 1024;

/** The keys each options object may hold: a misspelt key would leave its default in place unnoticed. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  options: ['url', 'connection', 'migrate', 'batch', 'spool', 'retry', 'fallback', 'defaultSource', 'checkIntervalMs', 'futureSkewMs', 'onError'],
  batch: ['maxRows', 'maxBytes', 'maxDelayMs'],
  spool: ['dir', 'fsync', 'maxBytes', 'memoryBytes', 'onFull', 'segmentBytes'],
  retry: ['initialDelayMs', 'maxDelayMs', 'factor'],
  fallback: ['host', 'port', 'afterMs', 'tag', 'rejectTag', 'sharedKey', 'clientHostname', 'username', 'password', 'tls', 'timeoutMs'],
  'connection (sqlite)': ['dialect', 'filename', 'worker', 'busyTimeoutMs'],
  'connection (mssql)': ['dialect', 'config', 'babelfish', 'stagingLoad'],
};

/** Checks that `value` is an object (or absent) holding only the keys of `what`. */
function knownKeys(what: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SinkError('SINK_BAD_OPTION', `${what} must be an object`);
  const known = KNOWN_KEYS[what]!;
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new SinkError('SINK_BAD_OPTION', `${what}.${key.slice(0, 64)} is not an option (expected ${known.join(', ')})`);
  }
}

function wholeOption(name: string, v: unknown, min: number): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)) throw new SinkError('SINK_BAD_OPTION', `${name} must be a whole number from ${min}`);
}

/**
 * Refuses an mssql config naming both a port and an instance (its
 * `options.instanceName`, or `server: 'host\\instance'`, which mssql splits
 * the same way: lib/base/connection-pool.js), as parseDbUrl refuses such a
 * URL: with an instance name mssql deletes the port (lib/tedious/
 * connection-pool.js) and tedious asks SQL Server Browser (UDP 1434) for
 * it, so the port given would be silently ignored.
 */
function refusePortWithInstance(config: MssqlConnection['config']): void {
  const options = config.options as { instanceName?: unknown; port?: unknown } | undefined;
  const instance = options?.instanceName ?? /^.*\\(.*)$/.exec(config.server)?.[1];
  const port = config.port ?? options?.port;
  if (instance === undefined || instance === '' || port === undefined) return;
  throw new SinkError('SINK_BAD_OPTION', `connection.config sets both a port (${JSON.stringify(port)}) and an instance name (${JSON.stringify(String(instance).slice(0, 40))}): with an instance name, mssql ignores the port and asks SQL Server Browser (UDP 1434) for it; give the port alone to connect to it directly, or the instance name alone`);
}

/**
 * Checks a connection object as {@link parseDbUrl} checks a URL. A pool of
 * -1 connections would take every write and never commit one; an in-memory
 * SQLite database would ack events and lose them. Keys of a PostgreSQL
 * connection other than the known ones go to `pg.Pool` as they are.
 */
function checkConnection(c: unknown): Connection {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new SinkError('SINK_BAD_OPTION', 'connection must be an object with a dialect');
  const conn = c as Connection;
  switch (conn.dialect) {
    case 'sqlite':
      knownKeys('connection (sqlite)', conn);
      if (typeof conn.filename !== 'string' || conn.filename === '') throw new SinkError('SINK_BAD_OPTION', 'connection.filename must be a non-empty path');
      if (conn.filename === ':memory:' || conn.filename.startsWith('file::memory:')) throw new SinkError('SINK_BAD_OPTION', 'an in-memory SQLite database is not durable; name a file');
      if (conn.worker !== undefined && typeof conn.worker !== 'boolean') throw new SinkError('SINK_BAD_OPTION', 'connection.worker must be a boolean');
      wholeOption('connection.busyTimeoutMs', conn.busyTimeoutMs, 0);
      return conn;
    case 'postgres':
      if (conn.load !== undefined && conn.load !== 'auto' && conn.load !== 'copy' && conn.load !== 'unnest') throw new SinkError('SINK_BAD_OPTION', 'connection.load must be auto, copy or unnest');
      wholeOption('connection.max', conn.max, 1);
      wholeOption('connection.connectionTimeoutMillis', conn.connectionTimeoutMillis, 0);
      wholeOption('connection.idleTimeoutMillis', conn.idleTimeoutMillis, 0);
      checkPostgresCredentials(conn);
      return conn;
    case 'mssql':
      knownKeys('connection (mssql)', conn);
      if (typeof conn.config !== 'object' || conn.config === null || typeof conn.config.server !== 'string') throw new SinkError('SINK_BAD_OPTION', 'connection.config must be an mssql config object with a server');
      wholeOption('connection.config.pool.max', conn.config.pool?.max, 1);
      refusePortWithInstance(conn.config);
      if (conn.stagingLoad !== undefined && conn.stagingLoad !== 'bulk' && conn.stagingLoad !== 'values') throw new SinkError('SINK_BAD_OPTION', 'connection.stagingLoad must be bulk or values');
      return conn;
    default:
      throw new SinkError('SINK_BAD_OPTION', `connection.dialect must be sqlite, postgres or mssql (got ${JSON.stringify(String((conn as { dialect?: unknown }).dialect).slice(0, 20))})`);
  }
}

/** Applies defaults and checks option values. */
export function resolveSinkOptions(input: SinkOptions | string | undefined): ResolvedSinkOptions {
  if (input !== undefined && typeof input !== 'string' && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    // Not a default SQLite file in the working directory: createSink(5) is a mistake, not a request for ./audit.db.
    throw new SinkError('SINK_BAD_OPTION', `createSink takes a database URL or an options object (got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input})`);
  }
  const o: SinkOptions = typeof input === 'string' ? { url: input } : (input ?? {});
  knownKeys('options', o);
  for (const part of ['batch', 'spool', 'retry', 'fallback'] as const) knownKeys(part, o[part]);
  if (o.fallback !== undefined) checkForwardOptions(o.fallback as unknown as Record<string, unknown>);
  if (o.url !== undefined && o.connection !== undefined) throw new SinkError('SINK_BAD_OPTION', 'give url or connection, not both');
  if (o.onError !== undefined && typeof o.onError !== 'function') throw new SinkError('SINK_BAD_OPTION', 'onError must be a function');
  if (o.migrate !== undefined && typeof o.migrate !== 'boolean') throw new SinkError('SINK_BAD_OPTION', 'migrate must be a boolean');
  if (o.defaultSource !== undefined && (typeof o.defaultSource !== 'string' || o.defaultSource === '')) throw new SinkError('SINK_BAD_OPTION', 'defaultSource must be a non-empty string');
  const connection = o.connection !== undefined ? checkConnection(o.connection) : parseDbUrl(o.url ?? DEFAULT_DB_URL);
  const onFull = o.spool?.onFull ?? 'wait';
  if (onFull !== 'wait' && onFull !== 'reject') throw new SinkError('SINK_BAD_OPTION', `spool.onFull must be "wait" or "reject"`);
  const fsync = o.spool?.fsync ?? 'batch';
  if (fsync !== 'batch' && fsync !== 'off') throw new SinkError('SINK_BAD_OPTION', `spool.fsync must be "batch" or "off"`);
  // SQLite: 1000-row transactions already amortise the commit fsync (the
  // ceiling of bench/sink.ts commits every 1000) and keep in-process
  // transactions short; server databases gain from 5000-row round trips.
  const maxRows = positive('batch.maxRows', o.batch?.maxRows, connection.dialect === 'sqlite' ? 1000 : 5000);
  if (maxRows < 1) throw new SinkError('SINK_BAD_OPTION', 'batch.maxRows must be at least 1');
  const dir = spoolDir(o.spool?.dir);
  return {
    connection,
    migrate: o.migrate ?? connection.dialect === 'sqlite',
    batch: { maxRows, maxBytes: positive('batch.maxBytes', o.batch?.maxBytes, 8 * 1024 * 1024), maxDelayMs: positive('batch.maxDelayMs', o.batch?.maxDelayMs, 20) },
    spool: {
      ...(dir !== undefined ? { dir } : defaultSpoolDir(connection)),
      fsync,
      maxBytes: positive('spool.maxBytes', o.spool?.maxBytes, 256 * 1024 * 1024),
      // Room for three batches of ~1 KiB events: the two the delivery keeps in
      // flight and the next. More only holds rows longer, which V8 then
      // promotes to the old generation (peak RSS, bench/receiver.ts).
      memoryBytes: positive('spool.memoryBytes', o.spool?.memoryBytes, Math.max(MIN_MEMORY_BYTES, 3 * 1024 * maxRows)),
      onFull,
      segmentBytes: positive('spool.segmentBytes', o.spool?.segmentBytes, 8 * 1024 * 1024),
    },
    retry: {
      initialDelayMs: positive('retry.initialDelayMs', o.retry?.initialDelayMs, 100),
      maxDelayMs: positive('retry.maxDelayMs', o.retry?.maxDelayMs, 10_000),
      factor: positive('retry.factor', o.retry?.factor, 2),
    },
    fallback: o.fallback ? { ...o.fallback, afterMs: positive('fallback.afterMs', o.fallback.afterMs, 60_000) } : undefined,
    defaultSource: o.defaultSource ?? 'direct',
    checkIntervalMs: positive('checkIntervalMs', o.checkIntervalMs, 30_000),
    futureSkewMs: futureSkew(o.futureSkewMs),
    onError: o.onError ?? (() => undefined),
  };
}
