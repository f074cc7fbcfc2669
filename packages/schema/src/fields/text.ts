import { z } from 'zod';

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators
// (U+2028/U+2029 end a line in many log viewers and older JS parsers).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/;

/** True when `s` contains a control character or a line/paragraph separator. */
export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}

/** True when `s` contains a lone UTF-16 surrogate (not representable in UTF-8). */
export function hasLoneSurrogate(s: string): boolean {
  // A UTF-16 surrogate half without its partner cannot be encoded as UTF-8.
  // String.prototype.isWellFormed (ES2024) tests exactly that, natively;
  // text.test.ts checks it against the lookaround regex used before.
  return !s.isWellFormed();
}

/**
 * Makes attacker-controlled free text safe to store and display: lone
 * surrogates become U+FFFD, control characters are dropped (or replaced), and
 * the result is cut to `max` UTF-16 units without splitting a surrogate pair.
 */
export function sanitizeText(s: string, max: number, replacement = ''): string {
  // Fast path: nothing to repair or cut, so the result is `s` itself (the
  // common case; saves the copies toWellFormed() and replace() make).
  if (s.length <= max && !CONTROL.test(s) && s.isWellFormed()) return s;
  let out = s.toWellFormed().replace(CONTROL_GLOBAL, replacement);
  if (out.length > max) {
    out = out.slice(0, max);
    if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
  }
  return out;
}

/**
 * Like {@link sanitizeText} but keeps control characters visible as `\xNN`
 * (`\u2028` as `\u2028`): a command line with a newline is evidence, and an
 * analyst must see it without a terminal interpreting it.
 */
export function escapeControls(s: string, max: number): string {
  if (s.length <= max && !CONTROL.test(s) && s.isWellFormed()) return s;
  const escaped = s.toWellFormed().replace(CONTROL_GLOBAL, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
  return sanitizeText(escaped, max);
}

/**
 * Unicode format characters (general category Cf): invisible when shown,
 * and some change what the text around them looks like. U+202E
 * RIGHT-TO-LEFT OVERRIDE and the other bidirectional controls reorder it
 * ("Trojan Source", CVE-2021-42574: `bob\u202Enimda` shows as `bobadmin`),
 * zero-width ones (U+200B, U+2060, U+FEFF) make two different strings look
 * alike, and tag characters (U+E0000-E007F) carry text no one sees.
 */
const FORMAT_CHARS = /\p{Cf}/gu;

/**
 * Writes Unicode format characters as `\uNNNN` (`\u{NNNNN}` beyond the
 * BMP), for text shown to a person: identifiers accept them (they are not
 * control characters, and real names may hold some), so what displays or
 * logs a client's string escapes them and the reader sees what is stored, in
 * the order it is stored. Every other character is kept.
 */
export function escapeFormatChars(s: string): string {
  return s.replace(FORMAT_CHARS, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * True when `s` is at most `max` UTF-16 code units long, or when zod's own
 * `.max(max)` already refuses it: `.max()` counts code points
 * (zod/v4/core/checks.js `$ZodCheckMaxLength`, `codePointLength`), so a
 * string over `max` code points gets zod's too_big issue and this check
 * stays silent instead of reporting the same excess twice. The common case
 * is the one comparison of `s.length`; code points are counted only for a
 * string already over `max` units.
 */
function fitsUtf16(s: string, max: number): boolean {
  return s.length <= max || [...s].length > max;
}

/**
 * How the JSON Schema of a length-limited field states the limit zod
 * enforces in UTF-16 code units. JSON Schema's `maxLength` counts
 * characters, i.e. code points (JSON Schema Validation 2020-12 §6.3.1,
 * https://json-schema.org/draft/2020-12/json-schema-validation#section-6.3.1),
 * so it cannot say that a character beyond U+FFFF counts as two.
 */
function withLimit(description: string | undefined, limit: string): string {
  return description ? `${description}. ${limit}` : limit;
}

/**
 * An identifier-like string (user id, service, node name...): 1..max
 * UTF-16 code units, no control characters, no lone surrogates. Rejected,
 * not repaired, because a repaired identifier would name someone else.
 *
 * The limit counts UTF-16 code units (JavaScript's `length`), not code
 * points, because it is the width of the column the value is stored in:
 * SQL Server's NVARCHAR(n) holds n byte-pairs, and a character beyond
 * U+FFFF takes two of them (https://learn.microsoft.com/en-us/sql/t-sql/data-types/nchar-and-nvarchar-transact-sql,
 * "n defines the string size in byte-pairs"; "Supplementary Characters use
 * two byte-pairs (also called surrogate pairs)"). zod's `.max(n)` counts
 * code points, so 253 emoji (506 units) passed identifier(256) and SQL
 * Server refused the row (error 2628, string truncated): a valid, maybe
 * signed, event in the rejects.
 * PostgreSQL's VARCHAR(n) counts code points, never more than the UTF-16
 * units, and SQLite's TEXT has no limit, so one rule fits all three. The
 * JSON Schema keeps `maxLength: max`, which counts code points and is
 * therefore looser for such text; the description says so.
 */
export function identifier(max: number, description?: string) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((s) => fitsUtf16(s, max), {
      message: `must be at most ${max} UTF-16 code units (a character beyond U+FFFF counts as two)`,
    })
    // A regex (not a refine) so z.toJSONSchema carries the rule as `pattern`
    // for consumers that validate with JSON Schema instead of zod.
    .regex(NO_CONTROL, { message: 'must not contain control characters or line separators' })
    .refine((s) => !hasLoneSurrogate(s), { message: 'must be valid Unicode (lone surrogate found)' })
    .meta({
      description: withLimit(
        description,
        `At most ${max} UTF-16 code units: a character beyond U+FFFF counts as two, which maxLength (code points) does not check`,
      ),
    });
}

/**
 * Free text from an untrusted source (error messages, user agents): control
 * characters removed, lone surrogates replaced, cut to `max` UTF-16 code
 * units without splitting a surrogate pair (sanitizeText). Never rejected.
 *
 * No `.max()`: the cut already bounds the value in UTF-16 units (what the
 * NVARCHAR column holds, see identifier()), and a `maxLength` in the
 * published JSON Schema, which describes what a producer may send
 * (scripts/json-schemas.ts `JSON_SCHEMA_IO`), would refuse the longer text
 * zod accepts and cuts. The description states the cut instead.
 */
export function freeText(max: number, description?: string) {
  return z
    .string()
    .overwrite((s) => sanitizeText(s, max))
    .meta({
      description: withLimit(
        description,
        `Control characters are removed and lone surrogates replaced by U+FFFD; longer text is accepted and cut to ${max} UTF-16 code units, never inside a surrogate pair`,
      ),
    });
}

/**
 * Free text whose control characters stay visible as escapes (command
 * lines), cut like {@link freeText} after escaping.
 */
export function evidenceText(max: number, description?: string) {
  return z
    .string()
    .overwrite((s) => escapeControls(s, max))
    .meta({
      description: withLimit(
        description,
        `Control characters are written as \\xNN escapes and lone surrogates replaced by U+FFFD; longer text is accepted and cut to ${max} UTF-16 code units, never inside a surrogate pair`,
      ),
    });
}
