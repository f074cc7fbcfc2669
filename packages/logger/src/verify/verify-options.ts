import { describeValue, isObject, optionalBoolean, refuseUnknownKeys } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';
import type { VerifyOptions, VerifyRecord } from './types.js';

/** Every option of {@link VerifyOptions}; `satisfies` keeps the list in step with the interface. */
const VERIFY_OPTION_KEYS = {
  asOf: true,
  checkpointSlackMs: true,
  keyStepBudget: true,
  checkOrder: true,
  settleMs: true,
  storedAsOf: true,
  order: true,
} as const satisfies Record<keyof VerifyOptions, true>;

/** A non-negative integer option, or undefined when it is not given. */
function wholeOption(value: unknown, name: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 0)) {
    throw new AuditConfigError(`${name} must be a non-negative integer, got ${describeValue(value)}`);
  }
}

/**
 * A reference time: a Date that holds a time. An Invalid Date compares
 * false with everything, so every chain would look current and the
 * report clean: it judges nothing, and is refused.
 */
function dateOption(value: unknown, name: string): void {
  if (value !== undefined && !(value instanceof Date && !Number.isNaN(value.getTime()))) {
    throw new AuditConfigError(`${name} must be a valid Date, got ${describeValue(value)}`);
  }
}

/**
 * Checks the options of verifyChain, verifyChainStream and
 * verifyChainTwoPass (one check for the three), before any record is read:
 * unknown keys (a misspelt `checkorder` must not leave REORDERED on), and
 * the type and range of each value. Throws AuditConfigError; returns the
 * options, `{}` for undefined.
 */
export function checkVerifyOptions(options: unknown): VerifyOptions {
  if (options === undefined) return {};
  if (!isObject(options)) throw new AuditConfigError(`verify options must be an object, got ${describeValue(options)}`);
  refuseUnknownKeys(options, VERIFY_OPTION_KEYS, 'verify option');
  const o = options as Record<keyof VerifyOptions, unknown>;
  dateOption(o.asOf, 'asOf');
  dateOption(o.storedAsOf, 'storedAsOf');
  for (const name of ['checkpointSlackMs', 'keyStepBudget', 'settleMs'] as const) wholeOption(o[name], name);
  optionalBoolean(o.checkOrder, 'checkOrder');
  if (o.order !== undefined && o.order !== 'any' && o.order !== 'chain') {
    throw new AuditConfigError(`order must be "any" or "chain", got ${typeof o.order === 'string' ? JSON.stringify(o.order.slice(0, 20)) : describeValue(o.order)}`);
  }
  return options as VerifyOptions;
}

/** What to do with NDJSON text or bytes instead of records. */
const READ_NDJSON = 'read NDJSON with ndjsonRecords(text, name) or iterateNdjson(bytes, name), or a stream with streamNdjson(stream, name)';

/**
 * Checks that `records` can be a source of {@link VerifyRecord}s: a string
 * is iterable too, and would be verified one character at a time (a
 * SCHEMA_INVALID per character), bytes one number at a time.
 */
export function checkRecordSource(records: unknown, name: string): void {
  if (typeof records === 'string') throw new AuditConfigError(`${name} is a string, not records: ${READ_NDJSON}`);
  if (ArrayBuffer.isView(records) || records instanceof ArrayBuffer) throw new AuditConfigError(`${name} are bytes, not records: ${READ_NDJSON}`);
  const iterable = (records !== null && typeof records === 'object') || typeof records === 'function';
  const r = records as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  if (!iterable || (typeof r[Symbol.iterator] !== 'function' && typeof r[Symbol.asyncIterator] !== 'function')) {
    throw new AuditConfigError(`${name} must be an iterable of records ({ event, location? }), got ${describeValue(records)}`);
  }
}

/**
 * Checks one item of the input: a record object with an `event` (which may
 * hold anything: what is wrong with it is a finding). Anything else is a
 * mistake of the calling code, not of the stored data: an AuditConfigError
 * naming the item's position, rather than a TypeError or a finding per item.
 */
export function checkRecord(rec: unknown, index: number): asserts rec is VerifyRecord {
  if (isObject(rec) && 'event' in rec) return;
  const what = typeof rec === 'string' || ArrayBuffer.isView(rec) ? `${describeValue(rec)} (NDJSON not yet split into records: ${READ_NDJSON})` : isObject(rec) ? 'an object without "event" (wrap a parsed event as { event, location? })' : describeValue(rec);
  throw new AuditConfigError(`input item ${index} is not a record ({ event, location? }): got ${what}`);
}
