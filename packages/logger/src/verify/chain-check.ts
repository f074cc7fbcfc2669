import { CHAIN_EVENT_TYPES } from '@audit-trail/schema';
import type { ChainEntry } from './intake.js';
import type { MacVerifier } from './chain-mac.js';
import type { ChainSummary, Finding, VerifyOptions } from './types.js';

const MARKS = new Set(['AUDIT_CHECKPOINT', 'AUDIT_CHAIN_CLOSE']);

interface OpenDetail {
  mode?: 'shared' | 'sealed';
  checkpoint_interval_ms?: number;
  epoch_interval_ms?: number;
  epoch_max_events?: number;
}

/** The records the logger writes and dates itself, the chain's own (a caller may date its own events: their event_time is a claim). */
const LOGGER_DATED = new Set<string>(CHAIN_EVENT_TYPES);

const whole = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : undefined);

/** Options of one chain's check: `asOf` resolved, and the settle cut-offs when settleMs is given. */
export type ChainCheckOptions = Omit<VerifyOptions, 'asOf'> & { asOf: number; pendingAfter?: number; pendingStoredAfter?: number };

/**
 * Checks one chain (docs/integrity.md "Verifier findings") from its records in
 * seq order, one at a time, keeping a few values instead of the records:
 * duplicates (SEQ_DUPLICATE), gaps (SEQ_GAP, or TAIL_TRUNCATED when a
 * checkpoint or close names the missing records), `prev` links
 * (CHAIN_BREAK), epochs (EPOCH_REGRESSION; EPOCH_OVERDUE and EPOCH_EARLY,
 * the schedule the OPEN states, see {@link EpochSchedule}), record kinds,
 * the checkpoint cadence (CHECKPOINT_MISSING between the records the logger
 * dates itself, also for an open chain's tail against `asOf`), and at the
 * end keys and MACs (KEY_UNKNOWN, MAC_INVALID). With
 * `pendingAfter`, the seq-order checks stop at the first record stamped
 * after it and, when it has a storedAt, stored after `pendingStoredAfter`
 * (records still arriving, VerifyOptions.settleMs).
 *
 * Only the records whose MAC failed are kept (for MAC_INVALID), so a chain
 * read in seq order (`verify --db`, VerifyOptions.order "chain") costs
 * memory by its findings, not by its length.
 */
export class ChainChecker {
  /** SEQ_DUPLICATE (and, from checkChain, REORDERED) in input order; then the MAC findings; then the seq-order ones. */
  private readonly early: Finding[] = [];
  private readonly inOrder: Finding[] = [];
  private records = 0;
  private first: ChainEntry | undefined;
  /** The last record of a new position (not a duplicate). */
  private last: ChainEntry | undefined;
  private open: ChainEntry | undefined;
  private kid = '';
  private limit: number | undefined;
  private interval: number | undefined;
  /** Records whose MAC did not verify, or whose kid is not the chain's. */
  private readonly bad: ChainEntry[] = [];
  // Seq-order state: up to the pending cut.
  private pendingFrom = false;
  private pending = 0;
  private before: ChainEntry | undefined;
  private closed: ChainEntry | undefined;
  private lastMark: ChainEntry | undefined;
  private epochs: EpochSchedule | undefined;
  // Summary state: over every new position.
  private minTime = Number.NaN;
  private maxTime = Number.NaN;
  private anyClose = false;
  private lastEpoch = 0;

  constructor(
    readonly chainId: string,
    private readonly macs: MacVerifier,
    private readonly opts: ChainCheckOptions,
  ) {}

  /** The seq of the last record added (0 before the first). */
  get lastSeq(): number {
    return this.last?.seq ?? 0;
  }

  private push(to: Finding[], code: Finding['code'], e: ChainEntry | null, seq: number | null, message: string): void {
    to.push({
      code,
      chain_id: this.chainId,
      seq,
      message,
      ...(e?.location ? { location: e.location } : {}),
      ...(e?.eventId ? { event_id: e.eventId } : {}),
    });
  }

