import { SinkError } from '../sink/errors.js';
import { MAX_TIMER_MS } from '../sink/max-timer-ms.js';

const bad = (message: string) => new SinkError('SINK_BAD_OPTION', message);

/**
 * A value for a message, short, never throwing: JSON.stringify throws on a
 * BigInt (`port: 24224n`), and the check then failed with that TypeError
 * instead of naming the option (found by a review).
 */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

/** Refuses `v` unless it is a whole number from `min` to `max`. */
function wholeNumber(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw bad(`fallback.${name} must be a whole number from ${min} to ${max}, not ${shown(v)}`);
}

/**
 * Checks the values of `fallback` as the sink checks its other options
 * (SINK_BAD_OPTION naming the option). Unchecked, they reached
 * `@fluent-org/logger` as they were: no `port` connected to its default
 * 24224 while errors said "127.0.0.1:undefined"; a `timeoutMs` of `'x'` or
 * -5 (an environment variable passed as it is) made every attempt a
 * SINK_FORWARD_TIMEOUT at once, though the aggregator had received and
 * acked the events, so each retry sent them again and none was ever counted
 * as forwarded; `tls: 'yes'` was taken as TLS options (found by a probe).
 * Keys given as `undefined` are not given, as everywhere in the options.
 */
export function checkForwardOptions(o: Record<string, unknown>): void {
  if (typeof o.host !== 'string' || o.host === '') throw bad(`fallback.host must be a non-empty host name or address, not ${shown(o.host)}`);
  wholeNumber('port', o.port, 1, 65_535);
  if (o.timeoutMs !== undefined) wholeNumber('timeoutMs', o.timeoutMs, 1, MAX_TIMER_MS);
  // An empty tag is refused by @fluent-org/logger ("tag is missing") at every attempt.
  for (const k of ['tag', 'rejectTag'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw bad(`fallback.${k} must be a non-empty string`);
  }
  for (const k of ['sharedKey', 'clientHostname', 'username', 'password'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw bad(`fallback.${k} must be a string, got ${o[k] === null ? 'null' : typeof o[k]}`);
  }
  if (o.tls !== undefined && typeof o.tls !== 'boolean' && (typeof o.tls !== 'object' || o.tls === null || Array.isArray(o.tls))) {
    throw bad('fallback.tls must be true, false or an object of node:tls connect options');
  }
}
