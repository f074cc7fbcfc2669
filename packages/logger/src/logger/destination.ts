import { once } from 'node:events';
import { fstatSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
  /** The file path the logger opened, which `reopen()` opens again (after a rename-and-create rotation). */
  path?: string;
}

/**
 * Default bound of what a destination the logger opens holds unwritten
 * (sonic-boom's `maxLength`): after a failed write (ENOSPC) it keeps every
 * later line for a retry, and 300 000 events held 98 MB (found by a probe).
 * Past it, sonic-boom drops a line and emits 'drop', which the logger
 * counts (core.ts).
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * Opens a destination with pino's sonic-boom (`pino.destination`). `sync`
 * true (the default of the audit logger) writes each line with
 * `fs.writeSync` before `emit()` returns; false buffers in memory. A file's
 * missing directories are created first. A file that cannot be opened (or
 * whose directory cannot be created) is an AuditConfigError when sync
 * (sonic-boom opens it now); when async the failure arrives later as the
 * stream's 'error'. `maxLength` bounds the bytes it holds unwritten.
 */
export function openDestination(dest: DestinationOption | undefined, sync: boolean, maxLength = DEFAULT_MAX_BUFFERED_BYTES): OpenedDestination {
  if (dest === undefined || dest === 'stdout') return { stream: pino.destination({ dest: 1, sync, maxLength }), owned: true };
  if (dest === 'stderr') return { stream: pino.destination({ dest: 2, sync, maxLength }), owned: true };
  if (typeof dest === 'number') return { stream: pino.destination({ dest: checkDescriptor(dest), sync, maxLength }), owned: true };
  if (typeof dest === 'string') {
    if (dest.trim().length === 0) throw new AuditConfigError(`destination path is ${dest.length === 0 ? 'empty' : 'only white space'}`);
    // pino.destination() takes any string Number() reads as finite ("18",
    // "0x1", "1e1", " 2 ") for a file descriptor: the lines went into
    // whatever the process had open under that number, and close() closed
    // it (found by a probe). An absolute path is never read as a number.
    const path = Number.isFinite(Number(dest)) ? resolve(dest) : dest;
    try {
      try {
        makeDirs(dirname(path));
      } catch (err) {
        // Async: the open below then fails too, and is reported like any async open failure.
        if (sync) throw err;
      }
      return { stream: pino.destination({ dest: path, sync, append: true, maxLength }), owned: true, path };
    } catch (err) {
      throw new AuditConfigError(`cannot open destination ${JSON.stringify(dest)}: ${systemReason(err)}`, { cause: err });
    }
  }
  if (typeof dest?.write !== 'function') throw new AuditConfigError('destination must be a path, a file descriptor or a stream with write()');
  return { stream: dest, owned: false };
}

/**
 * A file descriptor given as destination, checked before pino sees it:
 * pino takes a falsy one (0, NaN) for stdout, and one that is negative,
 * fractional or too large failed only at the first write, asynchronously.
 * 0 is refused: it is stdin, and pino cannot write to it. A descriptor that
 * is not open is refused too, as a path that cannot be opened is.
 */
function checkDescriptor(fd: number): number {
  if (!Number.isSafeInteger(fd) || fd < 1 || fd > 2 ** 31 - 1) {
    throw new AuditConfigError(`destination file descriptor must be an integer from 1 to ${2 ** 31 - 1}${fd === 0 ? ' (0 is stdin, which pino.destination() takes for stdout)' : ''}, got ${fd}`);
  }
  try {
    fstatSync(fd);
  } catch (err) {
    throw new AuditConfigError(`destination file descriptor ${fd} is not open: ${systemReason(err)}`, { cause: err });
  }
  return fd;
}

/**
 * `mkdir -p`, not `fs.mkdir`'s `recursive` (which sonic-boom's `mkdir`
 * option uses): Node 20's recursive mkdir retries forever, at 100% CPU,
 * when a directory that exists answers ENOENT for a child it cannot hold
 * (procfs: `/proc/nonexistent/x.ndjson`), synchronously or in a libuv
 * thread that then keeps the process from exiting. Here ENOENT once the
 * parent exists is final. EEXIST is success: if it is a file, the open
 * that follows fails with the clearer ENOTDIR.
 */