  /**
   * Adds the next record. Records come in seq order; a record at the seq of
   * the one before is a duplicate, reported as SEQ_DUPLICATE unless
   * `reported` (checkChain reports them in input order itself).
   */
  add(e: ChainEntry, reported = false): void {
    this.records++;
    if (!this.first) this.start(e);
    if (e.kid !== this.kid || e.macOk === false) this.bad.push(e);
    if (this.last && e.seq === this.last.seq) {
      if (!reported) this.duplicate(e, this.last);
      return;
    }
    this.last = e;
    if (!Number.isNaN(e.time)) {
      if (!(e.time >= this.minTime)) this.minTime = e.time;
      if (!(e.time <= this.maxTime)) this.maxTime = e.time;
    }
    if (e.eventType === 'AUDIT_CHAIN_CLOSE') this.anyClose = true;
    this.lastEpoch = Math.max(this.lastEpoch, e.epoch);
    // Pending: recent by its event_time, and by storedAt where the store gave one (unsigned, so it only narrows).
    if (!this.pendingFrom && this.opts.pendingAfter !== undefined && e.time > this.opts.pendingAfter && !(e.stored <= this.opts.pendingStoredAfter!)) this.pendingFrom = true;
    // The epoch schedule is judged on pending records too: a record's own
    // time decides that it is pending, and a forger re-dating a tail into the
    // settle window kept it from the schedule (found by a review).
    this.epochs?.judge(e, (code, seq, message) => this.push(this.inOrder, code, e, seq, message));
    if (this.pendingFrom) {
      this.pending++;
      return;
    }
    this.judge(e);
  }

  /**
   * SEQ_DUPLICATE of `e` at the position `first` holds. Two records with one
   * MAC are one signed record twice only when both verify: an edited copy
   * keeps the MAC, and it may come first as well as second, so neither is
   * called the replay unless that is known; when neither verifies, the key
   * may be the cause.
   */
  duplicate(e: ChainEntry, first: ChainEntry): void {
    const at = first.location ? ` (first at ${first.location})` : '';
    let message: string;
    if (first.mac !== e.mac) message = `a different record at the position of seq ${e.seq}${at}`;
    else if (first.macOk && e.macOk) message = `a second copy of seq ${e.seq}, the same signed record${at}: replayed or resent`;
    // Both failing is no sign of which was edited: under a wrong key a plain resend fails twice (found by a review).
    else if (first.macOk === false && e.macOk === false) message = `a second record with the MAC of seq ${e.seq}${at}; neither MAC verifies: both are edited, or the key is not the one they were signed with`;
    else if (first.macOk === false || e.macOk === false) message = `a second record with the MAC of seq ${e.seq}${at}; the one whose MAC does not verify is edited`;
    else message = `a second record with the MAC of seq ${e.seq}${at} (MACs not checked)`;
    this.push(this.early, 'SEQ_DUPLICATE', e, e.seq, message);
  }

  /** REORDERED: `e` came after `maxSeen` in the input. */
  reordered(e: ChainEntry, maxSeen: number): void {
    this.push(this.early, 'REORDERED', e, e.seq, `seq ${e.seq} is stored after seq ${maxSeen}`);
  }

  private start(e: ChainEntry): void {
    this.first = e;
    this.open = e.seq === 1 && e.eventType === 'AUDIT_CHAIN_OPEN' ? e : undefined;
    this.kid = (this.open ?? e).kid;
    const detail = (this.open?.chain ?? {}) as OpenDetail;
    this.interval = Number.isSafeInteger(detail.checkpoint_interval_ms) ? detail.checkpoint_interval_ms! : undefined;
    this.limit = this.interval === undefined ? undefined : this.interval + (this.opts.checkpointSlackMs ?? Math.ceil(this.interval / 2));
    this.lastMark = this.open && !Number.isNaN(this.open.time) ? this.open : undefined;
    const interval = whole(detail.epoch_interval_ms);
    const max = whole(detail.epoch_max_events);
    const slack = this.opts.checkpointSlackMs ?? Math.ceil((this.interval ?? interval ?? 0) / 2);
    this.epochs = interval !== undefined && max !== undefined ? new EpochSchedule(interval, max, slack) : undefined;
  }

