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

// RFC 3339 section 5.6 date-time: full-date "T" full-time, with a fraction
// of a second optional and the offset required (Z or +hh:mm/-hh:mm); the
// letters T and Z may be lower case.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1-12) of `year`, by the Gregorian rules RFC 3339 uses. */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/**
 * An RFC 3339 date-time with its offset, as a Date; undefined for anything
 * else. Checked field by field: `Date` alone takes "12" for the year 2001,
 * a date without a zone as local time, and rolls 2026-02-30 over to March.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [offsetHours, offsetMinutes] = m[8] ? [0, 0] : [Number(m[10]), Number(m[11])];
  // A leap second (:60) is refused: Date cannot hold one.
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const t = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0-99 as 1900-1999.
  t.setUTCFullYear(year, month - 1, day);
  t.setUTCHours(hour, minute - offset, second, ms);
  return t;
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
