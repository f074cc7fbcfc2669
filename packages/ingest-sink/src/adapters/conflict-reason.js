// @ts-check
// Plain JavaScript so that the SQLite worker (sqlite-core.js) shares it. Types: conflict-reason.d.ts.

/**
 * The reason stored in the rejects table for an event whose (chain_id, seq)
 * is held by a different event_id: not a duplicate but evidence (docs/integrity.md,
 * SEQ_DUPLICATE), so it is kept, never dropped.
 * @param {{ eventId: string; chainId: string | null; seq: number | null }} row
 * @param {string | undefined} heldBy
 */
export function conflictReason(row, heldBy) {
  return (
    `CHAIN_POSITION_CONFLICT: chain_id=${row.chainId} seq=${row.seq} is already held by event_id=${heldBy ?? 'unknown'}; ` +
    `event_id=${row.eventId} was not stored (possible forgery or replay under a new id)`
  );
}

/**
 * The reason stored in the rejects table for an event whose event_id is
 * already stored with other content (same-event.js): the first one stored
 * keeps the id; this one is kept here, not counted as a duplicate and lost.
 * @param {string} eventId
 */
export function idConflictReason(eventId) {
  return (
    `EVENT_ID_CONFLICT: event_id=${eventId} is already stored with other content; ` +
    'this event was not stored (a reused id, or a forged or replayed record)'
  );
}
