import type { WriteBatch } from '../adapters/adapter.js';
import type { EventRow, PreparedRow } from './prepare.js';

/** A batch after in-batch deduplication. */
export interface DedupedBatch extends WriteBatch {
  /** Repeats of a reject key inside the batch: ignored, counted as duplicate rejects. */
  duplicateRejects: number;
  /**
   * The batch's event_ids and claimed chain positions (`chain_id/seq`), each
   * with the round after its last row: two batches sharing one must reach
   * the database in order (delivery.ts).
   */
  keys: Map<string, number>;
}

/**
 * Splits prepared rows into rejects and rounds of events. A repeat of a
 * reject key is dropped (first wins). Every event goes into the first round
 * after those holding its event_id or its (chain_id, seq), so every round is
 * unique on both keys and each dialect's SQL only has to compare a round
 * with stored rows. Running the rounds in order inside one transaction then
 * decides each event exactly as writing them one at a time would: the first
 * stored wins, and a later one is a duplicate when it holds the same event
 * (same-event.js), else an event_id or chain position conflict, kept as a
 * reject. A repeat is not dropped here even when it equals the first: the
 * first may itself turn out a conflict, and its copies must count as its
 * refusals resent, as they would in separate batches (found by a review).
 */
export function dedupeBatch(rows: readonly PreparedRow[]): DedupedBatch {
  const next = new Map<string, number>();
  const out: DedupedBatch = { rounds: [], rejects: [], duplicateRejects: 0, keys: next };
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
    let round = next.get(eventId) ?? 0;
    const chainId = row.chainId;
    const seq = chainId === null ? null : row.seq;
    const claim = chainId !== null && seq !== null ? `${chainId}/${seq}` : undefined;
    if (claim !== undefined) round = Math.max(round, next.get(claim) ?? 0);
    next.set(eventId, round + 1);
    if (claim !== undefined) next.set(claim, round + 1);
    (out.rounds[round] ??= [] as EventRow[]).push(row);
  }
  return out;
}