function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (err) {
    const parent = dirname(dir);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirs(parent);
  }
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // created meanwhile by someone else
  }
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

/** A Writable's `write(chunk, callback)`, as the tracker calls it. */
interface CallbackWritable {
  write(chunk: string, cb: (err?: Error | null) => void): unknown;
}

/**
 * Counts the lines the logger hands to a Node Writable and those the
 * Writable has called back for, so flush() can wait for exactly the lines
 * written before it. A Writable has no flush of its own, and waiting for its
 * buffer to empty never ends while lines keep coming. Writable calls back in
 * write order, also with an error for every line it will never take (after a
 * failed write, after destroy() or end()), so a count is enough. One callback,
 * bound once, serves every write: no closure per line.
 */
export class WriteTracker {
  /** Lines handed to the stream. */
  private written = 0;
  /** Lines it has called back for. */
  private done = 0;
  /** The first error a write was called back with. */
  private failed?: Error;
  /** flush() calls waiting for `done` to reach `upTo`; pushed in order of `upTo`, so resolved from the front. */
  private readonly waiting: { upTo: number; resolve: () => void; reject: (err: Error) => void }[] = [];

  /** `onFailure` gets the first write error (the stream emits it as 'error' too, to its own listeners). */
  constructor(
    private readonly onFailure: (err: Error) => void,
    private readonly maxLength: number,
  ) {}

  private readonly called = (err?: Error | null): void => {
    this.done++;
    if (err) this.fail(err);
    while (this.waiting.length > 0 && this.waiting[0]!.upTo <= this.done) this.waiting.shift()!.resolve();
  };

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.onFailure(err);
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  /**
   * Writes one line with the shared callback; false, writing nothing, when
   * the Writable already holds `maxLength` bytes unwritten. A Writable keeps
   * whatever it is given, and write()'s return, its only backpressure, is
   * lost on emit(), which cannot wait: a stalled socket grew the process
   * without bound. Bounded as sonic-boom's `maxLength` bounds a destination
   * the logger opens (the caller counts the line as dropped).
   */
  write(stream: LineStream, chunk: string): boolean {
    if ((stream as WritableLike).writableLength >= this.maxLength) return false;
    this.written++;
    (stream as unknown as CallbackWritable).write(chunk, this.called);
    return true;
  }

  /** Resolves once every line written so far has been called back for; rejects with the first write error. */
  settled(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.done >= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.push({ upTo: this.written, resolve, reject }));
  }
}

/** A tracker for `stream` when it is a Node Writable (its write() takes a callback), else undefined; it holds at most `maxLength` bytes unwritten. */
export function writeTracker(stream: LineStream, onFailure: (err: Error) => void, maxLength: number): WriteTracker | undefined {
  return isWritable(stream) ? new WriteTracker(onFailure, maxLength) : undefined;
}

/**
 * Waits until everything written so far has left the process (and fsyncs
 * files, via sonic-boom's flushSync). For an async sonic-boom the write in
 * flight must land first: flushSync() during an async write would put the
 * buffered lines in the file before the in-flight ones (observed with
 * sonic-boom 4.2), reordering the chain. A multistream is flushed through
 * each of its streams. A Node Writable the logger wrote to with `tracker`:
 * until every line written before has been called back for. A Writable
 * inside a multistream (which writes without callbacks): until its buffer
 * is empty, which Writable signals with no event of its own unless it asked
 * for 'drain', so it is polled; while lines keep coming that can take until
 * the time bound.
 */
export async function flushStream(stream: LineStream, tracker?: WriteTracker): Promise<void> {
  if (isSonicBoom(stream)) {
    const emitter = stream as unknown as NodeJS.EventEmitter;
    if (stream.fd < 0) await once(emitter, 'ready');
    while (!stream.sync && stream._writing) await once(emitter, 'write');
    stream.flushSync();
    return;
  }
  const inner = innerStreams(stream);
  if (inner) {
    await Promise.all(inner.map((s) => flushStream(s)));
    return;
  }
  if (tracker) await tracker.settled();
  if (typeof stream.flush === 'function') {
    await new Promise<void>((resolve, reject) => stream.flush!((err) => (err ? reject(err) : resolve())));
    return;
  }
  if (!tracker && isWritable(stream)) {
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
