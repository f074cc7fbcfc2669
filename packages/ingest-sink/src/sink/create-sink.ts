import type { SinkAdapter } from '../adapters/adapter.js';
import { checkFirst } from '../adapters/check-first.js';
import { migrateFirst } from '../adapters/migrate-first.js';
import { createForwarder } from '../fallback/forwarder.js';
import { encodeFrames } from '../spool/record.js';
import { Spool, type SpoolPosition } from '../spool/spool.js';
import { Backlog } from './backlog.js';
import { settleWithin } from './settle-within.js';
import { createAdapter } from './create-adapter.js';
import { Delivery, type Forwarder } from './delivery.js';
import { SinkClosedError, SinkError, SpoolFullError } from './errors.js';
import { isUnreachable } from './error-kind.js';
import { resolveSinkOptions } from './options.js';
import { adoptLegacySpool } from './spool-dir.js';
import { claimSpool, destinationOf } from './spool-destination.js';
import { futureTally, prepareRows, toSpoolEntry, type PreparedRow } from './prepare.js';
import { DeliveryQueue, tagOf } from './queue.js';
import { copyStats, emptyStats, noteError } from './stats.js';
import type { Sink, SinkOptions, WriteItem, WriteReceipt } from './types.js';

function positions(start: SpoolPosition, sizes: number[]): SpoolPosition[] {
  let end = start.end;
  return sizes.map((s) => ({ seg: start.seg, end: (end += s) }));
}

/** One write, validated and framed: its rows, its spool frames (one buffer) and each frame's size and tag. */
interface Staged {
  /** One per item written, in order. */
  rows: PreparedRow[];
  buffer: Buffer;
  sizes: number[];
  tags: (string | undefined)[];
  /** Its valid events dated more than `futureSkewMs` ahead (stats().futureDated once spooled). */
  futureDated: number;
}

/**
 * Validates, frames and tags one write's items. Synchronous on purpose: the
 * parsed entries (every line as a string) die here, young, instead of living
 * in write()'s frame while it waits for the spool (rows/row-chunk.ts says why
 * that matters).
 */
function stage(items: readonly WriteItem[], defaultSource: string, futureSkewMs: number): Staged {
  const entries = items.map((i) => toSpoolEntry(i, defaultSource));
  const { buffer, sizes } = encodeFrames(entries);
  const future = futureTally(futureSkewMs);
  const rows = prepareRows(entries, defaultSource, undefined, future);
  return { rows, buffer, sizes, tags: entries.map((e) => tagOf(e.meta)), futureDated: future.count };
}

/**
 * A queue that runs tasks one after another, in call order; a task that
 * fails does not hold up those behind it.
 */
