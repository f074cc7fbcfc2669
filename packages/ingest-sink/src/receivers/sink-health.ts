import { STALLED_WRITE_MS } from '../sink/delivery.js';
import type { SinkErrorNote } from '../sink/types.js';
import type { ReceiverLog } from './types.js';

/**
 * What the health endpoint says of the aggregator:
 * - `ok`: the database accepts batches;
 * - `degraded`: the database is failing (an attempt failed, or a write has
 *   waited {@link STALLED_WRITE_MS} unanswered); events are still accepted,
 *   spooled durably (and forwarded, with a fallback), and delivered when it
 *   returns;
 * - `failing`: the spool is nearly at its limit, so writes will soon wait
 *   (acks slow down) or be refused, or it cannot store anything (its disk
 *   full or failing: nothing is acked): senders should hold their data, or
 *   send it to another instance.
 */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

/** The status with the reasons for it (empty when ok). */
export interface SinkHealth {
  status: HealthStatus;
  problems: string[];
}

/** Share of `spoolMaxBytes` from which the spool counts as full: a write of a few MiB no longer fits, or soon will not. */
export const SPOOL_FULL_SHARE = 0.9;

/** How often a continuing outage, or the same kind of sink error, is logged again. */
export const SINK_LOG_REPEAT_MS = 60_000;

/** The fields of a sink's stats() this reads; a sink of the caller's own may have none of them. */
interface WatchedStats {
  spooledBytes?: number;
  spooledEvents?: number;
  spoolMaxBytes?: number;
  retries?: number;
  forwarded?: number;
  outageSince?: string;
  writingSince?: string;
  spoolFailingSince?: string;
  lastError?: SinkErrorNote;
  databaseError?: SinkErrorNote;
  spoolError?: SinkErrorNote;
  chainConflicts?: number;
  eventIdConflicts?: number;
  spoolQuarantinedRecords?: number;
  futureDated?: number;
}

/**
 * Counters whose every increase is logged at once, outage or not: each is
 * something to investigate (docs/operations.md, "Alert on"), and during an
 * outage `lastError` names the database, not them.
 */
const ALARMS = {
  chainConflicts: 'chain position conflict: an event claims a (chain_id, seq) another event holds, what a forged or replayed record looks like; stored as a reject, investigate',
  eventIdConflicts: 'event_id conflict: an event arrived under an event_id that is stored with another event (a reused id, or a forged or replayed record); stored as a reject, investigate',
  spoolQuarantinedRecords: 'accepted events lost to a damaged spool region: copied to the quarantine directory, recover the intact ones with audit-trail salvage',
} as const;

/**
 * Logged on the first increase of `futureDated`, then at most once per
 * repeat interval while it keeps rising: unlike a conflict, a node whose
 * clock runs ahead sends such events all the time.
 */
const FUTURE_DATED =
  'events dated ahead of this host\'s clock by more than the sink\'s futureSkewMs (default 5 minutes): a node\'s clock running ahead, or records dated forward to stay on top of newest-first reports; stored as usual, list them with audit-trail report future-dated';

/**
 * The error behind the database outage and the one behind the failing
 * spool: each part's own, so neither is named as the other's cause when both
 * fail at once (a full disk under SQLite and its spool). `lastError` stands
 * in for a sink of the caller's own that keeps no such fields.
 */
const databaseErrorOf = (s: WatchedStats) => s.databaseError ?? s.lastError;
const spoolErrorOf = (s: WatchedStats) => s.spoolError ?? s.lastError;
/** One error noted twice (stats keep lastError and the part's own as copies of one note). */
const sameNote = (a: SinkErrorNote, b: SinkErrorNote) => a.at === b.at && a.code === b.code && a.message === b.message;
const said = (e: SinkErrorNote | undefined) => (e ? ` (${e.code}: ${e.message})` : '');

function watched(stats: unknown): WatchedStats {
  return typeof stats === 'object' && stats !== null ? (stats as WatchedStats) : {};
}

