/**
 * JSON text that JSON.parse reads but the databases' JSON readers refuse.
 *
 * `event_json` keeps the text as received, transport members (pino's
 * `level`, `time`, `msg`...) included, and the report queries read it with
 * SQLite's JSON functions and PostgreSQL's jsonb. Either refuses the whole
 * text, and so stops the query for every row, when it nests arrays and
 * objects too deep (SQLite: "malformed JSON" from 1000 levels; PostgreSQL:
 * "stack depth limit exceeded", about 100 000) or holds a number its
 * numeric cannot hold (PostgreSQL: "value overflows numeric format" past
 * 16 383 digits after the point or 131 072 before, so `1e-200000` and `3.`
 * followed by 20 000 zeros, which JSON.parse reads as 0 and 3). The
 * transport members are not validated and the schema's numbers are read by
 * JSON.parse, so both passed (found by a probe).
 */
import { closingQuote } from './closing-quote.js';
import { inNumber } from './number-literals.js';

/**
 * Deepest nesting of arrays and objects in an event's text, the event itself
 * counted: an event needs 4 (AUDIT_SCHEMA_VIOLATION's `violation.issues[]` objects), transport members none.
 * Far below SQLite's limit (1000), SQL Server's (128) and PostgreSQL's stack.
 */
export const MAX_JSON_DEPTH = 16;

/**
 * Longest number literal: the shortest spelling of any double (JSON.stringify,
 * RFC 8785) has at most 24 characters, and a hand-written `4.99999999999999999999`
 * fits. With {@link MAX_EXPONENT_DIGITS}, PostgreSQL's numeric holds any such number.
 */
export const MAX_NUMBER_LENGTH = 40;

/** Most digits of a number literal's exponent: a double's exponent has at most 3 (`5e-324`, `1e308`). */
export const MAX_EXPONENT_DIGITS = 3;

/** What {@link beyondJsonReaders} found: nesting past {@link MAX_JSON_DEPTH}, or a number literal past the limits. */
export type JsonReaderProblem = { kind: 'depth' } | { kind: 'number'; literal: string };

/**
 * The first place where `text` (valid JSON) nests deeper than
 * {@link MAX_JSON_DEPTH}, or holds a number literal longer than
 * {@link MAX_NUMBER_LENGTH} or with more than {@link MAX_EXPONENT_DIGITS}
 * exponent digits; undefined when SQLite and PostgreSQL read it. One scan;
 * string contents are skipped by indexOf.
 */
export function beyondJsonReaders(text: string): JsonReaderProblem | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = closingQuote(text, i);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) return { kind: 'depth' };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      let exponent = -1;
      for (; j < text.length && inNumber(text.charCodeAt(j)); j++) {
        if (exponent === -1 && (text.charCodeAt(j) | 0x20) === 0x65 /* e or E */) exponent = j;
      }
      // The exponent's digits: after the e and its sign, if any.
      const sign = exponent !== -1 && (text.charCodeAt(exponent + 1) === 0x2b || text.charCodeAt(exponent + 1) === 0x2d) ? 1 : 0;
      const exponentDigits = exponent === -1 ? 0 : j - exponent - 1 - sign;
      if (j - i > MAX_NUMBER_LENGTH || exponentDigits > MAX_EXPONENT_DIGITS) return { kind: 'number', literal: text.slice(i, j) };
      i = j - 1;
    }
  }
  return undefined;
}
