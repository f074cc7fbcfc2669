import type { Row } from '@audit-trail/ingest-sink';
import { cellJson, cellText } from './cell.js';

/** Output formats of `audit-trail report`. */
export const REPORT_FORMATS = ['table', 'csv', 'json'] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * Widest column of a table: a 64-hex container id, and an image pinned by
 * digest (`registry.example.com/team/app@sha256:<64 hex>`, about 100), are
 * shown whole; cut at 60, two containers or two images could read the same
 * (found by reviews). Longer cells end in `…` (csv and json give every value
 * whole).
 */
const MAX_TABLE_WIDTH = 120;

/** Aligned columns with a header rule; `(no rows)` when empty. */
export function formatTable(columns: readonly string[], rows: readonly Row[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((c, i) => Math.min(MAX_TABLE_WIDTH, Math.max(c.length, ...cells.map((row) => row[i]!.length))));
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (values: string[]) => values.map((v, i) => fit(v, widths[i]!)).join('  ').trimEnd();
  const out = [line([...columns]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  if (rows.length === 0) out.push('(no rows)');
  return `${out.join('\n')}\n`;
}

/**
 * RFC 4180 CSV. A cell that a spreadsheet would run as a formula (starting
 * with = + - @, tab or CR) gets a leading apostrophe (OWASP "CSV Injection"):
 * attacker-chosen strings such as user agents end up in these reports.
 */
export function formatCsv(columns: readonly string[], rows: readonly Row[]): string {
  const quote = (s: string) => {
    // Only a plain negative number is exempt: "-2+3+cmd|' /C calc'!A0" starts with a minus and a digit too.
    const safe = /^[=+\-@\t\r]/.test(s) && !/^-\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
    return /[",\r\n']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [columns.map(quote).join(','), ...rows.map((r) => columns.map((c) => quote(cellText(r[c]))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** A JSON array of row objects, in column order; `integers` names the integer columns (see cellJson). */
export function formatJson(columns: readonly string[], rows: readonly Row[], integers: readonly string[] = []): string {
  const numeric = new Set(integers);
  const objects = rows.map((r) => Object.fromEntries(columns.map((c) => [c, cellJson(r[c], numeric.has(c))])));
  return `${JSON.stringify(objects, null, 2)}\n`;
}

/** Formats rows in `format`; `integers` names the integer columns (JSON output only). */
export function formatRows(format: ReportFormat, columns: readonly string[], rows: readonly Row[], integers: readonly string[] = []): string {
  if (format === 'csv') return formatCsv(columns, rows);
  if (format === 'json') return formatJson(columns, rows, integers);
  return formatTable(columns, rows);
}