  /** Gaps, links, epochs, kinds and cadence of the next position. */
  private judge(e: ChainEntry): void {
    const push = (code: Finding['code'], seq: number, message: string) => this.push(this.inOrder, code, e, seq, message);
    const before = this.before;
    const expected = before ? before.seq + 1 : 1;
    if (e.seq > expected) {
      const names = MARKS.has(e.eventType) ? e.chain?.last_seq : undefined;
      const range = e.seq - 1 === expected ? `record ${expected} is` : `records ${expected}-${e.seq - 1} are`;
      if (typeof names === 'number' && names >= expected) push('TAIL_TRUNCATED', expected, `${range} missing; the ${e.eventType} at seq ${e.seq} names records up to ${names}`);
      else push('SEQ_GAP', expected, `${range} missing`);
    } else if (before && e.prev !== before.mac) {
      push('CHAIN_BREAK', e.seq, `prev does not match the mac of seq ${before.seq}`);
    }
    if (e.seq === 1 && e.prev !== '') push('CHAIN_BREAK', 1, 'record 1 must have an empty prev');
    if (before && e.epoch < before.epoch) push('EPOCH_REGRESSION', e.seq, `epoch ${e.epoch} after epoch ${before.epoch} at seq ${before.seq}`);
    if ((e.seq === 1) !== (e.eventType === 'AUDIT_CHAIN_OPEN')) push('SCHEMA_INVALID', e.seq, e.seq === 1 ? 'record 1 of a chain must be AUDIT_CHAIN_OPEN' : 'AUDIT_CHAIN_OPEN at a seq other than 1');
    if (this.closed) push('SCHEMA_INVALID', e.seq, `record after the AUDIT_CHAIN_CLOSE at seq ${this.closed.seq}`);
    if (e.eventType === 'AUDIT_CHAIN_CLOSE') this.closed = e;
    // Judged between checkpoints (and the close) only: the logger dates them
    // with its own clock, while an event's event_time may be the caller's
    // (an event dated ahead made its own chain fail).
    if (this.limit !== undefined && this.lastMark && MARKS.has(e.eventType) && !Number.isNaN(e.time)) {
      if (e.time - this.lastMark.time > this.limit) {
        push('CHECKPOINT_MISSING', e.seq, `no checkpoint between seq ${this.lastMark.seq} (${iso(this.lastMark.time)}) and seq ${e.seq} (${iso(e.time)}); the interval is ${this.interval} ms`);
      }
      this.lastMark = e;
    }
    this.before = e;
  }

  /** The chain's findings and summary, once every record is added (at least one). */
  finish(): { findings: Finding[]; summary: ChainSummary } {
    const first = this.first!;
    const lastJudged = this.before;
    const tail: Finding[] = [];
    if (!this.closed && lastJudged && this.limit !== undefined && this.lastMark && this.opts.asOf - this.lastMark.time > this.limit) {
      this.push(tail, 'CHECKPOINT_MISSING', lastJudged, lastJudged.seq + 1, `chain is not closed and its last checkpoint (seq ${this.lastMark.seq}, ${iso(this.lastMark.time)}) is older than the interval plus slack before ${iso(this.opts.asOf)}: records after it may have been removed`);
    }
    if (this.interval !== undefined) this.epochs?.finish(this.interval, (code, e, message) => this.push(tail, code, e, e.seq, message));
    const macFindings: Finding[] = [];
    this.macs.finish(this.chainId, this.kid, this.records, this.bad, first, (code, e, seq, message) => this.push(macFindings, code, e, seq, message));
    const findings = [...this.early, ...macFindings, ...this.inOrder, ...tail];
    const detail = (this.open?.chain ?? {}) as OpenDetail;
    const summary: ChainSummary = {
      chain_id: this.chainId,
      kid: this.kid || null,
      mode: detail.mode ?? null,
      service: first.service ?? null,
      instance: first.instance ?? null,
      records: this.records,
      first_seq: first.seq,
      last_seq: this.last!.seq,
      first_time: Number.isNaN(this.minTime) ? null : iso(this.minTime),
      last_time: Number.isNaN(this.maxTime) ? null : iso(this.maxTime),
      // A CLOSE among the pending records still ends the chain (UNSIGNED_IN_SIGNED_CHAIN dates records by it).
      closed: this.anyClose,
      last_epoch: this.lastEpoch,
      pending: this.pending,
      findings: findings.length,
      ok: findings.length === 0,
    };
    return { findings, summary };
  }
}

