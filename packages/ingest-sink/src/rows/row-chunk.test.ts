import { INSERT_COLUMNS, parseAuditEvent, toRow, type ColumnValue } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { chainEvent, makeEvent } from '../../test/helpers/events.js';
import { prepareRows, type EventRow } from '../sink/prepare.js';
import { forEachRow, MAX_TEXT_CHARS } from './packed-rows.js';
import { ChunkedEventRow, packEventRows, RowChunk } from './row-chunk.js';
import { freeSlabs } from './text-slabs.js';

const W = INSERT_COLUMNS.length;
const HOSTILE = ['', 'x\u0000y', 'line\r\nbreak', '\u001b[31mred\u001b[0m', "'; DROP TABLE t; --", 'é😀\uFFFD', 'z'.repeat(100_000)];

/** A full-width row whose cells cycle through hostile strings, numbers and nulls. */
function syntheticRow(seed: number): ColumnValue[] {
  return Array.from({ length: W }, (_, j) => {
    const k = (seed + j) % 5;
    return k === 0 ? null : k === 1 ? seed * 1000 + j : k === 2 ? (seed + j) % 2 === 0 : HOSTILE[(seed * 7 + j) % HOSTILE.length]!;
  });
}
const stored = (r: readonly ColumnValue[]) => r.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));

function unpack(rows: readonly EventRow[]): unknown[][] {
  const out: unknown[][] = [];
  forEachRow(packEventRows(rows), (values) => out.push([...values]));
  return out;
}

const lineOf = (e: Record<string, unknown>) => JSON.stringify(e);

