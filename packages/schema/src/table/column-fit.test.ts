import { describe, expect, it } from 'vitest';
import { exampleEvents } from '../examples.js';
import { parseAuditEvent } from '../parse.js';
import { INSERT_COLUMNS, toRow, type ColumnDef } from './columns.js';

// Every event the schema accepts must fit the columns its row is written to,
// on every dialect: otherwise a valid (possibly signed) event is refused by
// the database and lands in the rejects as DB_REFUSED, leaving a gap in its
// chain, or SQL Server stores '?' for what a VARCHAR's code page cannot hold.
// Each leaf of each example event is replaced by values at the edges of the
// column types; whatever the schema accepts is checked against them.

/** What the narrowest of a column's PostgreSQL and SQL Server types holds. */
interface Limit {
  /**
   * VARCHAR(n)/NVARCHAR(n)/CHAR(n): characters, i.e. UTF-16 code units on SQL
   * Server (NVARCHAR(n) holds n byte-pairs, a character beyond U+FFFF takes
   * two) and code points on PostgreSQL, never more than the units. So the
   * check below measures `length`, the UTF-16 units.
   */
  maxChars?: number;
  /** SQL Server VARCHAR/CHAR: one byte per character; outside ASCII it depends on the code page. */
  singleByte?: boolean;
  /** INT/INTEGER and SMALLINT. */
  intMax?: number;
  /** TIMESTAMPTZ / DATETIME2: years 0001-9999 (DATETIME2's range, the narrower). */
  timestamp?: boolean;
}

function limitOf(c: ColumnDef): Limit {
  const limit: Limit = {};
  for (const type of [c.type.postgres, c.type.mssql]) {
    const m = /^(N?VARCHAR|CHAR)\((\d+)\)$/.exec(type);
    if (m) {
      limit.maxChars = Math.min(limit.maxChars ?? Infinity, Number(m[2]));
      if (type === c.type.mssql && m[1] !== 'NVARCHAR') limit.singleByte = true;
    }
    if (type === 'INT' || type === 'INTEGER') limit.intMax = 2 ** 31 - 1;
    if (type === 'SMALLINT') limit.intMax = 2 ** 15 - 1;
    if (/^(TIMESTAMPTZ|DATETIME2)/.test(type)) limit.timestamp = true;
  }
  return limit;
}

/** Why `value` does not fit `limit`, or undefined when it does. */
function misfit(value: unknown, limit: Limit): string | undefined {
  if (typeof value === 'string') {
    if (limit.maxChars !== undefined && value.length > limit.maxChars) return `${value.length} UTF-16 units, column holds ${limit.maxChars}`;
    // A cut between the halves of a pair leaves a lone surrogate, which has no UTF-8 form (PostgreSQL refuses it).
    if (!value.isWellFormed()) return 'a lone surrogate (a cut split a pair)';
    if (limit.singleByte && /[^\u0000-\u007f]/.test(value)) return 'non-ASCII text in a single-byte VARCHAR';
    if (limit.timestamp && !/^(?!0000)\d{4}-/.test(value)) return `time ${value} outside years 0001-9999`;
  }
  if (typeof value === 'number' && limit.intMax !== undefined && Math.abs(value) > limit.intMax) return `${value} exceeds a ${limit.intMax === 2 ** 15 - 1 ? 16 : 32}-bit integer`;
  return undefined;
}

const LENGTHS = [1, 12, 36, 44, 45, 50, 64, 65, 128, 129, 253, 254, 256, 257, 512, 513, 600, 601, 1024, 1025, 1364, 1365, 4000, 4001];
// A character beyond U+FFFF: one code point (what zod's .max() and
// PostgreSQL's VARCHAR count), two UTF-16 code units (what SQL Server's
// NVARCHAR counts). 'é' alone never told the two measures apart.
const ASTRAL = '\u{1F600}';
const STRINGS = [
  ...LENGTHS.flatMap((n) => ['a'.repeat(n), 'é'.repeat(n), 'a'.repeat(n - 1) + 'é']),
  // n code points in 2n units; n (or n + 1) units of pairs only; n - 1
  // letters and a pair, one unit over; and the same with a letter after it,
  // so that a cut at n falls between the two halves of the pair.
  ...LENGTHS.flatMap((n) => [ASTRAL.repeat(n), ASTRAL.repeat(Math.ceil(n / 2)), 'a'.repeat(n - 1) + ASTRAL, 'a'.repeat(n - 1) + ASTRAL + 'a']),
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
];
const NUMBERS = [-1, 2 ** 15, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER];

type Json = Record<string, unknown> | unknown[];

/** Paths of every string and number leaf of `value`. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string' || typeof value === 'number') return [path];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]));
}

function withLeaf(event: unknown, path: (string | number)[], leaf: unknown): unknown {
  const copy = structuredClone(event) as Json;
  let at: Json = copy;
  for (const key of path.slice(0, -1)) at = (at as Record<string, Json>)[key as string]!;
  (at as Record<string, unknown>)[path.at(-1)!] = leaf;
  return copy;
}

describe('every event the schema accepts fits its row', () => {
  const limits = INSERT_COLUMNS.map((c) => [c, limitOf(c)] as const);

  it.each(Object.keys(exampleEvents))('%s: each field at the edges of the column types', (type) => {
    const example = exampleEvents[type as keyof typeof exampleEvents];
    const misfits: string[] = [];
    let accepted = 0;
    for (const path of leaves(example)) {
      const original = path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], example);
      for (const leaf of typeof original === 'string' ? STRINGS : NUMBERS) {
        const parsed = parseAuditEvent(withLeaf(example, path, leaf));
        if (!parsed.ok) continue;
        accepted++;
        const row = toRow(parsed.event, { raw: '' });
        limits.forEach(([c, limit], i) => {
          const why = misfit(row[i], limit);
          if (why) misfits.push(`${path.join('.')} = ${JSON.stringify(leaf).slice(0, 40)}: column ${c.name} (${c.type.postgres} / ${c.type.mssql}): ${why}`);
        });
      }
    }
    expect(accepted).toBeGreaterThan(10); // the variants reach the schema's edges, not only its refusals
    expect([...new Set(misfits)]).toEqual([]);
  });
});
