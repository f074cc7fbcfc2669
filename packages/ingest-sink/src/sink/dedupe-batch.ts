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
  /**
   * Copies of a kept row (the same line from the same source) dropped here:
   * each counts as its row turns out, as it would in a later batch: a
   * duplicate when the row is stored or was, a conflict resent when the row
   * is refused (delivery.ts `account`). Without this, 5000 copies of one line
   * in one batch were 5000 rounds, 40x the database work (found by a review).
   */
  copies: { row: EventRow; n: number }[];
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
 * reject. A repeat with other content is never dropped here, and a copy
 * of a kept row (same line, same source) is dropped but counted as that row
 * turns out ({@link DedupedBatch.copies}): the row may itself be refused,
 * and its copies then count as its refusal resent, as in separate batches.
 */
export function dedupeBatch(rows: readonly PreparedRow[]): DedupedBatch {
  const next = new Map<string, number>();
  const out: DedupedBatch = { rounds: [], rejects: [], duplicateRejects: 0, keys: next, copies: [] };
  // The rows kept under each event_id: a Map entry per event, an array only for an id kept twice.
  const kept = new Map<string, EventRow | EventRow[]>();
  const copyOf = new Map<EventRow, { row: EventRow; n: number }>();
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
    const before = kept.get(eventId);
    if (before !== undefined) {
      const same = (Array.isArray(before) ? before : [before]).find((k) => k.raw === row.raw && k.source === row.source);
      if (same) {
        let c = copyOf.get(same);
        if (!c) copyOf.set(same, (c = { row: same, n: 0 }));
        c.n++;
        continue;
      }
      kept.set(eventId, Array.isArray(before) ? (before.push(row), before) : [before, row]);
    } else kept.set(eventId, row);
    let round = next.get(eventId) ?? 0;
    const chainId = row.chainId;
    const seq = chainId === null ? null : row.seq;
    const claim = chainId !== null && seq !== null ? `${chainId}/${seq}` : undefined;
    if (claim !== undefined) round = Math.max(round, next.get(claim) ?? 0);
    next.set(eventId, round + 1);
    if (claim !== undefined) next.set(claim, round + 1);
    (out.rounds[round] ??= [] as EventRow[]).push(row);
  }
  if (copyOf.size > 0) out.copies = [...copyOf.values()];
  return out;
}
