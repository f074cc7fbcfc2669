import { terminalText, UNSEEN_CHARS } from '../shown.js';

/**
 * A database value as display text (table and CSV), whole: the table cuts
 * what it shows itself. Drivers differ (PostgreSQL returns Date and
 * BIGINT-as-string, SQLite ISO text and numbers); reports show them the same
 * way. Control, format and invisible characters are made visible
 * (terminalText): a stored string must never drive the analyst's terminal,
 * reorder what it shows, nor make two user ids look alike, even if someone
 * edited the table. A backslash is doubled first, so the escapes cannot be
 * forged: a user id typed as `admin\u200b` shows as `admin\\u200b`, one
 * holding a real U+200B as `admin\u200b` (found by a probe), and the text
 * reads back to the stored value exactly.
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return terminalText(String(value).replaceAll('\\', '\\\\'), Infinity);
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

/**
 * What JSON.stringify leaves raw that a terminal must not get: the C1
 * controls and DEL (U+0080-009F, U+007F; U+009B starts an escape sequence
 * as ESC [ does), U+2028/U+2029, format characters (U+202E and the other
 * bidi controls reorder the line, zero-width ones hide), and the other
 * invisible or blank-looking characters of UNSEEN_CHARS.
 */
const JSON_ESCAPED = new RegExp(`[\\u007f-\\u009f\\u2028\\u2029\\p{Cf}${UNSEEN_CHARS}]`, 'gu');

/**
 * JSON text with the characters of JSON_ESCAPED written as `\uXXXX` escapes
 * (a surrogate pair beyond U+FFFF). Only strings can hold them, where JSON
 * allows the escape anywhere: the output still parses to the values exactly
 * as stored, it only cannot reorder or hide text on a terminal.
 */
export function jsonEscaped(json: string): string {
  return json.replace(JSON_ESCAPED, (c) => {
    let out = '';
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}
