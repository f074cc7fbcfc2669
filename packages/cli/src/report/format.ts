import type { Row } from '@audit-trail/ingest-sink';
import { cellJson, cellText, jsonEscaped } from './cell.js';

/** Output formats of `audit-trail report`. */
export const REPORT_FORMATS = ['table', 'csv', 'json'] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * Widest column of a table, in characters (code points): a 64-hex container
 * id, and an image pinned by digest (`registry.example.com/team/app@sha256:<64 hex>`,
 * about 100), are shown whole; cut at 60, two containers or two images could
 * read the same (found by reviews). Longer cells end in `…`. CSV gives every
 * value whole, escaped as the table escapes it (cellText) but for the spaces
 * ending it, which only the table writes `\x20`; JSON gives every value
 * exactly as stored.
 */
const MAX_TABLE_WIDTH = 120;

/**
 * Separates the cells of a row the table holds: cellText escapes every
 * control character, so no cell holds U+0000.
 */
const CELL_SEPARATOR = '\u0000';

/** The characters (code points) of `s`, whose surrogates are paired (cellText makes text well-formed): a character beyond U+FFFF is one, not two. */
function width(s: string): number {
  return s.length - (s.match(/[\ud800-\udbff]/g)?.length ?? 0);
}

/** `s` cut to `w` characters, the last one `…`, never between the halves of a surrogate pair (which printed U+FFFD); `s` itself when it fits. */
function cut(s: string, w: number): string {
  if (s.length <= w || width(s) <= w) return s;
  let end = 0;
  for (let n = 0; n < w - 1; n++) end += s.codePointAt(end)! > 0xffff ? 2 : 1;
  return `${s.slice(0, end)}…`;
}

/**
 * A value as a table cell shows it: cellText, with the spaces that end it
 * written `\x20`. The table pads each cell with spaces, so `alice ` and
 * `alice` read alike, and a blank id as an empty cell (found by a probe);
 * CSV and JSON keep them as stored.
 */
function tableCellText(value: unknown): string {
  return cellText(value).replace(/ +$/, (spaces) => '\\x20'.repeat(spaces.length));
}

/**
 * Aligned columns with a header rule; `(no rows)` when empty. The widths
 * must be known before the first line, so the table reads every row first.
 * It holds only what it shows of each (every cell cut to MAX_TABLE_WIDTH,
 * one string per row), not the rows: `failures` over 300 000 rows ran in
 * 170 MB, over 700 000 with 400-character errors in 450 MB. A table is for
 * reading; csv and json write each row as it is read, for results of any
 * size (README, "report output").
 */
export async function* formatTable(columns: readonly string[], rows: AsyncIterable<Row>): AsyncGenerator<string> {
  // Measured in a loop: Math.max(...) of one argument per row overflowed the stack at 130 000 rows (found by a probe).
  const widths = columns.map((c) => Math.min(MAX_TABLE_WIDTH, width(c)));
  const shown: string[] = [];
  for await (const row of rows) {
    const cells = columns.map((c, i) => {
      const text = cut(tableCellText(row[c]), MAX_TABLE_WIDTH);
      widths[i] = Math.max(widths[i]!, width(text));
      return text;
    });
    // Joined into a new string: a cut cell is a slice, which would keep the whole value alive.
    shown.push(cells.join(CELL_SEPARATOR));
  }
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const text = cut(v, widths[i]!);
        return text + ' '.repeat(widths[i]! - width(text));
      })
      .join('  ')
      .trimEnd();
  yield `${line(columns)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`;
  for (const row of shown) yield `${line(row.split(CELL_SEPARATOR))}\n`;
  if (shown.length === 0) yield '(no rows)\n';
}

/**
 * A cell a spreadsheet may run as a formula: = + - @ first (OWASP "CSV
 * Injection"), also after spaces (an import that trims them, LibreOffice's
 * "Trim spaces") and in their fullwidth forms (＝ ＋ － ＠, which Excel
 * with an East Asian input method takes for the ASCII ones), or a tab or CR
 * first. Only a plain (negative) number is exempt: "-2+3+cmd|' /C
 * calc'!A0" starts with a minus and a digit too.
 */
const FORMULA = /^(?:[\t\r]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;
const PLAIN_NUMBER = /^\s*-\d+(\.\d+)?\s*$/;

/**
 * RFC 4180 CSV, a line per row as rows are read. A cell that a spreadsheet
 * would run as a formula ({@link FORMULA}) gets a leading apostrophe:
 * attacker-chosen strings such as user agents end up in these reports.
 */
export async function* formatCsv(columns: readonly string[], rows: AsyncIterable<Row>): AsyncGenerator<string> {
  const quote = (s: string) => {
    const safe = FORMULA.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
    return /[",\r\n']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  yield `${columns.map(quote).join(',')}\r\n`;
  for await (const row of rows) yield `${columns.map((c) => quote(cellText(row[c]))).join(',')}\r\n`;
}

/**
 * A JSON array of row objects, in column order, an object at a time as rows
 * are read, laid out as `JSON.stringify(rows, null, 2)` lays it out;
 * `integers` names the integer columns (see cellJson). Characters that
 * would reorder or hide text on a terminal are `\uXXXX` escapes (jsonEscaped):
 * the values parse back exactly as stored.
 */
export async function* formatJson(columns: readonly string[], rows: AsyncIterable<Row>, integers: readonly string[] = []): AsyncGenerator<string> {
  const numeric = new Set(integers);
  let first = true;
  for await (const row of rows) {
    const object = Object.fromEntries(columns.map((c) => [c, cellJson(row[c], numeric.has(c))]));
    // JSON.stringify escapes line breaks inside strings: every '\n' is the layout's.
    yield `${first ? '[\n' : ',\n'}  ${jsonEscaped(JSON.stringify(object, null, 2)).replaceAll('\n', '\n  ')}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

/** The output of rows in `format`, as text chunks; `integers` names the integer columns (JSON output only). */
export function formatRows(format: ReportFormat, columns: readonly string[], rows: AsyncIterable<Row>, integers: readonly string[] = []): AsyncGenerator<string> {
  if (format === 'csv') return formatCsv(columns, rows);
  if (format === 'json') return formatJson(columns, rows, integers);
  return formatTable(columns, rows);
}
