import type { WriteBatch } from '../adapters/adapter.js';
import type { EventRow, PreparedRow } from './prepare.js';

/** A batch after in-batch deduplication. */
export interface DedupedBatch extends WriteBatch {
  /** Repeats of an event_id inside the batch (a resend): ignored, counted as duplicates. */
  duplicates: number;
  /** Repeats of a reject key inside the batch: ignored, counted as duplicate rejects. */
  duplicateRejects: number;
}

/**
 * Splits prepared rows into rejects and rounds of events: repeats of an
 * event_id, or of a reject key, are dropped (first wins); the k-th event claiming the same
 * (chain_id, seq) goes into round k. Every round is unique on both keys, so
 * each dialect's SQL only has to compare a round with stored rows; running
 * the rounds in order inside one transaction decides between two claimants
 * the same way as two separate batches would (the stored one wins, the other
 * is a duplicate if its event_id is stored, else a chain position conflict).
 */
export function dedupeBatch(rows: readonly PreparedRow[]): DedupedBatch {
  const out: DedupedBatch = { rounds: [], rejects: [], duplicates: 0, duplicateRejects: 0 };
  const ids = new Set<string>();
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
    if (ids.has(eventId)) {
      out.duplicates++;
      continue;
    }
    ids.add(eventId);
    let round = 0;
    const chainId = row.chainId;
    const seq = chainId === null ? null : row.seq;
    if (chainId !== null && seq !== null) {
      const key = `${chainId}/${seq}`;
      round = claims.get(key) ?? 0;
      claims.set(key, round + 1);
    }
    (out.rounds[round] ??= [] as EventRow[]).push(row);
  }
  return out;
}