/**
 * Checks one chain from its records in input order, as a file holds them:
 * REORDERED (unless `checkOrder` is false) and SEQ_DUPLICATE in that order,
 * then everything {@link ChainChecker} checks, over the records sorted by seq.
 */
export function checkChain(chainId: string, entries: ChainEntry[], macs: MacVerifier, opts: ChainCheckOptions): { findings: Finding[]; summary: ChainSummary } {
  const checker = new ChainChecker(chainId, macs, opts);
  const firstAt = new Map<number, ChainEntry>();
  let maxSeen = 0;
  for (const e of entries) {
    const dup = firstAt.get(e.seq);
    if (dup) {
      checker.duplicate(e, dup);
      continue;
    }
    firstAt.set(e.seq, e);
    if (opts.checkOrder !== false && e.seq < maxSeen) checker.reordered(e, maxSeen);
    maxSeen = Math.max(maxSeen, e.seq);
  }
  // Stable: the copies of a seq keep their input order, the first (firstAt) first.
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) checker.add(e, true);
  return checker.finish();
}

/**
 * Whether a chain's epochs advanced as its AUDIT_CHAIN_OPEN says they do
 * (`epoch_interval_ms`, `epoch_max_events`; docs/integrity.md "Keys").
 * The signer opens the chain at epoch 0, and moves to the next epoch before
 * signing once the current one is `epoch_interval_ms` old or holds
 * `epoch_max_events` records, and on a timer when idle, erasing the old key.
 * So every epoch that ended either lasted an interval or is full, and in a
 * genuine chain:
 *
 * - the OPEN is at epoch 0 (EPOCH_EARLY otherwise);
 * - no epoch holds more than `epoch_max_events` records, and the records the
 *   logger dated itself (open, checkpoints, close) of one epoch lie within
 *   `epoch_interval_ms` plus slack of each other (EPOCH_OVERDUE otherwise);
 * - between two consecutive logger-dated records, every epoch wholly between
 *   theirs that is not full lasted an interval: their times are at least
 *   that many intervals apart, less slack (EPOCH_EARLY otherwise; not judged
 *   across a gap in seq, whose records may fill those epochs).
 *
 * Without these, whoever takes a later epoch's key (sealed mode's forward
 * security is against exactly that) could re-sign every record from an
 * earlier epoch on under that key, epochs still non-decreasing, and the
 * result verified. Only logger-dated records are timed: a caller may set an
 * event's own event_time. The slack is the checkpoint slack: a clock stepped
 * back by more than it while an epoch is current shows as EPOCH_OVERDUE.
 */
class EpochSchedule {
  private epoch = -1;
  private count = 0;
  private overdue = false;
  /** The earliest and latest logger-dated records of the current epoch. */
  private earliest: ChainEntry | undefined;
  private latest: ChainEntry | undefined;
  /** The last logger-dated record so far. */
  private lastMark: ChainEntry | undefined;
  /** Records since lastMark, by epoch, of epochs after lastMark's. */
  private readonly since = new Map<number, number>();
  /** A seq is missing since lastMark. */
  private gapSinceMark = false;
  /** The record judged before, and the last one. */
  private before: ChainEntry | undefined;

  constructor(
    private readonly interval: number,
    private readonly max: number,
    private readonly slack: number,
  ) {}

