import { describeValue, isObject, optionalBoolean, refuseUnknownKeys } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';
import type { AuditLoggerOptions } from './create.js';

/**
 * Every option of {@link AuditLoggerOptions}. `satisfies` makes the
 * compiler fail when an option is added to the interface but not here, so a
 * documented option can never be refused as unknown.
 */
const OPTION_KEYS = {
  service: true,
  version: true,
  instance: true,
  runtime: true,
  env: true,
  destination: true,
  sync: true,
  maxBufferedBytes: true,
  closeDestination: true,
  onInvalid: true,
  redact: true,
  signing: true,
  traceContext: true,
  flushTimeoutMs: true,
  closeTimeoutMs: true,
  onError: true,
  now: true,
} as const satisfies Record<keyof AuditLoggerOptions, true>;

/**
 * Longest bound `setTimeout` keeps (2^31 - 1 ms, about 24.8 days): Node
 * fires a longer one after 1 ms, which would turn a generous bound into an
 * immediate AuditTimeoutError.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Smallest `maxBufferedBytes`: one line of a violation record (16 KiB) with room to spare. */
const MIN_BUFFERED_BYTES = 64 * 1024;

/**
 * Checks a time bound of `flush()` / `close()` (an option or an argument):
 * milliseconds from 0 to {@link MAX_TIMEOUT_MS}. 0 is a bound of zero: only
 * what finishes without waiting on I/O (a flush of the default synchronous
 * destination) beats it; anything else rejects with AuditTimeoutError.
 * NaN, negative and infinite bounds are refused: NaN timed out every call
 * and -1 never could, so neither bounded anything.
 */
export function checkTimeout(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMEOUT_MS) {
    throw new AuditConfigError(`${name} must be a number of milliseconds from 0 to ${MAX_TIMEOUT_MS}, got ${describeValue(value)}`);
  }
  return value;
}

function optionalFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw new AuditConfigError(`${name} must be a function, got ${describeValue(value)}`);
}

/**
 * Checks the shape of createAuditLogger's options before anything is
 * opened: unknown keys, and the type of each option that would otherwise
 * fail late (a TypeError at the first emit or destination failure) or fall
 * back silently to its default. Values with their own checks (producer and
 * runtime fields, signing keys, redact paths, the destination) are checked
 * where they are parsed. Only `undefined` means "not given".
 */
export function checkOptions(options: unknown): asserts options is AuditLoggerOptions {
  if (!isObject(options)) throw new AuditConfigError(`options must be an object, got ${describeValue(options)}`);
  refuseUnknownKeys(options, OPTION_KEYS, 'option');
  const o = options as Record<keyof AuditLoggerOptions, unknown>;
  for (const name of ['sync', 'closeDestination', 'traceContext'] as const) optionalBoolean(o[name], name);
  if (o.onInvalid !== undefined && o.onInvalid !== 'record' && o.onInvalid !== 'throw') {
    throw new AuditConfigError(`onInvalid must be "record" or "throw", got ${typeof o.onInvalid === 'string' ? JSON.stringify(o.onInvalid.slice(0, 20)) : describeValue(o.onInvalid)}`);
  }
  optionalFunction(o.onError, 'onError');
  optionalFunction(o.now, 'now');
  for (const name of ['flushTimeoutMs', 'closeTimeoutMs'] as const) if (o[name] !== undefined) checkTimeout(o[name], name);
  if (o.maxBufferedBytes !== undefined && (!Number.isSafeInteger(o.maxBufferedBytes) || (o.maxBufferedBytes as number) < MIN_BUFFERED_BYTES)) {
    throw new AuditConfigError(`maxBufferedBytes must be a whole number of bytes from ${MIN_BUFFERED_BYTES}, got ${describeValue(o.maxBufferedBytes)}`);
  }
  if (o.env !== undefined && !isObject(o.env)) throw new AuditConfigError(`env must be an object of environment variables, got ${describeValue(o.env)}`);
  if (o.runtime !== undefined && o.runtime !== false && !isObject(o.runtime)) throw new AuditConfigError(`runtime must be an object of runtime fields or false, got ${describeValue(o.runtime)}`);
  if (o.signing !== undefined && o.signing !== false && !isObject(o.signing)) throw new AuditConfigError(`signing must be an object of signing options or false, got ${describeValue(o.signing)}`);
}
