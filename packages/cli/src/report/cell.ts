import { terminalText } from '../shown.js';

/**
 * A database value as display text. Drivers differ (PostgreSQL returns Date
 * and BIGINT-as-string, SQLite ISO text and numbers); reports show them the
 * same way. Control and format characters are made visible: a stored string
 * must never drive the analyst's terminal nor reorder what it shows, even if
 * someone edited the table.
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return terminalText(String(value), 100_000);
}

/** A database value for JSON output: dates as ISO text, integers kept as numbers where safe. */
export function cellJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return value ?? null;
}
