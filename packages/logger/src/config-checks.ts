import { AuditConfigError } from './errors.js';

/**
 * What a misused value is, for an error message: its kind, and a number's
 * value (a bound of `NaN` or `-1` says what went wrong). Never a string's
 * text: a secret pasted into the wrong option must not reach a log.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an Invalid Date' : 'a Date';
  if (ArrayBuffer.isView(value)) return 'bytes';
  const t = typeof value;
  return t === 'undefined' ? 'undefined' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

/** A plain options object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Throws AuditConfigError for the first own key of `obj` that `known` does
 * not list: a misspelt option (`flushIntervalMS`) must not silently fall
 * back to its default. `what` names the object, e.g. `option`, `signing
 * option (shared mode)`. A key that differs only in case is suggested.
 */
export function refuseUnknownKeys(obj: object, known: Readonly<Record<string, unknown>>, what: string): void {
  for (const key of Object.keys(obj)) {
    if (Object.hasOwn(known, key)) continue;
    const names = Object.keys(known);
    const near = names.find((k) => k.toLowerCase() === key.toLowerCase());
    throw new AuditConfigError(`unknown ${what} ${JSON.stringify(key.slice(0, 64))}: ${near ? `did you mean ${JSON.stringify(near)}?` : `expected one of ${names.join(', ')}`}`);
  }
}

/** Throws AuditConfigError unless `value` is undefined (the default applies) or a boolean. */
export function optionalBoolean(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new AuditConfigError(`${name} must be true or false, got ${describeValue(value)}`);
}
