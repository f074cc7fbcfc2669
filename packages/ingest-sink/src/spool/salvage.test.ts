import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lineTooLongReason } from '../sink/prepare.js';
import { encodeFrames, type SpoolEntry } from './record.js';
import { salvagedItem, salvageFrames } from './salvage.js';
import { prngInt } from '../../../../test/support/prng.js';

const entries: SpoolEntry[] = [
  { line: '{"event_type":"one"}' },
  { line: '{"event_type":"two"}', meta: { source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1' }, source: 'forward:10.0.0.7' },
  { line: 'evil\n\u001b[31m\'; DROP TABLE x;--\uFFFD', reject: 'FORWARD_BAD_RECORD: not a map' },
  { line: 'x'.repeat(300), overLong: 9_000_000 },
  { line: '{"event_type":"five"}' },
];

function framed(list: SpoolEntry[]) {
  const { buffer, sizes } = encodeFrames(list);
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  return { buffer: Buffer.from(buffer), sizes, starts };
}

describe('salvageFrames', () => {
  it('returns every record of undamaged bytes, hostile strings and meta as they were', () => {
    const { buffer, starts } = framed(entries);
    const r = salvageFrames(buffer);
    expect(r.unreadable).toEqual([]);
    expect(r.records).toEqual(entries.map((entry, i) => ({ offset: starts[i], entry })));
  });

  it('passes over a record whose payload is damaged, and only it', () => {
    const { buffer, sizes, starts } = framed(entries);
    buffer[starts[1]! + 20] = buffer[starts[1]! + 20]! ^ 0x01;
    const r = salvageFrames(buffer);
    expect(r.records.map((x) => x.entry)).toEqual(entries.filter((_, i) => i !== 1));
    expect(r.unreadable).toEqual([{ from: starts[1], to: starts[1]! + sizes[1]! }]);
  });

  it('finds the next record when the length field is what was damaged', () => {
    const { buffer, sizes, starts } = framed(entries);
    buffer[starts[2]! + 1] = buffer[starts[2]! + 1]! ^ 0x7f;
    const r = salvageFrames(buffer);
    expect(r.records.map((x) => x.offset)).toEqual([starts[0], starts[1], starts[3], starts[4]]);
    expect(r.unreadable).toEqual([{ from: starts[2], to: starts[2]! + sizes[2]! }]);
  });

  it('skips garbage before, between and after records, and a torn last record', () => {
    const a = framed(entries.slice(0, 2)).buffer;
    const b = framed(entries.slice(2, 4)).buffer;
    const torn = framed(entries.slice(4)).buffer;
    const junk = (n: number) => Buffer.alloc(n, 0xa5);
    const buf = Buffer.concat([junk(7), a, junk(13), b, torn.subarray(0, torn.length - 3)]);
    const r = salvageFrames(buf);
    expect(r.records.map((x) => x.entry)).toEqual(entries.slice(0, 4));
    expect(r.unreadable).toEqual([
      { from: 0, to: 7 },
      { from: 7 + a.length, to: 7 + a.length + 13 },
      { from: 7 + a.length + 13 + b.length, to: buf.length },
    ]);
  });

  it('recovers every record whose own bytes are intact, whatever else is damaged (300 seeded cases)', () => {
    const rand = prngInt(2463534242);
    for (let round = 0; round < 300; round++) {
      const list: SpoolEntry[] = Array.from({ length: 5 + rand(40) }, (_, i) =>
        rand(4) === 0 ? { line: `r${i} ${'y'.repeat(rand(300))}`, meta: { source_tag: `t${rand(9)}` }, source: 's' } : { line: `r${i} ${'x'.repeat(rand(300))}` },
      );
      const { buffer, sizes, starts } = framed(list);
      const hit = new Set<number>();
      for (let d = 1 + rand(6); d > 0; d--) {
        const at = rand(buffer.length);
        buffer[at] = buffer[at]! ^ (1 + rand(255));
        hit.add(starts.findLastIndex((st) => st <= at));
      }
      const r = salvageFrames(buffer);
      const intact = list.map((_, i) => i).filter((i) => !hit.has(i));
      expect(r.records.map((x) => x.offset), `round ${round}`).toEqual(intact.map((i) => starts[i]));
      expect(r.records.map((x) => x.entry), `round ${round}`).toEqual(intact.map((i) => list[i]));
      expect(r.unreadable.reduce((n, u) => n + u.to - u.from, 0), `round ${round}`).toBe([...hit].reduce((n, i) => n + sizes[i]!, 0));
    }
  });

  it('finds nothing in random bytes', () => {
    const buf = randomBytes(1 << 20);
    const r = salvageFrames(buf);
    expect(r.records).toEqual([]);
    expect(r.unreadable).toEqual([{ from: 0, to: buf.length }]);
  });
});

describe('salvagedItem', () => {
  it('makes a write item that spools back into the same entry; a line cut for length keeps its reason', () => {
    expect(salvagedItem(entries[0]!, 'salvage:q.bad')).toEqual({ line: entries[0]!.line, source: 'salvage:q.bad' });
    expect(salvagedItem(entries[1]!, 'salvage:q.bad')).toEqual({ line: entries[1]!.line, source: 'forward:10.0.0.7', meta: entries[1]!.meta });
    expect(salvagedItem(entries[2]!, 'salvage:q.bad')).toMatchObject({ reject: 'FORWARD_BAD_RECORD: not a map' });
    expect(salvagedItem(entries[3]!, 'salvage:q.bad')).toMatchObject({ line: 'x'.repeat(300), reject: lineTooLongReason(9_000_000) });
  });
});
