import { describe, expect, it } from 'vitest';
import { forEachRow, packRows, transferables } from './packed-rows.js';

const unpack = (p: ReturnType<typeof packRows>) => {
  const out: unknown[][] = [];
  forEachRow(p, (values) => out.push([...values]));
  return out;
};

describe('packed rows (the SQLite worker hop)', () => {
  it('round-trips strings, numbers and nulls cell by cell, booleans as 1/0', () => {
    const rows = [
      ['a', 1, null, true, ''],
      ['', -2.5, 'x\u0000y\r\n\u001b[31m', false, "'; DROP TABLE t; --"],
      ['é😀\uFFFD', Number.MAX_SAFE_INTEGER, null, null, 'z'.repeat(100_000)],
      [null, 0, '中文', 1, ''],
    ];
    const back = unpack(packRows(rows, 5));
    expect(back).toEqual(rows.map((r) => r.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v))));
  });

  it('survives a real structured clone with its buffers transferred', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [`id-${i}`, i, i % 3 === 0 ? null : `v${'é'.repeat(i % 7)}`]);
    const packed = packRows(rows, 3);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<ReturnType<typeof packRows>>((resolve) => port2.once('message', resolve));
    port1.postMessage(packed, transferables(packed));
    const clone = await received;
    port1.close();
    // Transferred: the sender's arrays are detached, the receiver's are intact.
    expect(packed.kinds.length).toBe(0);
    expect(unpack(clone)).toEqual(rows);
  });

  it('reads rows spread over several texts, each with its own row count', () => {
    const a = [['a1', 1], ['a2', null]];
    const b = [['é😀', 2]];
    const pa = packRows(a, 2);
    const pb = packRows(b, 2);
    const joined = {
      width: 2,
      count: 3,
      texts: [...pa.texts, ...pb.texts],
      textRows: [2, 1],
      kinds: Uint8Array.from([...pa.kinds, ...pb.kinds]),
      lens: Uint32Array.from([...pa.lens, ...pb.lens]),
      nums: [...pa.nums, ...pb.nums],
    };
    expect(unpack(joined)).toEqual([...a, ...b]);
    // Texts that do not cover every row are a packing bug, reported, not read past.
    expect(() => unpack({ ...joined, textRows: [2] })).toThrow(RangeError);
  });

  it('refuses a row of the wrong width with a TypeError', () => {
    expect(() => packRows([['a', 'b'], ['c']], 2)).toThrow(TypeError);
  });

  it('packs an empty batch', () => {
    expect(unpack(packRows([], 4))).toEqual([]);
  });
});