function inCallOrder(): <T>(task: () => T | Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** The sinks made here, each with the function that makes it stop holding writes to its memory budget. */
const spillers = new WeakMap<Sink, () => void>();

/**
 * From now on, writes to `sink` go on into its spool files while its
 * in-memory queue is full, as they do during an outage, instead of waiting
 * for the database to make room; the spool's own limit (`spool.maxBytes`,
 * `onFull`) still holds. For a writer that is ending: the pino transport once
 * pino has ended its stream. Waiting there, a burst logged just before exit
 * outlasted the transport's closeTimeoutMs with the database up and was
 * counted as lost (SINK_CLOSED), when the spool had room to keep it for the
 * next start (found by a probe: 37 378 of 100 000 lines into SQLite).
 */
export function spillToSpool(sink: Sink): void {
  spillers.get(sink)?.();
}

/**
 * Creates a sink writing to the database named by `options` (a URL or an
 * options object; default `sqlite:./audit.db`). The returned object is usable
 * at once: writes wait for `ready` (spool replay, database connection,
 * migration for SQLite). A failed start rejects `ready` and every write.
 */
export function createSink(options?: SinkOptions | string): Sink {
  const opts = resolveSinkOptions(options);
  const stats = emptyStats(opts.spool.maxBytes);
  const queue = new DeliveryQueue();
  let adapter: SinkAdapter | undefined;
  let spool: Spool | undefined;
  let delivery: Delivery | undefined;
  let backlog: Backlog | undefined;
  let forwarder: Forwarder | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let reserved = 0;
  /** Set by {@link spillToSpool}: the memory budget no longer holds writes back. */
  let spilling = false;
  /** Writes called and not yet settled (flush waits for them), and those past their reservation (close waits for them). */
  const writing = new Set<Promise<unknown>>();
  const appending = new Set<Promise<unknown>>();
  const turns = inCallOrder();
  const reservations = inCallOrder();

  /**
   * Resolves when it is this write's turn to validate: writes take turns, one
   * per event-loop iteration, in call order. Without turns, a burst of
   * concurrent writes (requests of several connections arriving together, a
   * caller with many writes in flight) validates back to back in one
   * microtask run, and every I/O callback waits for all of it: spool fsyncs,
   * database replies, acks; the database idles meanwhile (bench/sink.ts: the
   * worker's first batch came ~200 ms after 16 writes of 500 began).
   * setImmediate from inside the check phase runs in the next iteration, after
   * the poll phase, so I/O is served between two turns.
   */
  function nextTurn(): Promise<void> {
    return turns(() => new Promise<void>((resolve) => setImmediate(resolve)));
  }

  /** Keeps `err` as the stats' lastError (and as `also`, when it is the spool's) and hands it to onError. */
  function reportError(err: Error, also?: 'spoolError'): void {
    noteError(stats, err, also);
    opts.onError(err);
  }

  const ready = (async () => {
    adapter = await createAdapter(opts.connection);
    try {
      if (opts.migrate) {
        try {
          await adapter.migrate();
        } catch (err) {
          // A database that cannot be reached is an outage like any other
          // (migrate-first.ts). Anything else stops the start, as before:
          // drift, a login refused, a database that does not exist, and a
          // constraint the DDL hit, which postponed into write() read as a
          // data error and turned the batch into rejects (found by a review).
          if (!isUnreachable(err)) throw err;
          reportError(err as Error);
          adapter = migrateFirst(adapter);
        }
      }
      // Migrated (or to be, before its first write): migrate() ends with the drift check.
      adapter = checkFirst(adapter, opts.migrate);
      for (const legacy of opts.spool.legacy ?? []) {
        const stranded = await adoptLegacySpool(legacy, opts.spool.dir);
        if (stranded !== undefined) reportError(new SinkError('SINK_SPOOL_IO', stranded));
      }
      const opened = await Spool.open({ dir: opts.spool.dir, fsync: opts.spool.fsync, segmentBytes: opts.spool.segmentBytes, loadBytes: opts.spool.memoryBytes });
      spool = opened.spool;
      const pending = opened.replayed.length + opened.unloaded.reduce((n, run) => n + run.sizes.length, 0);
      try {
        await claimSpool(opts.spool.dir, destinationOf(opts.connection), pending);
      } catch (err) {
        await opened.spool.close(false).catch(() => undefined);
        throw err;
      }
      stats.spoolCorruptTails = opened.report.corruptTails;
      stats.spoolCorruptBytes = opened.report.corruptBytes;
      if (opened.report.watermarkIgnored !== undefined) {
        // Nothing lost: what was committed comes back as duplicates.
        const err = new SinkError('SINK_SPOOL_IO', `spool watermark not used (${opened.report.watermarkIgnored}): every record on disk is replayed, the committed ones as duplicates`);
        reportError(err);
      }
      if (opened.report.corruptTails > 0) {
        const err = new SinkError('SINK_SPOOL_IO', `spool had ${opened.report.corruptTails} torn or corrupt tail(s), ${opened.report.corruptBytes} bytes not loaded (copies in ${opened.spool.dir}/quarantine; \`audit-trail salvage\` recovers their intact records): ${opened.report.reasons.join('; ')}`);
        reportError(err);
      }
      forwarder = opts.fallback ? createForwarder(opts.fallback) : undefined;
      backlog = new Backlog(spool, queue, opts.spool.memoryBytes, opts.defaultSource, stats);
      delivery = new Delivery(opts, adapter, spool, queue, stats, forwarder, backlog);
      const { replayed, unloaded } = opened;
      let onDisk = 0;
      for (const r of replayed) stats.spooledBytes += r.size;
      for (const run of unloaded) {
        onDisk += run.sizes.length;
        for (const n of run.sizes) stats.spooledBytes += n;
      }
      stats.replayed = replayed.length + onDisk;
      stats.spooledEvents += replayed.length + onDisk;
      delivery.push(backlog.admitReplayed(replayed, unloaded));
      delivery.expect(onDisk);
      delivery.start();
    } catch (err) {
      await adapter.close().catch(() => undefined);
      throw err;
    }
  })();
  ready.catch(() => undefined);

  /**
   * Waits until `bytes` more may be appended, then reserves them. Two limits:
   * the spool's size (its full policy: wait or reject), and, while the
   * database keeps up, the in-memory queue's budget: a writer waits for room
   * rather than spilling, because a spilled record is read back from disk and
   * validated a second time, which costs more than waiting (bench/sink.ts).
   * During an outage writers go on into the spool, which is what it is for.
   * No await between the checks and the reservation, so concurrent writers
   * cannot all pass at once.
   */
  async function reserve(bytes: number): Promise<void> {
    for (;;) {
      if (closed) throw new SinkClosedError();
      const pending = stats.spooledBytes + reserved;
      const spoolFull = pending > 0 && pending + bytes > opts.spool.maxBytes;
      if (spoolFull && opts.spool.onFull === 'reject') throw new SpoolFullError(pending, opts.spool.maxBytes);
      const inMemory = queue.bytes + reserved;
      const queueFull = inMemory > 0 && inMemory + bytes > opts.spool.memoryBytes && !delivery!.inOutage && !spilling;
      if (!spoolFull && !queueFull) break;
      await delivery!.whenSpaceFreed();
    }
    reserved += bytes;
  }

  /**
   * {@link reserve} in call order: a writer waits behind those before it, so
   * a later, smaller write never slips into room freed for an earlier one,
   * and records reach the spool (and the database) in the order write() was
   * called.
   */
  function reserveInOrder(bytes: number): Promise<void> {
    return reservations(() => reserve(bytes));
  }

  function write(input: WriteItem | readonly WriteItem[]): Promise<WriteReceipt> {
    const p = writeOne(input);
    writing.add(p);
    const settled = () => void writing.delete(p);
    p.then(settled, settled);
    return p;
  }

  async function writeOne(input: WriteItem | readonly WriteItem[]): Promise<WriteReceipt> {
    if (closed) throw new SinkClosedError();
    await ready;
    const items = (Array.isArray(input) ? input : [input]) as readonly WriteItem[];
    if (items.length === 0) return { accepted: 0, rejected: 0 };
    await nextTurn();
    if (closed) throw new SinkClosedError();
    // Handed on, not awaited here: a suspended async function keeps all its
    // variables (V8 saves the whole frame), so the items, every decoded line,
    // would live until the spool's fsync, long enough for V8 to promote them
    // to the old generation (peak RSS, bench/receiver.ts).
    return spoolStaged(stage(items, opts.defaultSource, opts.futureSkewMs));
  }

  /** Reserves room for a staged write, appends it to the spool, queues its rows once durable. */
  async function spoolStaged(staged: Staged): Promise<WriteReceipt> {
    const { rows, sizes, tags } = staged;
    // One row per item written (an event or a reject).
    const count = rows.length;
    const bytes = staged.buffer.length;
    await reserveInOrder(bytes);
    // close() may have begun while this write waited for its turn or for
    // room: it waits only for the appends under way when it began, and then
    // closes the spool, releasing its segments when nothing was queued. An
    // append started after that resolved write() for records the close then
    // deleted (found by a probe). Checked with no await before the append.
    if (closed) {
      reserved -= bytes;
      throw new SinkClosedError();
    }
    let start: SpoolPosition;
    const p = spool!.append(staged.buffer);
    appending.add(p);
    try {
      start = await p;
      delete stats.spoolFailingSince;
      delete stats.spoolError;
    } catch (err) {
      stats.spoolFailingSince ??= new Date().toISOString();
      reportError(err as Error, 'spoolError');
      throw err;
    } finally {
      appending.delete(p);
      reserved -= bytes;
    }
    const ends = positions(start, sizes);
    stats.received += count;
    stats.futureDated += staged.futureDated;
    stats.spooledEvents += count;
    stats.spooledBytes += bytes;
    // Into memory, or left on disk while the queue is over its budget (read back in order later).
    if (backlog!.admit(start, sizes, bytes)) delivery!.push(rows.map((row, i) => ({ row, end: ends[i]!, size: sizes[i]!, tag: tags[i] })));
    else delivery!.expect(rows.length);
    let rejected = 0;
    for (const r of rows) if (r.kind === 'reject') rejected++;
    return { accepted: rows.length - rejected, rejected };
  }

  const sink: Sink = {
    ready,
    write,
    async flush() {
      await ready;
      await Promise.allSettled([...writing]);
      await delivery!.whenDelivered();
    },
    close(closeOpts) {
      // A second call, while the first is still delivering, waits for the same end.
      closing ??= (async () => {
        closed = true;
        try {
          await ready;
        } catch {
          return;
        }
        await Promise.allSettled([...appending]);
        const timeoutMs = closeOpts?.timeoutMs ?? 10_000;
        const deadline = Date.now() + timeoutMs;
        await delivery!.stop(timeoutMs);
        // A database that hangs (accepts, never answers) keeps a query in
        // flight, and a driver's close waits for it (pg's pool.end() for the
        // query timeout: two minutes after SIGTERM in a probe): the wait is
        // bounded like delivery's, plus a second. The spool is closed either
        // way; what was not delivered stays in it.
        const adapterClosed = adapter!.close();
        await settleWithin(Promise.all([forwarder?.close(), adapterClosed]), Math.max(1000, deadline - Date.now() + 1000));
        // SQLite's writer thread, unlike a server's connection, must end
        // before this resolves (SinkAdapter.closeToEnd): a process that
        // exits after close() while the thread still waits on a lock aborted.
        if (adapter!.closeToEnd) await adapterClosed.catch(() => undefined);
        await spool!.close(queue.length === 0 && !backlog!.spilled);
      })();
      return closing;
    },
    stats: () => copyStats(stats),
    async migrate() {
      // Before `ready` finished the adapter may still be connecting.
      if (!adapter) await ready.catch(() => undefined);
      const a = adapter as SinkAdapter | undefined;
      if (!a) throw new SinkError('SINK_DB', 'the sink failed to start; see ready');
      return a.migrate();
    },
  };
  spillers.set(sink, () => {
    spilling = true;
    delivery?.wakeSpaceWaiters();
  });
  return sink;
}
