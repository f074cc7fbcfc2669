import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { AuditConfigError, AuditDestinationError } from '../errors.js';

/** Anything audit lines can be written to: a pino destination, a `pino.transport()`, `pino.multistream()`, a Writable. */
export interface LineStream {
  write(line: string): unknown;
  flush?(cb?: (err?: Error | null) => void): void;
  flushSync?(): void;
  end?(): unknown;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
  writableNeedDrain?: boolean;
  fd?: number;
}

/**
 * Where audit lines go. `'stdout'` (default; what Docker's fluentd log driver
 * reads), `'stderr'`, a file path, a file descriptor, or a stream you built
 * (`pino.destination()`, `pino.transport()`, `pino.multistream()`, a Writable).
 */
export type DestinationOption = 'stdout' | 'stderr' | string | number | LineStream;

/** An opened destination and whether the logger created (and so may end) it. */
export interface OpenedDestination {
  stream: LineStream;
  owned: boolean;
}

/**
 * Opens a destination with pino's sonic-boom (`pino.destination`). `sync`
 * true (the default of the audit logger) writes each line with
 * `fs.writeSync` before `emit()` returns; false buffers in memory. A file
 * that cannot be opened is an AuditConfigError when sync (sonic-boom opens
 * it now); when async the failure arrives later as the stream's 'error'.
 */
export function openDestination(dest: DestinationOption | undefined, sync: boolean): OpenedDestination {
  if (dest === undefined || dest === 'stdout') return { stream: pino.destination({ dest: 1, sync }), owned: true };
  if (dest === 'stderr') return { stream: pino.destination({ dest: 2, sync }), owned: true };
  if (typeof dest === 'number') return { stream: pino.destination({ dest, sync }), owned: true };
  if (typeof dest === 'string') {
    if (dest.length === 0) throw new AuditConfigError('destination path is empty');
    try {
      return { stream: pino.destination({ dest, sync, mkdir: true, append: true }), owned: true };
    } catch (err) {
      throw new AuditConfigError(`cannot open destination ${JSON.stringify(dest)}: ${systemReason(err)}`, { cause: err });
    }
  }
  if (typeof dest?.write !== 'function') throw new AuditConfigError('destination must be a path, a file descriptor or a stream with write()');
  return { stream: dest, owned: false };
}

/** `ENOSPC: no space left on device, write` and the like, for messages. */
export function systemReason(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

interface SonicBoomLike extends LineStream {
  fd: number;
  sync: boolean;
  _writing?: boolean;
  flushSync(): void;
}

function isSonicBoom(s: LineStream): s is SonicBoomLike {
  return typeof s.fd === 'number' && typeof s.flushSync === 'function' && typeof (s as { sync?: unknown }).sync === 'boolean';
}

/** `pino.multistream()`: writes each line to several streams and has no flush of its own. */
function innerStreams(s: LineStream): LineStream[] | undefined {
  const list = (s as { streams?: unknown }).streams;
  return Array.isArray(list) ? list.map((e) => (e as { stream: LineStream }).stream) : undefined;
}

interface WritableLike extends LineStream {
  writableLength: number;
  errored?: Error | null;
  destroyed?: boolean;
}

/** A Node Writable (fs.createWriteStream, a socket, your own). */
function isWritable(s: LineStream): s is WritableLike {
  return typeof (s as { writableLength?: unknown }).writableLength === 'number';
}

/**
 * Waits until everything written so far has left the process (and fsyncs
 * files, via sonic-boom's flushSync). For an async sonic-boom the write in
 * flight must land first: flushSync() during an async write would put the
 * buffered lines in the file before the in-flight ones (observed with
 * sonic-boom 4.2), reordering the chain. A multistream is flushed through
 * each of its streams; a Node Writable once its buffer is empty (the
 * callbacks of every write before have run), which Writable signals with no
 * event of its own unless it asked for 'drain', so it is polled.
 */
export async function flushStream(stream: LineStream): Promise<void> {
  if (isSonicBoom(stream)) {
    const emitter = stream as unknown as NodeJS.EventEmitter;
    if (stream.fd < 0) await once(emitter, 'ready');
    while (!stream.sync && stream._writing) await once(emitter, 'write');
    stream.flushSync();
    return;
  }
  const inner = innerStreams(stream);
  if (inner) {
    await Promise.all(inner.map(flushStream));
    return;
  }
  if (typeof stream.flush === 'function') {
    await new Promise<void>((resolve, reject) => stream.flush!((err) => (err ? reject(err) : resolve())));
    return;
  }
  if (isWritable(stream)) {
    while (stream.writableLength > 0) {
      if (stream.errored || stream.destroyed) throw new AuditDestinationError(`the destination stream ${stream.errored ? `failed: ${systemReason(stream.errored)}` : 'was destroyed'} with ${stream.writableLength} bytes unwritten`, { cause: stream.errored });
      await sleep(5);
    }
  }
}

/** Ends a stream and waits until it has closed (or finished, for streams that never emit 'close'). */
export async function endStream(stream: LineStream): Promise<void> {
  if (typeof stream.end !== 'function' || !stream.once) return;
  const done = new Promise<void>((resolve, reject) => {
    stream.once!('close', () => resolve());
    stream.once!('finish', () => resolve());
    stream.once!('error', (err) => reject(err as Error));
  });
  stream.end();
  await done;
}
