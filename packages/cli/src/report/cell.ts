import { terminalText } from '../shown.js';

/**
 * A database value as display text (table and CSV), whole: the table cuts
 * what it shows itself. Drivers differ (PostgreSQL returns Date and
 * BIGINT-as-string, SQLite ISO text and numbers); reports show them the same
 * way. Control and format characters are made visible: a stored string
 * must never drive the analyst's terminal nor reorder what it shows, even if
 * someone edited the table.
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return terminalText(String(value), Infinity);
}

/**
 * A database value for JSON output: dates as ISO text, values as stored.
 * In an integer column (`integer`: the query's integerColumns), a 64-bit
 * integer the driver returned as text (pg, mssql) or bigint is a number
 * where it is safe; text in any other column stays text, so a user id
 * "00123" is not turned into 123.
 */
export function cellJson(value: unknown, integer = false): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (integer && typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return value ?? null;
}
