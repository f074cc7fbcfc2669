import type { SinkAdapter, BatchOutcome } from '../adapters/adapter.js';
import { ChunkedEventRow } from '../rows/row-chunk.js';
import type { Spool } from '../spool/spool.js';
import { backoffDelay, sleep } from './backoff.js';
import type { Backlog, LostRecords } from './backlog.js';
import { dedupeBatch, type DedupedBatch } from './dedupe-batch.js';
import { isDataError } from './error-kind.js';
import type { ResolvedSinkOptions } from './options.js';
import { rejectRow } from './prepare.js';
import type { DeliveryQueue, QueuedItem } from './queue.js';
import { SinkClosedError, SinkError } from './errors.js';
import { noteError } from './stats.js';
import type { SinkStats } from './types.js';

/** Sends items somewhere other than the database (the Fluent forward fallback). */
export interface Forwarder {
  /** Resolves once every item is acked; rejects when `signal` aborts first (the sink's close deadline). */
  forward(items: readonly QueuedItem[], signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

class Stopped extends Error {}

/** Whether two batches share an event_id or a chain position (the smaller one's keys looked up in the larger's). */
function sharesKey(a: DedupedBatch, b: DedupedBatch): boolean {
  const [small, large] = a.keys.size <= b.keys.size ? [a.keys, b.keys] : [b.keys, a.keys];
  for (const k of small.keys()) if (large.has(k)) return true;
  return false;
}

/** Batches in flight at once. */
const PIPELINE = 2;

/** A database write awaiting its answer. */
interface PendingWrite {
  at: number;
  /** Set by `stall` once the write has waited {@link STALLED_WRITE_MS}. */
  stalled: boolean;
  stall?: NodeJS.Timeout;
}

/**
 * A database write (or check) unanswered this long counts as the database
 * failing: a batch takes well under a second, and a hung server fails no
 * attempt until the driver's query timeout (60 s for PostgreSQL, 120 s for
 * SQL Server), or never. The health endpoint says `degraded` from then on,
 * and writers held back by a full in-memory queue go on into the spool, as
 * in an outage, rather than waiting out the driver's timeout with no ack.
 */
export const STALLED_WRITE_MS = 15_000;

/**
 * The single delivery loop: takes batches from the queue in spool order,
 * writes each in one transaction, retries with backoff and jitter, hands
 * batches to the forwarder once the outage is long enough, and releases the
 * spool only after a commit or a forward ack. One batch at a time keeps
 * commit order = spool order, so the spool watermark is a single position.
 */
export class Delivery {
  private stopping = false;
  private deadline = Infinity;
  private readonly abort = new AbortController();
  /** Ends the database check's sleeps at stop(). */
  private readonly checkAbort = new AbortController();
  private outageSince: number | undefined;
  /**
   * stop() found the database failing (an attempt or check had failed and
   * was being backed off): the next failed attempt ends delivery instead of
   * backing off again until the deadline. Waiting cannot deliver during an
   * outage, and it kept a shutdown 10-13 s past SIGTERM, beyond Docker's 10 s
   * grace (found by a transport probe). Cleared when an attempt commits.
   */
  private outageAtStop = false;
  /** deliver()'s backoff sleeps under way: stop() ends them early during an outage, for one last attempt now. */
  private readonly backoffs = new Set<AbortController>();
  /** The outage was begun by a failed check and no write has failed since: a passing check ends it. */
  private outageByCheck = false;
  /** When the database last answered a write or a check (ms): the check runs after `checkIntervalMs` without one. */
  private answeredAt = 0;
  private loop: Promise<void> | undefined;
  private flushWaiters: { target: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Set once stop() has ended: nothing more will be delivered by this sink. */
  private stopped = false;
  private spaceWaiters: (() => void)[] = [];
  /** Items ever queued / delivered (flush targets). */
  enqueued = 0;
  delivered = 0;

  constructor(
    private readonly opts: ResolvedSinkOptions,
    private readonly adapter: SinkAdapter,
    private readonly spool: Spool,
    private readonly queue: DeliveryQueue,
    private readonly stats: SinkStats,
    private readonly forwarder: Forwarder | undefined,
    private readonly backlog: Backlog,
  ) {}

  start(): void {
    this.loop = this.run().catch((err) => {
      if (!(err instanceof Stopped)) this.fail(err as Error);
    });
    if (this.opts.checkIntervalMs > 0) void this.watchDatabase(this.opts.checkIntervalMs);
  }

  /**
   * Checks the database (adapter.check(): connection, login, database, the
   * audit tables) at start, and again whenever it has answered nothing for
   * `intervalMs`. Without it, a sink started against a database that is
   * down, misnamed or not migrated said nothing, and `stats().outageSince`
   * stayed empty (health `ok`), until the first event came; an idle sink
   * whose database went away looked healthy likewise. A failed check begins
   * an outage as a failed write does, and is tried again with the retry
   * backoff until it passes or a write takes over. A check awaiting its
   * answer counts in `writingSince`, so a hung database shows as one.
   */
  private async watchDatabase(intervalMs: number): Promise<void> {
    let attempt = 0;
    let due = Date.now();
    while (!this.stopping) {
      const wait = due - Date.now();
      // Unref'd: an idle sink's next check must not keep a process alive that has nothing else to do.
      if (wait > 0) await sleep(wait, this.checkAbort.signal, true);
      if (this.stopping) return;
      if (!this.outageByCheck) {
        // Writes in flight or failing say more than a check would; one answered lately is as good as a check.
        if (this.writing.size > 0 || this.outageSince !== undefined) {
          due = Date.now() + intervalMs;
          continue;
        }
        if (this.answeredAt + intervalMs > Date.now()) {
          due = this.answeredAt + intervalMs;
          continue;
        }
      }
      const started = this.writeStarted();
      try {
        await this.adapter.check();
        this.answeredAt = Date.now();
        attempt = 0;
        if (this.outageByCheck) this.endOutage();
        due = Date.now() + intervalMs;
      } catch (err) {
        if (this.stopping) return;
        this.fail(err as Error, 'databaseError');
        if (this.outageSince === undefined) {
          this.beginOutage();
          this.outageByCheck = true;
        }
        due = Date.now() + backoffDelay(attempt++, this.opts.retry);
      } finally {
        this.writeEnded(started);
      }
    }
  }

  /** Marks the database failing from now; returns that time. */
  private beginOutage(): number {
    const since = (this.outageSince = Date.now());
    this.stats.outageSince = new Date(since).toISOString();
    // Writers held back by a full in-memory queue may now spill to the spool.
    this.wakeSpaceWaiters();
    return since;
  }

  private endOutage(): void {
    this.outageSince = undefined;
    this.outageByCheck = false;
    this.outageAtStop = false;
    delete this.stats.outageSince;
    delete this.stats.databaseError;
  }

  /** Queues spooled items. */
  push(items: QueuedItem[]): void {
    this.enqueued += items.length;
    this.queue.push(items);
  }

  /** Counts items left on disk by the backlog (flush waits for them too), and wakes the loop to read them. */
  expect(count: number): void {
    this.enqueued += count;
    this.queue.wake();
  }

  /**
   * Resolves when every item queued so far is delivered; rejects with
   * SINK_CLOSED when the sink stops first (the items stay in the spool).
   * Before, a flush() pending at close(), or called after it, never settled.
   */
  whenDelivered(): Promise<void> {
    if (this.delivered >= this.enqueued) return Promise.resolve();
    if (this.stopped) return Promise.reject(this.closedBefore());
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ target: this.enqueued, resolve, reject });
      this.queue.wake();
    });
  }

  private closedBefore(): SinkClosedError {
    const left = this.enqueued - this.delivered;
    return new SinkClosedError(`the sink closed with ${left} item(s) not yet delivered; they stay in the spool and are delivered at its next start`);
  }

  /** Resolves after the next delivery (spool space may have been freed), or when an outage begins. */
  whenSpaceFreed(): Promise<void> {
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /**
   * True while the database is failing (from the first failed attempt to the
   * next commit), or while a write has waited {@link STALLED_WRITE_MS}
   * unanswered (a hung server: no attempt fails until the driver's timeout).
   */
  get inOutage(): boolean {
    if (this.outageSince !== undefined) return true;
    for (const w of this.writing) if (w.stalled) return true;
    return false;
  }

  /** The database writes awaiting their answer (one per batch in flight): start time, and whether the stall timer has fired. */
  private readonly writing = new Set<PendingWrite>();

  /**
   * Notes a write sent to the database; `stats.writingSince` is the oldest
   * still unanswered. A database that hangs (accepts, never answers) fails
   * no attempt until the driver's timeout, minutes later: the health
   * endpoint judges a write that waits too long by this.
   */
  private writeStarted(): PendingWrite {
    const w: PendingWrite = { at: Date.now(), stalled: false };
    // Still unanswered then: the writers waiting for room in memory may go on
    // into the spool (inOutage). Marked by the timer itself, not judged by
    // Date.now() when it fires: libuv's timer clock is cached at the start of
    // a loop turn, so the timer could fire before Date.now() - at reached
    // STALLED_WRITE_MS, the woken writers found no outage and waited again,
    // with nothing left to wake them (seen in CI, under load).
    w.stall = setTimeout(() => {
      w.stalled = true;
      this.wakeSpaceWaiters();
    }, STALLED_WRITE_MS);
    w.stall.unref();
    this.writing.add(w);
    this.noteWriting();
    return w;
  }

  private writeEnded(w: PendingWrite): void {
    clearTimeout(w.stall);
    this.writing.delete(w);
    this.noteWriting();
  }

  private noteWriting(): void {
    let oldest = Infinity;
    for (const w of this.writing) oldest = Math.min(oldest, w.at);
    if (oldest === Infinity) delete this.stats.writingSince;
    else this.stats.writingSince = new Date(oldest).toISOString();
  }

  /** Wakes the writers waiting for room, to look again (the sink stopped holding writes to its memory budget: {@link spillToSpool}). */
  wakeSpaceWaiters(): void {
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  /**
   * Stops after delivering what it can within `timeoutMs`; undelivered items
   * stay in the spool. During an outage (an attempt or check has failed and
   * nothing has committed since) the batches being backed off are tried once
   * more at once, and delivery stops at their next failure rather than at the
   * deadline: everything accepted is already durable in the spool, and the
   * next start replays it. A database that answers keeps today's bound.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.checkAbort.abort();
    this.deadline = Date.now() + timeoutMs;
    if (this.outageSince !== undefined) {
      this.outageAtStop = true;
      for (const b of this.backoffs) b.abort();
    }
    const timer = setTimeout(() => this.abort.abort(), timeoutMs);
    this.queue.wake();
    // A database call in flight cannot be aborted; do not wait for it past the
    // deadline (+1 s grace). The guard is cancelled once the loop ends, so no
    // timer is left holding the process open after a prompt shutdown.
    const guard = new AbortController();
    await Promise.race([this.loop, sleep(timeoutMs + 1000, guard.signal)]);
    guard.abort();
    clearTimeout(timer);
    this.wakeSpaceWaiters();
    this.stopped = true;
    if (this.flushWaiters.length > 0) {
      const err = this.closedBefore();
      for (const w of this.flushWaiters.splice(0)) w.reject(err);
    }
  }

  /** Sleeps `ms` between two attempts; ended early by the stop deadline, or by stop() during an outage. */
  private async backoff(ms: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const b = new AbortController();
    const end = () => b.abort();
    this.abort.signal.addEventListener('abort', end, { once: true });
    this.backoffs.add(b);
    try {
      await sleep(ms, b.signal);
    } finally {
      this.backoffs.delete(b);
      this.abort.signal.removeEventListener('abort', end);
    }
  }

  /** Keeps `err` as the stats' lastError (and as `also`, when it is the database's) and hands it to onError. */
  private fail(err: Error, also?: 'databaseError'): void {
    noteError(this.stats, err, also);
    this.opts.onError(err);
  }

  private async run(): Promise<void> {
    const { maxRows, maxBytes, maxDelayMs } = this.opts.batch;
    // Up to PIPELINE batches in flight: the next batch is serialised and
    // handed over while the previous one commits (the SQLite worker takes
    // them in order; server databases run them on separate connections).
    // The spool is released strictly in order, so its watermark stays valid.
    const inflight: { items: QueuedItem[]; batch: DedupedBatch; done: Promise<Error | undefined> }[] = [];
    let taken = 0;
    // The next batch shares an event_id or chain position with one in flight:
    // it waits for that commit, since on separate connections the later
    // write could commit first and keep the id (found by a review: 11-25 of
    // 200 pairs on PostgreSQL), and write() order is the order of the trail.
    let held = false;
    const PUSHED = Symbol('pushed');
    // During an outage one batch at a time: with two in flight, the first
    // could fail while the second, sent as the database came back, committed;
    // the first was then sent again and stored after it, out of write()
    // order (found by a transport probe: a signed chain read back by id went
    // backwards). The head's retry ends the outage, and the pipeline resumes.
    const pipeline = () => (this.outageSince === undefined ? PIPELINE : 1);
    for (;;) {
      if (this.backlog.spilled) {
        try {
          const lost = await this.backlog.refill();
          if (lost) this.settleLost(lost);
        } catch (err) {
          this.fail(err as Error);
          await sleep(this.opts.retry.maxDelayMs, this.abort.signal);
          if (this.stopping && Date.now() >= this.deadline) return;
          continue;
        }
      }
      const available = this.queue.length - taken;
      if (inflight.length < pipeline() && available > 0 && !(this.stopping && Date.now() >= this.deadline)) {
        if (inflight.length === 0) {
          // A partial batch waits a little for company, unless someone is flushing.
          const until = Date.now() + maxDelayMs;
          while (this.queue.length < maxRows && this.queue.bytes < maxBytes && !this.stopping && this.flushWaiters.length === 0 && !this.backlog.spilled) {
            const left = until - Date.now();
            if (left <= 0) break;
            // Cancel the losing timer, so none outlives the wait (nor close()).
            const woken = new AbortController();
            await Promise.race([this.queue.wait(), sleep(left, woken.signal)]);
            woken.abort();
          }
        }
        const items = this.queue.peek(maxRows, maxBytes, taken);
        const batch = dedupeBatch(items.map((i) => i.row));
        if (!inflight.some((f) => sharesKey(f.batch, batch))) {
          taken += items.length;
          inflight.push({ items, batch, done: this.deliver(items, batch, false, inflight.at(-1)?.done).then(() => undefined, (err: Error) => err) });
          continue;
        }
        held = true;
      }
      if (inflight.length === 0) {
        if (this.stopping && (!this.backlog.spilled || Date.now() >= this.deadline)) return;
        if (!this.backlog.spilled) await this.queue.wait();
        continue;
      }
      const head = inflight[0]!;
      const r = await (inflight.length < pipeline() && !this.stopping && !held ? Promise.race([head.done, this.queue.wait().then(() => PUSHED)]) : head.done);
      held = false;
      if (r === PUSHED) continue;
      const err = r as Error | undefined;
      if (err) {
        // Let the others settle, then start again from the head of the queue
        // (re-sending what they committed is harmless: idempotent).
        await Promise.all(inflight.map((f) => f.done));
        inflight.length = 0;
        taken = 0;
        if (err instanceof Stopped) return;
        // Unexpected (e.g. the spool watermark write failed): keep the items queued.
        this.fail(err);
        await sleep(this.opts.retry.maxDelayMs, this.abort.signal);
        if (this.stopping && Date.now() >= this.deadline) return;
        continue;
      }
      inflight.shift();
      taken -= head.items.length;
      try {
        await this.spool.release(head.items[head.items.length - 1]!.end);
      } catch (e) {
        this.fail(e as Error);
      }
      this.done(head.items);
    }
  }

  private done(items: QueuedItem[]): void {
    this.queue.shift(items.length);
    for (const it of items) {
      this.stats.spooledBytes -= it.size;
      // Committed or forwarded: its chunk may hand its text's buffer back for reuse.
      if (it.row instanceof ChunkedEventRow) it.row.chunk.delivered();
    }
    this.settled(items.length);
  }

  /**
   * Records the backlog skipped as damaged on disk: settled as never to be
   * delivered (flush() does not wait for them), counted, and reported
   * (`SINK_SPOOL_IO`), since their writes had resolved.
   */
  private settleLost(lost: LostRecords): void {
    this.stats.spooledBytes -= lost.bytes;
    this.stats.spoolQuarantinedRecords += lost.records;
    for (const k of lost.skips) {
      this.stats.spoolCorruptTails++;
      this.stats.spoolCorruptBytes += k.to - k.from;
    }
    const where = lost.skips.map((k) => `${k.reason}, ${k.to - k.from} bytes ${k.quarantined ? `copied to ${k.quarantined}` : 'left in place (quarantine copy failed)'}`).join('; ');
    this.fail(new SinkError('SINK_SPOOL_IO', `${where}: ${lost.records} accepted record(s) in it skipped, not delivered (\`audit-trail salvage\` recovers the intact ones)`));
    this.settled(lost.records);
  }

  /** `n` more items will not be waited for: delivered, or lost to a damaged spool. */
  private settled(n: number): void {
    this.delivered += n;
    this.stats.spooledEvents -= n;
    this.flushWaiters = this.flushWaiters.filter((w) => (this.delivered >= w.target ? (w.resolve(), false) : true));
    this.wakeSpaceWaiters();
  }

  private account(out: BatchOutcome, batch: DedupedBatch): void {
    this.stats.committed += out.inserted;
    this.stats.duplicates += out.duplicates;
    if (batch.copies.length > 0) this.accountCopies(out, batch.copies);
    this.stats.rejected += out.rejectsStored;
    this.stats.duplicateRejects += batch.duplicateRejects + batch.rejects.length + out.conflicts.length + out.idConflicts.length - out.rejectsStored;
    this.stats.chainConflicts += out.conflicts.length;
    this.stats.eventIdConflicts += out.idConflicts.length;
    this.stats.batches++;
  }

  /**
   * Copies of a row dropped by dedupeBatch count as that row turned out, as
   * they would in a later batch: a duplicate of a row stored (or already
   * there), a conflict found again of a row refused (its reject already
   * stored: a duplicate reject).
   */
  private accountCopies(out: BatchOutcome, copies: DedupedBatch['copies']): void {
    const refused = new Map<string, 'chain' | 'id'>();
    for (const r of out.conflicts) refused.set(`${r.source}\0${r.raw}`, 'chain');
    for (const r of out.idConflicts) refused.set(`${r.source}\0${r.raw}`, 'id');
    for (const { row, n } of copies) {
      const kind = refused.get(`${row.source}\0${row.raw}`);
      if (kind === undefined) this.stats.duplicates += n;
      else {
        this.stats.duplicateRejects += n;
        if (kind === 'chain') this.stats.chainConflicts += n;
        else this.stats.eventIdConflicts += n;
      }
    }
  }

  /**
   * Delivers one batch (committed, forwarded, or isolated row by row); throws
   * Stopped at the stop deadline. `after` settles when the batch before it in
   * flight has (undefined once delivered): a failed attempt is retried only
   * after that one, so two batches that both failed are stored in write()
   * order, not in the order their retries happened to get through.
   */
  private async deliver(items: QueuedItem[], batch = dedupeBatch(items.map((i) => i.row)), isolated = false, after?: Promise<Error | undefined>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const started = this.writeStarted();
      try {
        const out = await this.adapter.write(batch).finally(() => this.writeEnded(started));
        this.account(out, batch);
        this.answeredAt = Date.now();
        this.endOutage();
        break;
      } catch (err) {
        this.stats.retries++;
        this.outageByCheck = false;
        this.fail(err as Error, 'databaseError');
        if (isDataError(err) && attempt >= 1) {
          // The data, not the connection: split so the offending row becomes
          // a reject and its batch-mates commit (never the whole batch lost).
          if (items.length > 1) {
            for (const it of items) await this.deliver([it], undefined, true);
            break;
          }
          if (isolated || items.length === 1) {
            const it = items[0]!;
            if (it.row.kind === 'event') {
              const reject = rejectRow(it.row.source, `DB_REFUSED: ${(err as Error).message}`.slice(0, 4000), it.row.raw);
              await this.deliver([{ ...it, row: reject }], undefined, true);
              break;
            }
          }
        }
        const since = this.outageSince ?? this.beginOutage();
        const fb = this.opts.fallback;
        if (this.forwarder && fb && Date.now() - since >= fb.afterMs) {
          try {
            await this.forwarder.forward(items, this.abort.signal);
            this.stats.forwarded += items.length;
            this.stats.batches++;
            break;
          } catch (ferr) {
            this.fail(ferr as Error);
          }
        }
        if (this.stopping && (this.outageAtStop || Date.now() >= this.deadline)) throw new Stopped();
        await this.backoff(backoffDelay(attempt, this.opts.retry));
        // The batch before this one was not delivered: neither is this one (the loop sends both again, in order).
        if (after && (await after) !== undefined) throw new Stopped();
        if (this.stopping && Date.now() >= this.deadline) throw new Stopped();
      }
    }
  }
}
