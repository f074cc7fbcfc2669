import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../test/helpers/events.js';
import { MAX_TEXT_CHARS, packRows } from '../../rows/packed-rows.js';
import { prepareRows, type EventRow } from '../../sink/prepare.js';
import { eventRowViews } from '../../rows/row-chunk.js';
import { copyPieces } from './copy-text.js';

const rowsOf = (events: Record<string, unknown>[]) => prepareRows(events.map((e) => ({ line: JSON.stringify(e) })), 'direct') as EventRow[];
/** One value in COPY text format, written here apart from copyPieces: `\N` for NULL, backslash escapes for backslash, tab, LF and CR. */
const copyText = (v: unknown) => (v === null || v === undefined ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
/** The round as one COPY text, value by value (the way it was built before it came from the packed text). */
const whole = (rows: readonly EventRow[]) => rows.map((r) => r.values.map(copyText).join('\t')).join('\n') + '\n';

describe('COPY text in pieces (PostgreSQL)', () => {
  it('sends exactly the COPY text of the round, in pieces of whole lines under the large-object threshold', () => {
    // Hostile text that COPY must escape (tabs, newlines, backslashes, carriage
    // returns, a literal \N) in every third row, text outside Latin-1 in
    // some; the rest need no escaping, which is decided once per row.
    const hostile = (i: number) => (i % 3 === 0 ? `tab\there\nnew\\line\r\\N${'x'.repeat(i)}` : i % 7 === 0 ? `Ünïcødé ☃ ${i}` : `plain ${i}`);
    const rows = rowsOf(Array.from({ length: 400 }, (_, i) => makeEvent({ user_id: `u-${i}`, user_agent: hostile(i) })));
    const pieces = [...copyPieces(eventRowViews(rows))];
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(whole(rows));
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
      expect(p.endsWith('\n')).toBe(true);
    }
    // One newline per row: every raw newline inside a value was escaped.
    expect(pieces.join('').split('\n').length - 1).toBe(rows.length);
  });

  it('gives a line longer than the limit a piece of its own', () => {
    const big = makeEvent({ error: { code: 'SIGNATURE_INVALID', message: 'm'.repeat(MAX_TEXT_CHARS) } });
    const rows = rowsOf([makeEvent(), big, makeEvent()]);
    const pieces = [...copyPieces(eventRowViews(rows))];
    expect(pieces).toHaveLength(3);
    expect(pieces[1]!.length).toBeGreaterThan(MAX_TEXT_CHARS);
    expect(pieces.join('')).toBe(whole(rows));
  });

  it('reads rows that are not in a chunk, and runs that start inside a chunk, in order', () => {
    const rows = rowsOf(Array.from({ length: 120 }, (_, i) => makeEvent({ user_id: `u-${i}`, user_agent: i % 2 ? 'a\tb' : 'plain' })));
    // Rows 5-59 of their chunk, then one row as a plain object (not chunked), then the rest.
    const plain: EventRow = { kind: 'event', values: rows[60]!.values, eventId: rows[60]!.eventId, chainId: null, seq: null, source: 'test', raw: rows[60]!.raw };
    const picked = [...rows.slice(5, 60), plain, ...rows.slice(61)];
    expect([...copyPieces(eventRowViews(picked))].join('')).toBe(whole(picked));
  });

  it.each([
    ['a backslash', '\\', '\\\\'],
    ['a tab', '\t', '\\t'],
    ['a line feed', '\n', '\\n'],
    ['a carriage return', '\r', '\\r'],
  ])('escapes a row whose only character to escape is %s', (_name, ch, escaped) => {
    // Rows of their own, not events: an event's JSON would hold a backslash escape of the character too.
    const rows = [
      ['plain', 1, null],
      [`a${ch}b`, 2, 'x'],
      ['plain', 3, 'y'],
    ];
    expect([...copyPieces([packRows(rows, 3)])].join('')).toBe(`plain\t1\t\\N\na${escaped}b\t2\tx\nplain\t3\ty\n`);
  });

  it('sends nothing for an empty round', () => {
    expect([...copyPieces(eventRowViews([]))]).toEqual([]);
  });
});
