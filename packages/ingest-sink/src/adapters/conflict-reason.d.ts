/** The rejects-table reason for an event whose (chain_id, seq) another event_id holds. */
export function conflictReason(
  row: { eventId: string; chainId: string | null; seq: number | null },
  heldBy: string | undefined,
): string;

/** The rejects-table reason for an event whose event_id is stored with other content. */
export function idConflictReason(eventId: string): string;
