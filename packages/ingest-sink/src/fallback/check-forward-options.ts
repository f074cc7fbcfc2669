import { SinkError } from '../sink/errors.js';
import { MAX_TIMER_MS } from '../sink/max-timer-ms.js';

const bad = (message: string) => new SinkError('SINK_BAD_OPTION', message);

/** A value for a message, short. JSON.stringify throws on a BigInt (`port: 24224n`) and a circular object: the check then failed with that TypeError instead of naming the option. */
function shown(v: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch {
    json = undefined;
  }
  return (json ?? (typeof v === 'bigint' ? `${v}n` : String(v))).slice(0, 40);
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
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) throw bad(`fallback.port must be a whole number from 1 to 65535, not ${shown(o.port)}`);
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || !Number.isSafeInteger(o.timeoutMs) || o.timeoutMs < 1 || o.timeoutMs > MAX_TIMER_MS)) {
    throw bad(`fallback.timeoutMs must be a whole number from 1 to ${MAX_TIMER_MS}, not ${shown(o.timeoutMs)}`);
  }
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
