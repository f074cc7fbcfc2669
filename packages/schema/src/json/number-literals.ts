import { closingQuote } from './closing-quote.js';

/**
 * Number literals that are not plain integers, in JSON text.
 *
 * Audit events hold integers only (docs/integrity.md: "Signed content must not
 * contain non-integer numbers"), and the MAC covers the value JSON.parse
 * reads. The same value has many spellings: `100`, `1e2`, `100.0`, or
 * `99.999999999999999999`, which JSON.parse reads as 100 but PostgreSQL's
 * jsonb, a SQL cast or a decimal parser reads as 99.99... So a stored line
 * could verify while other readers see another number. Only the spelling
 * RFC 8785 §3.2.2.3 gives an integer (ECMAScript's Number-to-String: digits,
 * no leading zero, no `-0`) reads the same everywhere.
 */

const PLAIN_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** True for the characters a JSON number is made of (RFC 8259 §6). */
export function inNumber(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e /* . */ || c === 0x65 /* e */ || c === 0x45 /* E */ || c === 0x2b /* + */ || c === 0x2d /* - */;
}

/**
 * The first number literal of `text` (valid JSON) that is not a plain
 * integer in its one canonical spelling (see above), a safe integer; or
 * undefined.
 */
export function nonIntegerLiteral(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = closingQuote(text, i);
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && inNumber(text.charCodeAt(j))) j++;
      const token = text.slice(i, j);
      if (!PLAIN_INTEGER.test(token) || token === '-0' || !Number.isSafeInteger(Number(token))) return token;
      i = j - 1;
    }
  }
  return undefined;
}
