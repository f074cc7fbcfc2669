import { parseRfc3339 } from '@audit-trail/schema';
import { UsageError } from './command.js';
import { shown } from './shown.js';

/** The range an integer flag accepts, both ends included. */
export interface IntRange {
  min: number;
  max: number;
}

/**
 * The value of an integer flag (`--batch`, `--days`, `--key-steps`...), the
 * one parser every command uses: decimal digits only, from `min` to `max`.
 * Anything else is a {@link UsageError} naming the flag and the value, so
 * `1.5`, `1e3`, `0x10` or ` 5` is refused rather than rounded, read as
 * hexadecimal or trimmed, and a huge number is refused rather than taken
 * beyond what the command can use. `name` is the flag without its dashes.
 */
export function intFlag(name: string, value: string, range: IntRange): number;
export function intFlag(name: string, value: string | undefined, range: IntRange): number | undefined;
export function intFlag(name: string, value: string | undefined, { min, max }: IntRange): number | undefined {
  if (value === undefined) return undefined;
  // 16 digits at most: beyond that Number() rounds, and every max is below it.
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${shown(value)}`);
  return n;
}

/**
 * The value of a flag in seconds (`--timeout`, `--settle`), in milliseconds:
 * decimal digits with up to three after the point (a millisecond), from
 * `min` to `max` seconds; anything else (`1e3`, `0x10`, `-1`, `Infinity`) is
 * a {@link UsageError} naming the flag and the value.
 */
export function secondsFlag(name: string, value: string | undefined, { min, max }: IntRange): number | undefined {
  if (value === undefined) return undefined;
  const secs = /^\d{1,9}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN;
  if (!(secs >= min && secs <= max)) throw new UsageError(`--${name} must be a number of seconds from ${min} to ${max} (at most 3 decimals), got ${shown(value)}`);
  return Math.round(secs * 1000);
}

/**
 * The value of a time flag (`--as-of`): an RFC 3339 date-time with a time
 * zone offset or Z, or "now"; anything else is a {@link UsageError} naming
 * the flag and the value. `name` is the flag without its dashes.
 */
export function timeFlag(name: string, value: string | undefined, now: () => Date = () => new Date()): Date | undefined {
  if (value === undefined) return undefined;
  const t = value === 'now' ? now() : parseRfc3339(value);
  if (!t) throw new UsageError(`--${name} must be an RFC 3339 date-time with a time zone offset or Z (2026-03-01T12:00:00Z) or "now", got ${shown(value)}`);
  return t;
}
