import { describe, expect, it } from 'vitest';
import { SyslogFramer } from '../../src/receivers/syslog/framing.js';
import { prngInt } from '../../../../test/support/prng.js';


const MAX = 64;

/**
 * A random RFC 6587 stream: octet-counted frames (any bytes inside, LF and
 * CR included), LF-framed lines (some ending in CR LF), frames and lines
 * over the limit, and stray LF, CR and NUL between frames. Returns its bytes
 * and what a framer must make of it, in order: a frame's text, or `REFUSED`;
 * and the first {@link MAX} bytes of each refused frame, which it keeps.
 */
function stream(rand: (n: number) => number): { bytes: Buffer; expected: string[]; heads: string[] } {
  const parts: Buffer[] = [];
  const expected: string[] = [];
  const heads: string[] = [];
  const text = (n: number, first = 'a') => first + Array.from({ length: n - 1 }, () => String.fromCharCode(0x20 + rand(95))).join('');
  for (let i = 0; i < 12; i++) {
    if (rand(4) === 0) parts.push(Buffer.from(['\n', '\r\n', '\0'][rand(3)]!, 'latin1'));
    const kind = rand(6);
    if (kind <= 1) {
      const body = Buffer.from(Array.from({ length: 1 + rand(MAX) }, () => rand(256)));
      parts.push(Buffer.from(`${body.length} `), body);
      expected.push(body.toString('latin1'));
    } else if (kind === 2) {
      const n = MAX + 1 + rand(3 * MAX);
      const body = Buffer.from(Array.from({ length: n }, () => rand(256)));
      parts.push(Buffer.from(`${n} `), body);
      expected.push('REFUSED');
      heads.push(body.subarray(0, MAX).toString('latin1'));
    } else if (kind <= 4) {
      // Not starting with a digit, LF, CR or NUL (those mean something else at a frame's start).
      const line = text(1 + rand(MAX), '<');
      parts.push(Buffer.from(`${line}${rand(2) ? '\r\n' : '\n'}`, 'latin1'));
      expected.push(line);
    } else {
      const line = text(MAX + 1 + rand(3 * MAX), '<');
      parts.push(Buffer.from(`${line}\n`, 'latin1'));
      expected.push('REFUSED');
      heads.push(line.slice(0, MAX));
    }
  }
  return { bytes: Buffer.concat(parts), expected, heads };
}

/**
 * Feeds `bytes` in reads ending at `cuts`: the frames in order, and the
 * heads kept of the refused ones in order (a read reports its frames and its
 * refusals apart, so their relative order within one read is not kept).
 */
function frame(bytes: Buffer, cuts: number[]): { frames: string[]; heads: string[] } {
  const f = new SyslogFramer(MAX);
  const frames: string[] = [];
  const heads: string[] = [];
  let at = 0;
  for (const end of [...cuts, bytes.length]) {
    const out = f.push(bytes.subarray(at, end));
    for (const r of out.refused) heads.push(r.head.toString('latin1'));
    for (const fr of out.frames) frames.push(fr.toString('latin1'));
    at = end;
  }
  expect(f.rest().length).toBe(0);
  expect(f.takeHead()).toBeUndefined();
  return { frames, heads };
}

describe('syslog TCP framing: any split of the stream gives the same messages (seeded)', () => {
  it('frames 2 000 random streams the same in one read, in reads cut at random, and byte by byte, keeping the same first bytes of each frame over the limit', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = prngInt(seed * 2654435761);
      const { bytes, expected: all, heads } = stream(rand);
      const expected = { frames: all.filter((x) => x !== 'REFUSED'), heads };
      const cuts = [...new Set(Array.from({ length: rand(12) }, () => rand(bytes.length)))].sort((a, b) => a - b);
      expect(frame(bytes, []), `seed ${seed}, one read`).toEqual(expected);
      expect(frame(bytes, cuts), `seed ${seed}, cuts ${cuts.join(',')}`).toEqual(expected);
      if (seed % 50 === 0) expect(frame(bytes, Array.from({ length: bytes.length }, (_, i) => i)), `seed ${seed}, byte by byte`).toEqual(expected);
    }
  });

  it('an octet-counted frame over the limit cut by the end of the stream: what came of its head is kept (takeHead)', () => {
    const f = new SyslogFramer(MAX);
    expect(f.push(Buffer.from(`500 ${'h'.repeat(20)}`))).toEqual({ frames: [], refused: [] });
    expect(f.push(Buffer.from('i'.repeat(10))).refused).toEqual([]);
    expect(f.pendingLength).toBe(30);
    const head = f.takeHead()!;
    expect(head.error.code).toBe('FRAME_TOO_LARGE');
    expect(head.error.message).toBe(`frame of 500 bytes exceeds ${MAX}`);
    expect(head.head.toString()).toBe(`${'h'.repeat(20)}${'i'.repeat(10)}`);
    expect(f.takeHead()).toBeUndefined();
  });
});
