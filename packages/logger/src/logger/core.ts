import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { completeEvent, newEventId, parseAuditEvent, type AuditEvent, type AuditEventDraft, type EventContext } from '@audit-trail/schema';
import { AuditClosedError, AuditConfigError, AuditDestinationError, AuditError, AuditTimeoutError } from '../errors.js';
import { ChainSigner } from '../signing/chain-signer.js';
import type { ResolvedSigning } from '../signing/config.js';
import { endStream, flushStream, systemReason, writeTracker, type LineStream, type OpenedDestination, type WriteTracker } from './destination.js';

const PINO_METADATA = Symbol.for('pino.metadata');

/** State shared by a logger and all its children: one destination, one chain. */
export class LoggerCore {
  readonly signer?: ChainSigner;
  private closed = false;
  private closing?: Promise<void>;
  private checkpointTimer?: NodeJS.Timeout;
  private epochTimer?: NodeJS.Timeout;
  /** The clock of the chain records (ctx.now), in ms. */
  private readonly nowMs: () => number = () => Date.now();
  /** When the last OPEN or CHECKPOINT was written (signed only). */
  private lastMarkAt = 0;
  /**
   * The first failure of the destination; the lines written since (which
   * may be lost); `dead` when it can never take a line (a file that could
   * not be opened): nothing more is written to it.
   */
  private failure?: { error: AuditDestinationError; cause: unknown; linesAfter: number; dead: boolean; dropped: number };
  /** Lines handed to the destination. */
  private lines = 0;
  /** pino.multistream() writes a line only to its streams at or below `lastLevel`, which only a pino logger sets. */
  private readonly levelled: boolean;
  /**
   * Set for a Node Writable destination (none the logger opens): its lines
   * are written with a callback, so flush() waits for exactly them and a
   * failed write is seen even outside flush().
   */
  private readonly tracker?: WriteTracker;
  /** The reopen() in progress: a second call joins it. */
  private reopening?: Promise<void>;
  /** Settles the reopen() in progress with the open error of a non-blocking destination. */
  private reopenFailed?: (err: unknown) => void;
  /** Open errors of reopen() already handed to its caller: not a failure of the destination, which still writes to the file it had. */
  private readonly reopenErrors = new WeakSet<object>();

  constructor(
    private readonly dest: OpenedDestination,
    readonly ctx: EventContext,
    signing: ResolvedSigning | undefined,
    private readonly closeDestination: boolean,
    private readonly onError: (err: Error) => void,
    maxBufferedBytes: number,
  ) {
    // A stream the logger opened is its to watch: without a listener, an
    // 'error' (a path that cannot be opened asynchronously, EPIPE on a
    // closed stdout, ENOSPC) would crash the process. A stream you passed
    // in keeps its own error handling; flush() and close() still watch it.
    if (dest.owned) dest.stream.on?.('error', (err) => this.streamError(err));
    // sonic-boom drops a line that would take what it holds unwritten past
    // its maxLength (maxBufferedBytes): a destination failure, counted.
    if (dest.owned) dest.stream.on?.('drop', () => this.lineDropped());
    this.tracker = writeTracker(dest.stream, (err) => this.destinationFailed(err), maxBufferedBytes);
    this.levelled = (dest.stream as unknown as Record<symbol, unknown>)[PINO_METADATA] === true;
    if (!signing) return;
    const now = ctx.now ?? (() => new Date());
    this.nowMs = () => now().getTime();
    this.signer = new ChainSigner(signing, this.nowMs);
    this.writeChainRecord('AUDIT_CHAIN_OPEN', this.signer.openDetail);
    // Checkpoints even when idle (a truncated tail shows within one
    // interval), and epoch keys evolve on time even when idle (forward
    // security). unref(): neither timer keeps the process alive.
    this.checkpointTimer = setInterval(() => this.guard(() => this.checkpoint('interval')), signing.checkpointIntervalMs).unref();
    this.armEpochTimer(this.signer.msUntilDue());
  }