  judge(e: ChainEntry, push: (code: Finding['code'], seq: number, message: string) => void): void {
    const before = this.before;
    this.before = e;
    if (e.epoch !== this.epoch) {
      this.epoch = e.epoch;
      this.count = 0;
      this.overdue = false;
      this.earliest = this.latest = undefined;
    }
    this.count++;
    if (this.count === this.max + 1) {
      push('EPOCH_OVERDUE', e.seq, `epoch ${e.epoch} holds more than epoch_max_events (${this.max}) records: its key signed past its budget, as a key taken from a later epoch re-signing earlier records would`);
      this.overdue = true;
    }
    if (e.seq === 1 && e.eventType === 'AUDIT_CHAIN_OPEN' && e.epoch !== 0) {
      push('EPOCH_EARLY', e.seq, `the chain opens at epoch ${e.epoch}; a chain opens at epoch 0, so its OPEN was signed with a later key`);
    }
    if (before && e.seq !== before.seq + 1) this.gapSinceMark = true;
    if (!LOGGER_DATED.has(e.eventType) || Number.isNaN(e.time)) {
      if (this.lastMark && e.epoch > this.lastMark.epoch) this.since.set(e.epoch, (this.since.get(e.epoch) ?? 0) + 1);
      return;
    }
    const last = this.lastMark;
    if (last && !this.gapSinceMark && e.epoch - last.epoch >= 2) {
      const timed = this.timedBetween(last.epoch, e.epoch);
      if (timed > 0 && e.time - last.time < timed * this.interval - this.slack) {
        push('EPOCH_EARLY', e.seq, `epoch ${last.epoch} at seq ${last.seq} (${iso(last.time)}) is followed by epoch ${e.epoch} at seq ${e.seq} (${iso(e.time)}), ${e.time - last.time} ms later; the ${timed} epoch(s) between them that are not full lasted at least ${timed * this.interval} ms`);
      }
    }
    this.lastMark = e;
    this.since.clear();
    this.gapSinceMark = false;
    if (!this.earliest || e.time < this.earliest.time) this.earliest = e;
    if (!this.latest || e.time > this.latest.time) this.latest = e;
    if (!this.overdue && this.latest.time - this.earliest.time > this.interval + this.slack) {
      const [a, b] = this.earliest.seq < this.latest.seq ? [this.earliest, this.latest] : [this.latest, this.earliest];
      push('EPOCH_OVERDUE', e.seq, `epoch ${e.epoch} signs seq ${a.seq} (${iso(a.time)}) and seq ${b.seq} (${iso(b.time)}), ${this.latest.time - this.earliest.time} ms apart; an epoch lasts at most epoch_interval_ms (${this.interval}): its key was used past its time, as a key taken from a later epoch re-signing earlier records would be`);
      this.overdue = true;
    }
  }

  /** Epochs strictly between `from` and `to` that are not full, whose records all came since the last logger-dated record: each ended by time. */
  private timedBetween(from: number, to: number): number {
    let full = 0;
    for (const [epoch, n] of this.since) if (epoch > from && epoch < to && n >= this.max) full++;
    return to - from - 1 - full;
  }

  /**
   * The records after the last logger-dated one: the logger writes a
   * checkpoint before a record once one is due, so they were signed within
   * a checkpoint interval (plus slack) of it, and the epochs they passed
   * through that are not full must fit in that time. Without this, a forger
   * dropping the checkpoints after an edit and re-signing the rest under a
   * later key left nothing to judge them against (found by a review).
   */
  finish(checkpointInterval: number, push: (code: Finding['code'], e: ChainEntry, message: string) => void): void {
    const last = this.lastMark;
    const end = this.before;
    if (!last || !end || end === last || this.gapSinceMark || end.epoch - last.epoch < 2) return;
    const timed = this.timedBetween(last.epoch, end.epoch);
    const room = checkpointInterval + 2 * this.slack;
    if (timed * this.interval > room) {
      push('EPOCH_EARLY', end, `records after the last checkpoint (seq ${last.seq}, epoch ${last.epoch}) reach epoch ${end.epoch} at seq ${end.seq}; the ${timed} epoch(s) between that are not full lasted at least ${timed * this.interval} ms, but the logger writes a checkpoint within ${checkpointInterval} ms (plus slack) of the last`);
    }
  }
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
