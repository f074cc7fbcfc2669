import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseDbUrl, DEFAULT_DB_URL, type Connection } from './connection.js';
import { SinkError } from './errors.js';
import type { ForwardFallbackOptions } from '../fallback/forward-options.js';
import type { SinkOptions } from './types.js';
import type { FsyncPolicy } from '../spool/spool.js';

/** {@link SinkOptions} with every default applied. */
export interface ResolvedSinkOptions {
  connection: Connection;
  migrate: boolean;
  batch: { maxRows: number; maxBytes: number; maxDelayMs: number };
  spool: { dir: string; fsync: FsyncPolicy; maxBytes: number; memoryBytes: number; onFull: 'wait' | 'reject'; segmentBytes: number };
  retry: { initialDelayMs: number; maxDelayMs: number; factor: number };
  fallback: (ForwardFallbackOptions & { afterMs: number }) | undefined;
  defaultSource: string;
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

/** A stable spool directory per database for server URLs (the hash hides credentials). */
function defaultSpoolDir(conn: Connection): string {
  if (conn.dialect === 'sqlite') return `${resolve(conn.filename)}.spool`;
  const key = conn.dialect === 'postgres' ? JSON.stringify([conn.connectionString, conn.host, conn.port, conn.database]) : JSON.stringify([conn.config.server, conn.config.port, conn.config.database]);
  return resolve(join('.audit-trail-spool', `${conn.dialect}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`));
}

/** Smallest default in-memory queue budget (a large `batch.maxRows` raises it). */
const MIN_MEMORY_BYTES = 2 * 1024 * 1024;

/** Applies defaults and checks option values. */
export function resolveSinkOptions(input: SinkOptions | string | undefined): ResolvedSinkOptions {
  const o: SinkOptions = typeof input === 'string' ? { url: input } : (input ?? {});
  const connection = o.connection ?? parseDbUrl(o.url ?? DEFAULT_DB_URL);
  const onFull = o.spool?.onFull ?? 'wait';
  if (onFull !== 'wait' && onFull !== 'reject') throw new SinkError('SINK_BAD_OPTION', `spool.onFull must be "wait" or "reject"`);
  const fsync = o.spool?.fsync ?? 'batch';
  if (fsync !== 'batch' && fsync !== 'off') throw new SinkError('SINK_BAD_OPTION', `spool.fsync must be "batch" or "off"`);
  // SQLite: 1000-row transactions already amortise the commit fsync (the
  // ceiling of bench/sink.ts commits every 1000) and keep in-process
  // transactions short; server databases gain from 5000-row round trips.
  const maxRows = positive('batch.maxRows', o.batch?.maxRows, connection.dialect === 'sqlite' ? 1000 : 5000);
  if (maxRows < 1) throw new SinkError('SINK_BAD_OPTION', 'batch.maxRows must be at least 1');
  return {
    connection,
    migrate: o.migrate ?? connection.dialect === 'sqlite',
    batch: { maxRows, maxBytes: positive('batch.maxBytes', o.batch?.maxBytes, 8 * 1024 * 1024), maxDelayMs: positive('batch.maxDelayMs', o.batch?.maxDelayMs, 20) },
    spool: {
      dir: spoolDir(o.spool?.dir) ?? defaultSpoolDir(connection),
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
    onError: o.onError ?? (() => undefined),
  };
}