function spoolFull(s: WatchedStats): boolean {
  return typeof s.spoolMaxBytes === 'number' && s.spoolMaxBytes > 0 && typeof s.spooledBytes === 'number' && s.spooledBytes >= SPOOL_FULL_SHARE * s.spoolMaxBytes;
}

const percent = (s: WatchedStats) => Math.round((100 * (s.spooledBytes ?? 0)) / (s.spoolMaxBytes ?? 1));

/** Seconds the oldest unanswered database write has waited, when that is {@link STALLED_WRITE_MS} or more. */
function stalledSeconds(s: WatchedStats, now: number): number | undefined {
  const waited = s.writingSince ? now - Date.parse(s.writingSince) : Number.NaN;
  return waited >= STALLED_WRITE_MS ? Math.round(waited / 1000) : undefined;
}

/** Judges a sink's stats() for the health endpoint. */
export function sinkHealth(stats: unknown, now = Date.now()): SinkHealth {
  const s = watched(stats);
  const problems: string[] = [];
  const stalled = stalledSeconds(s, now);
  if (spoolFull(s)) problems.push(`spool at ${percent(s)}% of its limit (${s.spoolMaxBytes} bytes): writes will wait or be refused`);
  if (s.spoolFailingSince) problems.push(`spool cannot store events since ${s.spoolFailingSince}${said(spoolErrorOf(s))}: nothing is acked, senders keep their events`);
  if (s.outageSince) problems.push(`database failing since ${s.outageSince}${said(databaseErrorOf(s))}; events are spooled`);
  if (stalled !== undefined) problems.push(`database has not answered a write for ${stalled} s (since ${s.writingSince}); events are spooled`);
  return { status: spoolFull(s) || s.spoolFailingSince ? 'failing' : s.outageSince || stalled !== undefined ? 'degraded' : 'ok', problems };
}

/**
 * Turns changes in a sink's stats() into log lines, so an operator reading
 * the aggregator's log learns that the database went away, for how long, and
 * that it came back, and of each chain or event_id conflict or quarantined record, and of
 * events dated ahead of its clock (at most once per repeat interval), without
 * polling /healthz. Everything else the counters
 * say is left to them. Repeats are bounded: a continuing outage is logged
 * again every {@link SINK_LOG_REPEAT_MS}, and a sink error of the same code
 * at most that often (a database that fails every retry would otherwise log
 * at the retry rate).
 */
export class SinkWatch {
  private outage: string | undefined;
  private outageLoggedAt = 0;
  /** When the end of the last outage was seen: an error stamped before it belonged to that outage. */
  private outageEndSeenAt = Number.NEGATIVE_INFINITY;
  private full = false;
  private spoolFailing = false;
  private stalled = false;
  private lastErrorAt: string | undefined;
  private readonly errorLoggedAt = new Map<string, number>();
  private readonly alarmCounts: Record<keyof typeof ALARMS, number> = { chainConflicts: 0, eventIdConflicts: 0, spoolQuarantinedRecords: 0 };
  /** `futureDated` when last logged, and when. */
  private futureLogged = { count: 0, at: Number.NEGATIVE_INFINITY };

  constructor(
    private readonly log: ReceiverLog,
    private readonly repeatMs = SINK_LOG_REPEAT_MS,
  ) {}

