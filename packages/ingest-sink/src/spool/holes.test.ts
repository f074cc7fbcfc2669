import { describe, expect, it } from 'vitest';
import { formatHole, parseHoles, scanAround } from './holes.js';
import { encodeFrames } from './record.js';

describe('holes', () => {
  it('parses complete lines only, sorted, dropping empty and overlapping ranges', () => {
    const text = formatHole({ from: 300, to: 400 }) + formatHole({ from: 10, to: 90 }) + '50 60\n' + '120 120\n' + '500 6';
    expect(parseHoles(text)).toEqual([
      { from: 10, to: 90 },
      { from: 300, to: 400 },
    ]);
    expect(parseHoles('')).toEqual([]);
    expect(parseHoles('junk\n-1 5\n')).toEqual([]);
  });

  it('checks each line\'s CRC-32: a damaged digit that would widen a hole over good records drops that line (the damage is found again); lines of the earlier form, without one, are read', () => {
    const line = formatHole({ from: 120, to: 180 });
    expect(line).toMatch(/^120 180 [0-9a-f]{8}\n$/);
    expect(parseHoles(line)).toEqual([{ from: 120, to: 180 }]);
    const widened = line.replace('180', '980');
    expect(parseHoles(widened)).toEqual([]);
    expect(parseHoles(line.replace(/ [0-9a-f]{8}\n/, ' 00000000\n'))).toEqual([]);
    expect(parseHoles('120 180\n')).toEqual([{ from: 120, to: 180 }]);
  });

  it('scans the parts between holes and reports damage outside them with its offset in the segment', () => {
    const frames = ['a', 'b', 'c', 'd'].map((line) => encodeFrames([{ line }]).buffer);
    const seg = Buffer.concat(frames);
    const ends = frames.map((_, i) => frames.slice(0, i + 1).reduce((n, f) => n + f.length, 0));
    const flip = (at: number) => (seg[at] = seg[at]! ^ 0xff);
    flip(ends[0]! + 10); // damage b
    expect(scanAround(seg, []).badAt).toBe(ends[0]);
    const around = scanAround(seg, [{ from: ends[0]!, to: ends[1]! }]);
    expect(around.badAt).toBeUndefined();
    expect(around.records.map((r) => r.end)).toEqual([ends[0], ends[2], ends[3]]);
    // Damage past the hole is still damage, at its offset in the whole segment.
    flip(ends[2]! + 10); // damage d
    expect(scanAround(seg, [{ from: ends[0]!, to: ends[1]! }])).toMatchObject({ badAt: ends[2], badReason: 'checksum mismatch' });
    // A hole recorded past the end of a segment cut shorter since is ignored.
    expect(scanAround(seg.subarray(0, ends[0]), [{ from: ends[0]!, to: ends[1]! }])).toMatchObject({ records: [{ end: ends[0] }] });
  });
});
