// Plain JavaScript: bench/receiver-server.mjs runs under plain node and
// imports it; the TypeScript benches import it too (gc-totals.d.mts).
import { PerformanceObserver, constants } from 'node:perf_hooks';

/**
 * Counts this thread's garbage collections from now on: scavenges (minor)
 * and mark-compacts (major), number and milliseconds. `totals` is updated
 * as GC entries arrive (asynchronously, shortly after each collection).
 * @returns {{ totals: import('./gc-totals.d.mts').GcTotals; stop(): void }}
 */
export function watchGc() {
  const totals = { minor: 0, minorMs: 0, major: 0, majorMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = /** @type {{ detail?: { kind?: number } }} */ (e).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) (totals.minor++, (totals.minorMs += e.duration));
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) (totals.major++, (totals.majorMs += e.duration));
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return { totals, stop: () => observer.disconnect() };
}

/**
 * "N scavenges X ms, M mark-compacts Y ms".
 * @param {import('./gc-totals.d.mts').GcTotals} g
 */
export function formatGc(g) {
  return `${g.minor} scavenges ${Math.round(g.minorMs)} ms, ${g.major} mark-compacts ${Math.round(g.majorMs)} ms`;
}
