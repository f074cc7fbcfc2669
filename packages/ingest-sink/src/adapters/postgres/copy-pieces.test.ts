import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../test/helpers/events.js';
import { MAX_TEXT_CHARS } from '../../rows/packed-rows.js';
import { prepareRows, type EventRow } from '../../sink/prepare.js';
import { copyPieces } from './postgres-adapter.js';
import { copyText } from './postgres-sql.js';

const rowsOf = (events: Record<string, unknown>[]) => prepareRows(events.map((e) => ({ line: JSON.stringify(e) })), 'direct') as EventRow[];
/** The round as one COPY text, the way it was sent before it came in pieces. */
const whole = (rows: readonly EventRow[]) => rows.map((r) => r.values.map(copyText).join('\t')).join('\n') + '\n';

describe('COPY text in pieces (PostgreSQL)', () => {
  it('sends exactly the COPY text of the round, in pieces of whole lines under the large-object threshold', () => {
    // Hostile text that COPY must escape: tabs, newlines, backslashes, carriage returns.
    const rows = rowsOf(Array.from({ length: 400 }, (_, i) => makeEvent({ user_id: `u-${i}`, user_agent: `tab\there\nnew\\line\r${'x'.repeat(i)}` })));
    const pieces = [...copyPieces(rows.map((r) => r.values))];
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
    const pieces = [...copyPieces(rows.map((r) => r.values))];
    expect(pieces).toHaveLength(3);
    expect(pieces[1]!.length).toBeGreaterThan(MAX_TEXT_CHARS);
    expect(pieces.join('')).toBe(whole(rows));
  });

  it('sends nothing for an empty round', () => {
    expect([...copyPieces([])]).toEqual([]);
  });
});
