/** The code unit a `\uXXXX` escape at `at` (its backslash) names. */
function escapedUnit(text: string, at: number): number {
  return Number.parseInt(text.slice(at + 2, at + 6), 16);
}

const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;

/**
 * The first `\uXXXX` escape in JSON text that names half of a UTF-16
 * surrogate pair alone (a high surrogate not followed by an escaped low one,
 * or a low one not after a high one), or undefined.
 *
 * RFC 8259 §8.2 leaves such strings to each parser ("unpredictable"), and
 * I-JSON (RFC 7493 §2.1) forbids them: JSON.parse keeps the lone half,
 * SQLite reads it, PostgreSQL's json and jsonb refuse the whole text. One
 * stored event whose `user_agent` held `\ud800` stopped four PostgreSQL
 * reports, for every row (found by a review); the schema's free-text fields
 * turn the half into U+FFFD in the parsed event, but `event_json` keeps the
 * text as received.
 *
 * `text` must be valid JSON (already parsed): a backslash then only starts
 * an escape inside a string, so escapes are read pairwise from each
 * backslash (`\\ud800` is a backslash and "ud800", not an escape).
 */
export function loneSurrogateEscape(text: string): string | undefined {
  const at = nextLone(text, 0);
  return at === -1 ? undefined : text.slice(at, at + 6);
}

/**
 * `text` (JSON) with each escaped lone surrogate ({@link loneSurrogateEscape})
 * spelled `\ufffd`, what the schema makes of it in a free-text field. For
 * JSON this process writes itself (an object handed to the sink, serialised
 * by JSON.stringify, which escapes a lone half since ES2019): refused as
 * text, an event whose `user_agent` an attacker gave a lone half would have
 * left the failure reports for the rejects.
 */
export function wellFormedJson(text: string): string {
  let out = '';
  let from = 0;
  for (let at = nextLone(text, 0); at !== -1; at = nextLone(text, at + 6)) {
    out += `${text.slice(from, at)}\\ufffd`;
    from = at + 6;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Index of the first escaped lone surrogate at or after `start` (a backslash starting an escape, or 0), or -1. */
function nextLone(text: string, start: number): number {
  for (let i = text.indexOf('\\', start); i !== -1; ) {
    if (text.charCodeAt(i + 1) !== 0x75 /* u */) {
      i = text.indexOf('\\', i + 2);
      continue;
    }
    const unit = escapedUnit(text, i);
    // A half's partner may be escaped or, in a JS string, the raw code unit
    // beside it (JSON.parse joins them into one character).
    if (isLow(unit)) {
      if (!isHigh(text.charCodeAt(i - 1))) return i;
    } else if (isHigh(unit)) {
      const next = text.charCodeAt(i + 6);
      if (isLow(next)) {
        i = text.indexOf('\\', i + 7);
        continue;
      }
      const paired = next === 0x5c && text.charCodeAt(i + 7) === 0x75 && isLow(escapedUnit(text, i + 6));
      if (!paired) return i;
      i = text.indexOf('\\', i + 12);
      continue;
    }
    i = text.indexOf('\\', i + 6);
  }
  return -1;
}
