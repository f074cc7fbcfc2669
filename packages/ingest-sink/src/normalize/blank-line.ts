/**
 * True for a line holding nothing but JSON whitespace (RFC 8259 §2: space,
 * tab, CR; LF ends the line): a blank line, skipped by the pino transport and
 * `audit-trail ingest`, never stored. `trim()` would also take U+2028,
 * U+FEFF, VT, FF and the like, and such lines vanished, counted nowhere;
 * they are rejects, as any other line that is not JSON.
 */
export function isBlankLine(line: string): boolean {
  return /^[ \t\r]*$/.test(line);
}
