import type { SinkErrorNote, SinkStats } from './types.js';

/** Fresh counters of a sink whose spool holds at most `spoolMaxBytes`. */
export function emptyStats(spoolMaxBytes: number): SinkStats {
  return {
    received: 0,
    committed: 0,
    duplicates: 0,
    rejected: 0,
    duplicateRejects: 0,
    chainConflicts: 0,
    eventIdConflicts: 0,
    futureDated: 0,
    spooledBytes: 0,
    spooledEvents: 0,
    spoolMaxBytes,
    forwarded: 0,
    retries: 0,
    batches: 0,
    readBack: 0,
    replayed: 0,
    spoolCorruptTails: 0,
    spoolCorruptBytes: 0,
    spoolQuarantinedRecords: 0,
  };
}

/**
 * Records `err` as the last error for stats(), with its code and a one-line
 * message, and as `also` (the database's or the spool's own) when given.
 */
export function noteError(stats: SinkStats, err: Error, also?: 'databaseError' | 'spoolError'): void {
  const code = (err as { code?: unknown }).code;
  const note: SinkErrorNote = {
    code: typeof code === 'string' ? code : err.name,
    message: err.message.replace(/[\r\n]+/g, ' ').slice(0, 500),
    at: new Date().toISOString(),
  };
  stats.lastError = note;
  if (also) stats[also] = { ...note };
}

/** A copy of `stats` for a caller: the error notes too, so it cannot change the sink's own. */
export function copyStats(stats: SinkStats): SinkStats {
  const copy = { ...stats };
  for (const key of ['lastError', 'databaseError', 'spoolError'] as const) {
    const note = stats[key];
    if (note) copy[key] = { ...note };
  }
  return copy;
}
