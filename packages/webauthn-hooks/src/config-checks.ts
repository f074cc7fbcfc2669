import { WebAuthnHooksError } from './errors.js';

/** A `WEBAUTHN_HOOKS_CONFIG` error: unusable options, refused when the hooks are created. */
export function configError(message: string): WebAuthnHooksError {
  return new WebAuthnHooksError('WEBAUTHN_HOOKS_CONFIG', message);
}

/**
 * What a misused value is, for an error message: its kind, and a number's
 * value (`NaN`, `-1`, `1e+300` say what went wrong). Never a free string's
 * text: a secret pasted into the wrong option must not reach a log.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return 'a Date';
  const t = typeof value;
  return t === 'undefined' ? 'undefined' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

/** `value`, or `fallback` when it is `undefined`: only `undefined` means "not given" (`null` is a value, and refused). */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/** A plain options object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Throws for the first own key of `obj` that `known` does not list: a
 * misspelt option (`userVerifcation`, `trustedProxy`) must not silently fall
 * back to its default. A key that differs only in case is suggested; `hints`
 * explains keys that are refused on purpose.
 */
export function refuseUnknownKeys(
  obj: object,
  known: Readonly<Record<string, unknown>>,
  what: string,
  hints: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(obj)) {
    if (Object.hasOwn(known, key)) continue;
    const shown = JSON.stringify(key.slice(0, 64));
    if (Object.hasOwn(hints, key)) throw configError(`${what} ${shown} is not supported: ${hints[key]}`);
    const names = Object.keys(known);
    const near = names.find((k) => k.toLowerCase() === key.toLowerCase());
    throw configError(`unknown ${what} ${shown}: ${near ? `did you mean ${JSON.stringify(near)}?` : `expected one of ${names.join(', ')}`}`);
  }
}

/**
 * `value` if it is one of `allowed`, else a config error that names the
 * value (cut to 32 characters) and the allowed ones. Only `undefined` means
 * "not given" (the caller applies the default first).
 */
export function checkEnum<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : describeValue(value);
  throw configError(`${name} must be ${allowed.map((a) => JSON.stringify(a)).join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${got}`);
}

/** `value` if it is an integer from `min` to `max`, else a config error naming the value and the range. */
export function checkInteger(value: unknown, min: number, max: number, name: string, unit = ''): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  throw configError(`${name} must be an integer from ${min} to ${max}${unit}, got ${describeValue(value)}`);
}

/** Throws unless `value` is undefined (not given) or a function. */
export function optionalFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw configError(`${name} must be a function, got ${describeValue(value)}`);
}
