import { isSameEvent, type WriteBatch } from '../adapters/adapter.js';
import type { EventRow, PreparedRow } from './prepare.js';

/** A batch after in-batch deduplication. */
export interface DedupedBatch extends WriteBatch {
  /** Repeats of an event_id inside the batch holding the same event (a resend): ignored, counted as duplicates. */
  duplicates: number;
  /** Repeats of a reject key inside the batch: ignored, counted as duplicate rejects. */
  duplicateRejects: number;
}

/**
 * Splits prepared rows into rejects and rounds of events. A repeat of an
 * event_id holding the same event (a resend; same-event.js), or of a reject
 * key, is dropped (first wins). Every other row goes into the first round
 * after those holding its event_id or its (chain_id, seq): the k-th event
 * claiming a chain position goes into round k or later, and so does a k-th
 * event under one event_id that holds another event. Every round is unique
 * on both keys, so each dialect's SQL only has to compare a round with stored
 * rows; running the rounds in order inside one transaction decides between
 * two claimants the same way as two separate batches would (the stored one
 * wins; the other is a duplicate when it holds the same event, else an
 * event_id or chain position conflict, kept as a reject).
 */
export function dedupeBatch(rows: readonly PreparedRow[]): DedupedBatch {
  const out: DedupedBatch = { rounds: [], rejects: [], duplicates: 0, duplicateRejects: 0 };
  // Per event_id its first row; for an id kept more than once, the round
  // after its last row (a Map entry per event, not an object: this runs for
  // every event, on the thread that acks).
  const firsts = new Map<string, EventRow>();
  const idNext = new Map<string, number>();
  const claims = new Map<string, number>();
  let rejectKeys: Set<string> | undefined;
  for (const row of rows) {
    if (row.kind === 'reject') {
      rejectKeys ??= new Set();
      if (rejectKeys.has(row.key)) out.duplicateRejects++;
      else {
        rejectKeys.add(row.key);
        out.rejects.push(row);
      }
      continue;
    }
    // Each field read once: a chunked row reads it from its packed chunk.
    const eventId = row.eventId;
    const first = firsts.get(eventId);
    // Compared with the first only: the rows after it under this id are refused whatever they hold.
    if (first && isSameEvent(first.raw, row)) {
      out.duplicates++;
      continue;
    }
    let round = first ? (idNext.get(eventId) ?? 1) : 0;
    const chainId = row.chainId;
    const seq = chainId === null ? null : row.seq;
    if (chainId !== null && seq !== null) {
      const key = `${chainId}/${seq}`;
      round = Math.max(round, claims.get(key) ?? 0);
      claims.set(key, round + 1);
    }
    if (!first) firsts.set(eventId, row);
    // An id's first row in round 0 needs no entry: its next is 1.
    if (first || round > 0) idNext.set(eventId, round + 1);
    (out.rounds[round] ??= [] as EventRow[]).push(row);
  }
  return out;
}