  /** Compares `stats` with what it saw last and logs the changes. */
  observe(stats: unknown, now = Date.now()): void {
    const s = watched(stats);
    const counts = { spooledEvents: s.spooledEvents, spooledBytes: s.spooledBytes, retries: s.retries, forwarded: s.forwarded };
    if (s.outageSince && s.outageSince !== this.outage) {
      this.outage = s.outageSince;
      this.outageLoggedAt = now;
      this.log({ level: 'warn', msg: 'database failing: events are spooled until it accepts them again', since: s.outageSince, error: databaseErrorOf(s), ...counts });
    } else if (s.outageSince && now - this.outageLoggedAt >= this.repeatMs) {
      this.outageLoggedAt = now;
      this.log({ level: 'warn', msg: 'database still failing', since: s.outageSince, seconds: Math.round((now - Date.parse(s.outageSince)) / 1000), error: databaseErrorOf(s), ...counts });
    } else if (!s.outageSince && this.outage) {
      this.log({ level: 'info', msg: 'database accepting events again', since: this.outage, seconds: Math.round((now - Date.parse(this.outage)) / 1000), ...counts });
      this.outage = undefined;
      this.outageEndSeenAt = now;
    }
    const error = s.lastError;
    if (error && error.at !== this.lastErrorAt) {
      this.lastErrorAt = error.at;
      // The outage's own lines carry the database's error; any other (a single
      // failed attempt, the spool's disk, the fallback) is logged here, during an
      // outage too: those lines name databaseError, so the fallback's failures,
      // which come only during an outage, were logged nowhere (found by a review).
      const last = this.errorLoggedAt.get(error.code);
      // A sink of the caller's own without databaseError: its outage lines carry lastError.
      const outagesOwn = s.outageSince !== undefined && (s.databaseError === undefined || sameNote(s.databaseError, error));
      // An error of the outage's last attempts is first seen with its end: it was the outage's, already said.
      const ofOutage = Date.parse(error.at) <= this.outageEndSeenAt;
      // A spool that cannot store: its own line below carries the error.
      const ofSpool = s.spoolFailingSince !== undefined && error.code === 'SINK_SPOOL_IO';
      if (!outagesOwn && !ofOutage && !ofSpool && (last === undefined || now - last >= this.repeatMs)) {
        // Codes come from drivers; a few dozen at most, but keep the map bounded anyway.
        if (this.errorLoggedAt.size >= 100) this.errorLoggedAt.clear();
        this.errorLoggedAt.set(error.code, now);
        this.log({ level: 'warn', msg: 'sink error', error });
      }
    }
    for (const name of Object.keys(ALARMS) as (keyof typeof ALARMS)[]) {
      const total = s[name];
      if (typeof total !== 'number' || total <= this.alarmCounts[name]) continue;
      this.log({ level: 'error', msg: ALARMS[name], [name]: total, new: total - this.alarmCounts[name] });
      this.alarmCounts[name] = total;
    }
    const future = s.futureDated;
    if (typeof future === 'number' && future > this.futureLogged.count && now - this.futureLogged.at >= this.repeatMs) {
      this.log({ level: 'warn', msg: FUTURE_DATED, futureDated: future, new: future - this.futureLogged.count });
      this.futureLogged = { count: future, at: now };
    }
    const stalled = stalledSeconds(s, now) !== undefined;
    if (stalled !== this.stalled) {
      this.stalled = stalled;
      if (stalled) this.log({ level: 'warn', msg: 'database not answering: a write has waited since', since: s.writingSince, ...counts });
      else this.log({ level: 'info', msg: 'database answering again', ...counts });
    }
    const spoolFailing = s.spoolFailingSince !== undefined;
    if (spoolFailing !== this.spoolFailing) {
      this.spoolFailing = spoolFailing;
      if (spoolFailing) this.log({ level: 'error', msg: 'spool cannot store events: nothing is acked, senders keep their events', since: s.spoolFailingSince, error: spoolErrorOf(s), ...counts });
      else this.log({ level: 'info', msg: 'spool storing events again', ...counts });
    }
    const full = spoolFull(s);
    if (full !== this.full) {
      this.full = full;
      if (full) this.log({ level: 'error', msg: 'spool nearly full: writes will wait or be refused', percent: percent(s), spoolMaxBytes: s.spoolMaxBytes, ...counts });
      else this.log({ level: 'info', msg: 'spool has room again', percent: percent(s), ...counts });
    }
  }
}