describe('row chunks (how the sink keeps queued rows)', () => {
  it('gives back every row and every cell as stored, hostile strings included', () => {
    const rows = Array.from({ length: 12 }, (_, i) => syntheticRow(i));
    const chunk = new RowChunk(rows);
    expect(chunk.count).toBe(12);
    rows.forEach((r, i) => {
      expect(chunk.values(i)).toEqual(stored(r));
      for (let j = 0; j < W; j++) expect(chunk.cell(i, j)).toEqual(stored(r)[j]);
    });
  });

  it('gives back the exact characters of a Latin-1 text and of one that needs UTF-16, lone surrogates included', () => {
    const latin = [['ascii', 'caf\u00e9 \u00ff', '\u0000\u001b[2J\r\n']];
    const wide = [['\u20ac', 'lone \ud800 and \udfff surrogates', '\u{1f600}'], ['tail', '', 'x']];
    for (const cells of [latin, wide]) {
      const rows = cells.map((c) => [...c, ...Array.from({ length: W - c.length }, () => null)]);
      const chunk = new RowChunk(rows);
      rows.forEach((r, i) => expect(chunk.values(i)).toEqual(r));
      expect(chunk.text()).toBe(cells.flat().join(''));
    }
  });

  it('hands its buffer back once every row is delivered, and refuses reads after that rather than show a later chunk\'s text', () => {
    // Rows small enough for a pooled buffer (a longer text gets a buffer of its own).
    const shortRow = (seed: number) => syntheticRow(seed).map((v) => (typeof v === 'string' && v.length > 1000 ? 'short' : v));
    const rows = [0, 1, 2].map(shortRow);
    const chunk = new RowChunk(rows);
    const before = freeSlabs();
    chunk.delivered(2);
    expect(chunk.values(2)).toEqual(stored(rows[2]!));
    expect(freeSlabs()).toBe(before);
    chunk.delivered();
    expect(freeSlabs()).toBe(before + 1);
    // The next chunk reuses that buffer; the old one must not read it.
    const next = new RowChunk([shortRow(50)]);
    expect(freeSlabs()).toBe(before);
    expect(() => chunk.values(0)).toThrow(/delivered/);
    expect(() => new ChunkedEventRow(chunk, 1, 's').eventId).toThrow(/delivered/);
    expect(next.values(0)).toEqual(stored(shortRow(50)));
  });

  it('packs runs of rows from several chunks, out of order, and plain rows, into one batch', () => {
    const a = new RowChunk(Array.from({ length: 5 }, (_, i) => syntheticRow(i)));
    const b = new RowChunk(Array.from({ length: 4 }, (_, i) => syntheticRow(100 + i)));
    const ra = (i: number) => new ChunkedEventRow(a, i, 'sa');
    const rb = (i: number) => new ChunkedEventRow(b, i, 'sb');
    const plainValues = syntheticRow(999);
    const plain: EventRow = { kind: 'event', values: plainValues, eventId: 'p', chainId: null, seq: null, source: 'p', raw: '{}' };
    const order = [ra(0), ra(1), ra(2), rb(1), rb(2), plain, ra(4), ra(3), rb(0), rb(3)];
    const expected = order.map((r) => (r === plain ? stored(plainValues) : (r as ChunkedEventRow).chunk.values((r as ChunkedEventRow).index)));
    expect(unpack(order)).toEqual(expected);
    expect(unpack([])).toEqual([]);
  });

  it('prepareRows: event rows share a chunk, rejects stay beside them in order, fields read back from the chunk', () => {
    const chain = makeEvent().event_id as string;
    const events = [makeEvent({ user_id: "o'brien'); DROP TABLE t; --" }), chainEvent(chain, 3), makeEvent()];
    const entries = [{ line: lineOf(events[0]!) }, { line: '{"not":"an event"}' }, { line: lineOf(events[1]!), source: 'forward:peer' }, { line: lineOf(events[2]!) }];
    const rows = prepareRows(entries, 'direct');
    expect(rows.map((r) => r.kind)).toEqual(['event', 'reject', 'event', 'event']);
    const [e0, , e1, e2] = rows as ChunkedEventRow[];
    expect(e0!.chunk).toBe(e1!.chunk);
    expect(e1!.chunk).toBe(e2!.chunk);
    expect([e0!.index, e1!.index, e2!.index]).toEqual([0, 1, 2]);
    expect(e1!.eventId).toBe(events[1]!.event_id);
    expect(e1!.chainId).toBe(chain);
    expect(e1!.seq).toBe(3);
    expect(e0!.chainId).toBeNull();
    expect(e0!.seq).toBeNull();
    expect(e1!.source).toBe('forward:peer');
    expect(e0!.source).toBe('direct');
    expect(e2!.raw).toBe(entries[3]!.line);
    // The values are exactly what toRow makes of the event (the schema's own projection).
    const parsed = parseAuditEvent(entries[0]!.line);
    if (!parsed.ok) throw new Error('fixture');
    expect(e0!.values).toEqual(stored(toRow(parsed.event, { raw: entries[0]!.line })));
  });

  it('prepareRows: entries sharing one meta object (a receiver request) each get their own raw line, and a changed meta its own columns', () => {
    const events = [makeEvent(), makeEvent(), makeEvent(), makeEvent()];
    const shared = { source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1', container_name: 'api.1.x' };
    const other = { source_tag: 'swarm.audit.n2.web.t2', swarm_node: 'n2' };
    const metas = [shared, shared, other, undefined];
    const entries = events.map((e, i) => ({ line: lineOf(e), ...(metas[i] ? { meta: metas[i] } : {}) }));
    const rows = prepareRows(entries, 'direct') as ChunkedEventRow[];
    rows.forEach((row, i) => {
      const parsed = parseAuditEvent(entries[i]!.line);
      if (!parsed.ok) throw new Error('fixture');
      expect(row.raw).toBe(entries[i]!.line);
      expect(row.values).toEqual(stored(toRow(parsed.event, { ...metas[i], raw: entries[i]!.line })));
    });
    // The caller's meta objects are left as they were.
    expect(shared).toEqual({ source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1', container_name: 'api.1.x' });
    expect(other).toEqual({ source_tag: 'swarm.audit.n2.web.t2', swarm_node: 'n2' });
  });

  it('prepareRows keeps every chunk text under the limit, so no string lands in large-object space', () => {
    const entries = Array.from({ length: 7 }, () => ({ line: lineOf(makeEvent()) }));
    const one = (prepareRows(entries.slice(0, 1), 'direct')[0] as ChunkedEventRow).chunk.text().length;
    // Room for two rows of this size, not three.
    const limit = Math.floor(one * 2.5);
    const rows = prepareRows(entries, 'direct', limit) as ChunkedEventRow[];
    const chunks = [...new Set(rows.map((r) => r.chunk))];
    expect(chunks.map((c) => c.count)).toEqual([2, 2, 2, 1]);
    for (const c of chunks) expect(c.text().length).toBeLessThanOrEqual(limit);
    // The batch for the worker carries one text per chunk, never joined.
    const packed = packEventRows(rows);
    expect(packed.texts).toEqual(chunks.map((c) => c.text()));
    expect(packed.textRows).toEqual([2, 2, 2, 1]);
    expect(unpack(rows).map((v) => v[INSERT_COLUMNS.findIndex((c) => c.name === 'event_json')])).toEqual(entries.map((e) => e.line));
  });

  it('prepareRows gives a row longer than the limit a chunk of its own, between its neighbours', () => {
    // Free text is cut to 512 characters when validated, but the raw line (event_json) keeps it all.
    const big = makeEvent({ error: { code: 'SIGNATURE_INVALID', message: 'm'.repeat(MAX_TEXT_CHARS) } });
    const entries = [makeEvent(), big, makeEvent()].map((e) => ({ line: lineOf(e) }));
    const rows = prepareRows(entries, 'direct') as ChunkedEventRow[];
    expect(rows.map((r) => r.chunk.count)).toEqual([1, 1, 1]);
    expect(new Set(rows.map((r) => r.chunk)).size).toBe(3);
    expect(rows[1]!.raw).toBe(entries[1]!.line);
    expect(unpack(rows).map((v) => v[INSERT_COLUMNS.findIndex((c) => c.name === 'event_json')])).toEqual(entries.map((e) => e.line));
  });
});