  /**
   * Fires when the current epoch's time is up, not on a fixed phase: an
   * epoch begun by the record count just after a fixed tick would keep its
   * key for almost two intervals when idle. Re-armed after every firing,
   * for whatever epoch is current then.
   */
  private armEpochTimer(ms: number): void {
    this.epochTimer = setTimeout(() => {
      this.guard(() => this.signer!.evolveIfDue());
      // Still due means evolving failed (reported through onError): retry after a full interval, not in a loop.
      if (!this.closed) this.armEpochTimer(this.signer!.msUntilDue() || this.signer!.openDetail.epoch_interval_ms);
    }, ms).unref();
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err as Error);
    }
  }

  /**
   * Hands `err` to onError. A handler that throws must not turn emit() into
   * a throwing call (the README promises it does not throw for destination
   * failures) nor end the process from a timer or stream callback: what it
   * throws becomes a process warning, with the error it was given.
   */
  private report(err: Error): void {
    try {
      this.onError(err);
    } catch (thrown) {
      process.emitWarning(`onError threw (${thrown instanceof Error ? thrown.message : String(thrown)}) while reporting: ${err.message}`, { code: 'AUDIT_TRAIL_ON_ERROR_THREW' });
    }
  }

  /** Throws {@link AuditClosedError} once `close()` has begun. */
  assertOpen(): void {
    if (this.closed) throw new AuditClosedError();
  }

  /**
   * Signs (when configured) and writes one validated event as one line.
   * Signed records are written in their RFC 8785 form (the text the MAC
   * covers, plus the mac), unsigned ones with JSON.stringify in schema order
   * (`unsignedLine`: that text, already made by the validation fast path).
   */
  write<T extends AuditEvent>(event: T, unsignedLine?: string): T {
    // The timer cannot fire while a caller emits in a loop without yielding
    // (a batch job, a backlog replayed): without this, such a run left no
    // checkpoint for longer than the interval, which the verifier reports as
    // CHECKPOINT_MISSING (docs/integrity.md), on a genuine log.
    if (this.signer && this.nowMs() - this.lastMarkAt >= this.signer.openDetail.checkpoint_interval_ms) this.checkpoint('overdue');
    // JSON.stringify (and JCS, which escapes strings the same way), not
    // pino's serializer: pino's fast string escaper writes lone surrogates
    // unescaped (pino 10.4.0), and an event must round-trip exactly. JSON
    // escapes CR, LF and every C0 control.
    const line = this.signer ? this.signer.sign(event as unknown as Record<string, unknown>) : (unsignedLine ?? JSON.stringify(event));
    this.put(line);
    return event;
  }

  /** Writes one line; after the destination has failed, counts it as possibly lost. */
  private put(line: string): void {
    this.lines++;
    if (this.failure) {
      this.failure.linesAfter++;
      if (this.failure.dead) return;
    }
    // Audit lines go to every stream of a multistream whatever its level ('fatal', 60), except a silent one.
    if (this.levelled) (this.dest.stream as { lastLevel?: number }).lastLevel = 60;
    // One branch, no closure: the default sonic-boom path writes as before.
    try {
      if (this.tracker) {
        if (!this.tracker.write(this.dest.stream, `${line}\n`)) this.lineDropped();
      } else this.dest.stream.write(`${line}\n`);
    } catch (err) {
      // A stream whose write() throws (rather than erroring through its
      // callback): a destination failure like any other, not an exception of emit().
      this.destinationFailed(err);
    }
  }

  /**
   * The destination failed: reported once through onError, and the reason
   * every later flush() and close() rejects. Lines go on being written (a
   * disk may get room again), and those written after it are counted in the
   * error's message, except to a file that could not be opened at all.
   */
  private destinationFailed(cause: unknown): void {
    if (this.failure) return;
    const s = this.dest.stream as LineStream & { destroyed?: boolean };
    // An owned sonic-boom without a descriptor after an error will never
    // open. Marked destroyed, as pino's exit hook (on-exit-leak-free ->
    // autoEnd) checks, which would otherwise call flushSync() at exit and
    // crash with "sonic boom is not ready yet".
    const dead = this.dest.owned && typeof s.fd === 'number' && s.fd < 0;
    if (dead) s.destroyed = true;
    const what = dead ? `could not be opened: ${systemReason(cause)}` : `failed: ${systemReason(cause)}`;
    const error = new AuditDestinationError(`the audit destination ${what}; audit lines written ${dead ? 'to it are lost' : 'since may be lost'}`, { cause });
    this.failure = { error, cause, linesAfter: dead ? this.lines : 0, dead, dropped: 0 };
    this.report(error);
  }

  /**
   * An 'error' of the destination: a failure, unless it is reopen()'s open
   * error, which goes to reopen()'s caller instead (sonic-boom keeps the
   * descriptor it had when an open fails, so lines still reach the file as
   * opened before). True when it was such an error. Any other error also
   * ends a reopen() that waits: sonic-boom reopens once its write in flight
   * is done, which a failed write never is.
   */
  private streamError(err: unknown): boolean {
    if (typeof err === 'object' && err !== null && this.reopenErrors.has(err)) return true;
    const pending = this.reopenFailed;
    if (pending && typeof err === 'object' && err !== null && (err as { syscall?: unknown }).syscall === 'open') {
      this.reopenErrors.add(err);
      pending(err);
      return true;
    }
    this.destinationFailed(err);
    pending?.(err);
    return false;
  }

  /**
   * Opens the destination's file path again (sonic-boom's reopen), for a
   * rename-and-create rotation (logrotate without copytruncate, then
   * SIGHUP): lines written before the new file is open go to the renamed
   * one, none are lost. A signed logger then writes a checkpoint (reason
   * `reopen`), so the new file starts with a signed record of how far the
   * chain had come. Rejects with AuditConfigError for a destination that is
   * no path the logger opened, and with AuditDestinationError when the path
   * cannot be opened: lines then go on to the file as it was opened.
   * Concurrent calls share one reopen.
   */
  reopen(): Promise<void> {
    if (this.closed) return Promise.reject(new AuditClosedError());
    const { path } = this.dest;
    if (path === undefined) return Promise.reject(new AuditConfigError('reopen() opens again a file path the logger opened; this destination is stdout, stderr, a file descriptor or a stream you passed in'));
    if (this.failure?.dead) return Promise.reject(this.failureError()!);
    this.reopening ??= this.reopenPath(path).finally(() => {
      this.reopening = undefined;
    });
    return this.reopening;
  }

  private async reopenPath(path: string): Promise<void> {
    // sonic-boom's own state (4.x): its first open still running, or a
    // reopen waiting for the write in flight.
    const s = this.dest.stream as LineStream & NodeJS.EventEmitter & { reopen(): void; fd: number; _opening?: boolean; _reopening?: boolean };
    const cannot = (err: unknown, goesOn: boolean) =>
      new AuditDestinationError(`cannot reopen the audit destination ${JSON.stringify(path)}: ${systemReason(err)}${goesOn ? '; audit lines go on to the file as it was opened' : ''}`, { cause: err });
    // A non-blocking destination just created: sonic-boom would queue this
    // reopen behind its first open, whose 'ready' could be taken for this one's.
    if (s._opening) await once(s, 'ready').catch(() => Promise.reject(this.failureError()));
    // The path is tried first: sonic-boom asked to reopen a path that does
    // not open leaves a listener that closes the old descriptor at its next
    // 'ready', so the next reopen closed it twice (EBADF, a destination
    // failure; or another descriptor reused meanwhile; found by a review).
    try {
      closeSync(openSync(path, 'a'));
    } catch (err) {
      throw cannot(err, true);
    }
    const before = new Set(s.rawListeners('ready'));
    const fd = s.fd;
    const opened = () => s.fd !== fd && !s._opening && !s._reopening;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: unknown) => {
        this.reopenFailed = undefined;
        s.off('ready', onReady);
        if (err === undefined) return resolve();
        // What sonic-boom left waiting for the open that failed (the close of the old descriptor).
        for (const l of s.rawListeners('ready')) if (!before.has(l)) s.removeListener('ready', l as (...args: unknown[]) => void);
        reject(cannot(err, (err as { syscall?: unknown }).syscall === 'open'));
      };
      const onReady = () => {
        if (opened()) settle();
      };
      s.on('ready', onReady);
      this.reopenFailed = settle;
      try {
        s.reopen();
      } catch (err) {
        // The path went away since it was tried. A blocking destination
        // throws, then emits the same error on the next tick, which settles
        // this through streamError (settled now, that late 'error' would
        // reach whatever listens then: close()'s wait for the end).
        if ((err as { syscall?: unknown } | null)?.syscall !== 'open') settle(err);
        return;
      }
      // A blocking destination has its new descriptor already.
      if (opened()) settle();
    });
    if (!this.closed) this.checkpoint('reopen');
  }

  /** A line the destination dropped, its buffer full: the destination has failed, if it had not said so already. */
  private lineDropped(): void {
    if (!this.failure) {
      const full = new Error('it holds as many bytes unwritten as maxBufferedBytes allows (a disk full or a stalled reader)');
      this.destinationFailed(Object.assign(full, { code: 'AUDIT_BUFFER_FULL' }));
      // The line dropped was counted before the failure existed.
      this.failure!.linesAfter++;
    }
    this.failure!.dropped++;
  }

  /** The destination's failure as the error flush() and close() reject with, naming how many lines it concerns. */
  private failureError(): AuditDestinationError | undefined {
    const f = this.failure;
    if (!f) return undefined;
    if (f.linesAfter === 0) return f.error;
    const dropped = f.dropped > 0 ? `, ${f.dropped} of them dropped` : '';
    return new AuditDestinationError(`${f.error.message} (${f.linesAfter} ${f.dead ? 'lost' : 'written after it'}${dropped})`, { cause: f.cause });
  }

  /**
   * Runs `task` on the destination, ending early with the destination's
   * failure: one recorded before, or an 'error' the stream emits meanwhile
   * (also for a stream you passed in, watched only for the wait).
   */
  private async watched(task: (s: LineStream) => Promise<void>): Promise<void> {
    const s = this.dest.stream;
    const before = this.failureError();
    if (before) throw before;
    let onError: ((err: unknown) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      onError = (err) => {
        // reopen()'s open error: the stream still writes where it did.
        if (this.streamError(err)) return;
        reject(this.failureError());
      };
      s.on?.('error', onError);
    });
    try {
      await Promise.race([task(s), failed]);
    } catch (err) {
      // Anything the destination itself failed with (not our own timeout or
      // misuse errors) is its failure, as the README promises: a
      // pino.transport() whose worker has died calls flush() back with a
      // bare "the worker has exited" (thread-stream flushBuffer()), and its
      // reason (a target that could not start, a database URL it refused)
      // is only in `writableErrored`. Before, flush() and close() rejected
      // with that bare Error, no code, onError never told (found by a probe).
      if (!(err instanceof AuditError)) this.destinationFailed((s as { writableErrored?: unknown }).writableErrored ?? err);
      throw this.failureError() ?? err;
    } finally {
      s.off?.('error', onError!);
    }
    const after = this.failureError();
    if (after) throw after;
  }

  /** Writes an AUDIT_CHAIN_OPEN / AUDIT_CHECKPOINT / AUDIT_CHAIN_CLOSE record of this chain. */
  writeChainRecord(type: 'AUDIT_CHAIN_OPEN' | 'AUDIT_CHECKPOINT' | 'AUDIT_CHAIN_CLOSE', chain: object): AuditEvent {
    const event = completeEvent({ event_type: type, chain } as unknown as AuditEventDraft, this.ctx) as Record<string, unknown>;
    event.event_id = newEventId(); // the logger's one id generator (monotonic in write order)
    const line = this.signer!.sign(event);
    const check = parseAuditEvent(event);
    if (!check.ok) throw new AuditError('AUDIT_INTERNAL', `${type} record failed the schema: ${JSON.stringify(check.issues)}`);
    this.put(line);
    this.lastMarkAt = Date.parse(event.event_time as string);
    return event as unknown as AuditEvent;
  }

  /** Writes an AUDIT_CHECKPOINT now (the timer calls this every interval, write() when one is overdue). No-op when unsigned. */
  checkpoint(reason?: string): AuditEvent | undefined {
    if (!this.signer || this.closed) return undefined;
    const n = this.signer.seq;
    return this.writeChainRecord('AUDIT_CHECKPOINT', { last_seq: n, records: n, ...(reason ? { reason } : {}) });
  }

  /** Waits until written lines have left the process, at most `timeoutMs`; AuditClosedError once close() has begun. */
  flush(timeoutMs: number): Promise<void> {
    // The destination may be ended (sonic-boom then rejects with a plain
    // "SonicBoom destroyed"): name the misuse instead, as emit() does.
    if (this.closed) return Promise.reject(new AuditClosedError());
    return bounded(this.watched((s) => flushStream(s, this.tracker)), timeoutMs, 'flush');
  }

  /**
   * Writes AUDIT_CHAIN_CLOSE, stops the timers, erases the key, flushes and
   * ends the destination if the logger opened it (sonic-boom leaves fd 1/2
   * themselves open). Bounded by `timeoutMs`; idempotent.
   */
  close(timeoutMs: number, reason = 'close'): Promise<void> {
    if (this.closing) return this.closing;
    clearInterval(this.checkpointTimer);
    clearTimeout(this.epochTimer);
    let closeRecord: Error | undefined;
    if (this.signer) {
      try {
        const n = this.signer.seq;
        this.writeChainRecord('AUDIT_CHAIN_CLOSE', { last_seq: n, records: n, reason });
      } catch (err) {
        closeRecord = err as Error;
      } finally {
        this.signer.destroy();
      }
    }
    this.closed = true;
    const finish = async () => {
      await this.watched(async (s) => {
        await flushStream(s, this.tracker);
        // Ending an owned sonic-boom on fd 1/2 does not close the descriptor (sonic-boom skips it).
        if (this.dest.owned || this.closeDestination) await endStream(s);
      });
      if (closeRecord) throw closeRecord;
    };
    this.closing = bounded(finish(), timeoutMs, 'close');
    return this.closing;
  }
}

function bounded(p: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AuditTimeoutError(what, ms)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
