let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date().toISOString()` (RFC 3339 UTC, millisecond precision), formatted
 * once per millisecond: at tens of thousands of events per second most
 * events share their millisecond with the one before, and formatting costs
 * more than the rest of the envelope together.
 */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
