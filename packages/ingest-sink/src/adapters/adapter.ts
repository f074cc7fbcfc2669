import { TRANSPORT_FIELDS, type Dialect } from '@audit-trail/schema';
import { rejectRow, type EventRow, type RejectRow } from '../sink/prepare.js';
import { conflictReason, idConflictReason } from './conflict-reason.js';
import { sameEvent } from './same-event.js';

export { conflictReason };

/**
 * A batch as an adapter receives it. Events come in rounds, to be written in
 * order in the same transaction; each round is unique by event_id and by
 * (chain_id, seq) (see dedupeBatch). Almost always there is one round.
 */
export interface WriteBatch {
  rounds: EventRow[][];
  rejects: RejectRow[];
}

/** What one committed transaction did. */
export interface BatchOutcome {
  /** Event rows inserted. */
  inserted: number;
  /** Events whose event_id was already stored with the same event ({@link isSameEvent}). */
  duplicates: number;
  /** Events refused because another event_id holds their (chain_id, seq); inserted into rejects in the same transaction. */
  conflicts: RejectRow[];
  /** Events refused because their event_id is stored with another event ({@link isSameEvent}); inserted into rejects in the same transaction. */
  idConflicts: RejectRow[];
  /** Reject rows inserted (the batch's rejects and both kinds of conflicts), not counting those whose reject_key was already stored. */
  rejectsStored: number;
}

/**
 * One database dialect. `write` runs the whole batch in ONE transaction:
 * events (duplicates by event_id ignored when they hold the same event, an
 * event_id conflict otherwise), (chain_id, seq) collisions and the
 * given rejects into the rejects table (duplicates by reject_key ignored;
 * the batch's own rejects are unique by key); it either commits all of it or
 * throws (and the sink retries the same batch, which is safe: idempotent).
 */
export interface SinkAdapter {
  readonly dialect: Dialect;
  migrate(): Promise<void>;
  /**
   * Reaches the database and reads its catalog, changing nothing: resolves
   * when the audit tables are there and can hold what this version writes;
   * throws `SINK_DB` (unreachable, login refused, unknown database),
   * `SINK_NOT_MIGRATED` or `SINK_SCHEMA_DRIFT` (check-drift.ts). The sink
   * runs it at start and while idle, so an outage shows before any write.
   */
  check(): Promise<void>;
  write(batch: WriteBatch): Promise<BatchOutcome>;
  close(): Promise<void>;
  /**
   * Whether the sink's close() must wait for close() to end, however long:
   * true for SQLite's writer thread. Ended (worker.terminate(), or a
   * process.exit() the close left it running into) while a statement waits
   * in SQLite's busy handler for another process's lock, it aborts the whole
   * process when that wait fails: better-sqlite3 throws into the ending
   * thread ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal",
   * WiseLibs/better-sqlite3#842). Its close is bounded anyway: it waits
   * behind the statement in flight, at most the busy timeout. A server's
   * close is not awaited past the sink's bound (a hung connection).
   */
  readonly closeToEnd?: boolean;
}

/** A reject row for an event refused by a chain position conflict. */
export function conflictReject(row: EventRow, heldBy: string | undefined): RejectRow {
  return rejectRow(row.source, conflictReason(row, heldBy), row.raw);
}

/**
 * Whether `stored`, the event_json of a stored event, and the line of `row`,
 * which has the same event_id, hold the same event: a duplicate, or an
 * event_id conflict ({@link idConflictReject}). same-event.js says how.
 */
export function isSameEvent(stored: string, row: EventRow): boolean {
  return sameEvent(stored, row.raw, TRANSPORT_FIELDS);
}

/** A reject row for an event whose event_id is stored with another event. */
export function idConflictReject(row: EventRow): RejectRow {
  return rejectRow(row.source, idConflictReason(row.eventId), row.raw);
}
