import v8 from 'node:v8';
import { ConfigError } from './config.js';

/**
 * Default old-generation growth of `audit-trail serve`, in percent. The
 * aggregator's heap is mostly garbage that was promoted while in flight
 * (a request's packed rows live until their commit, 50-200 ms, long enough
 * for V8 to move them to the old generation); V8's own growth factor (up to
 * 4x the live size) lets that pile up to 60 MB before a full collection,
 * while each one costs ~6 ms here. At 10% the collections come about five
 * times as often and peak RSS drops by a quarter (SQLite) to two fifths
 * (PostgreSQL), for 5-20% fewer events/s (bench/receiver.ts, figures in the
 * package README).
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 10;

/**
 * Reads the `heapGrowingPercent` setting (flag, environment or file value):
 * an integer from 0 to 1000, 0 meaning V8's own heuristics. `what` names
 * the setting in the message, as it was given.
 */
export function parseHeapGrowingPercent(value: number | string | undefined, what = 'heap growing percent'): number {
  if (value === undefined || value === '') return DEFAULT_HEAP_GROWING_PERCENT;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 1000) {
    throw new ConfigError('CONFIG_INVALID', `${what} must be an integer from 0 (V8's default) to 1000, got "${String(value).slice(0, 32)}"`);
  }
  return n;
}

/**
 * Sets V8's old-generation growing factor to 1 + percent/100 for this
 * process (`--heap-growing-percent`, read by V8 each time it sizes the heap,
 * so it takes effect when set at run time). 0 leaves V8's heuristics alone.
 * For a process that owns its heap, such as `audit-trail serve`; a library
 * embedded in someone else's service should not call it.
 */
export function applyHeapGrowingPercent(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
