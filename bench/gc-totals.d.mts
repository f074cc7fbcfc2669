/** Garbage collections of one thread: scavenges (minor) and mark-compacts (major), count and milliseconds. */
export interface GcTotals {
  minor: number;
  minorMs: number;
  major: number;
  majorMs: number;
}

/** Counts this thread's collections from now on, until `stop()`. */
export function watchGc(): { totals: GcTotals; stop(): void };

/** "N scavenges X ms, M mark-compacts Y ms". */
export function formatGc(g: GcTotals): string;
