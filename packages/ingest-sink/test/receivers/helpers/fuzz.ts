import { prng } from '../../../../../test/support/prng.js';

export { prng };

const INTERESTING = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xc0, 0xc1, 0xc4, 0xc6, 0xc7, 0xd7, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff];

/** One mutation of `base`: bit flips, interesting bytes, truncation, insertion, duplication, huge lengths, splicing. */
export function mutate(base: Buffer, rand: () => number, other: Buffer): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const b = Buffer.from(base);
  switch (int(8)) {
    case 0: {
      for (let i = 0, n = 1 + int(4); i < n; i++) b[int(b.length)]! ^= 1 << int(8);
      return b;
    }
    case 1:
      b[int(b.length)] = INTERESTING[int(INTERESTING.length)]!;
      return b;
    case 2:
      return b.subarray(0, int(b.length));
    case 3: {
      const at = int(b.length);
      const junk = Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256)));
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    }
    case 4: {
      const s = int(b.length);
      const e = s + int(b.length - s);
      return Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
    }
    case 5: {
      if (b.length < 4) return b;
      const at = int(Math.max(1, b.length - 4));
      b.writeUInt32BE(0xffffffff - int(1000), at);
      return b;
    }
    case 6:
      return Buffer.concat([b.subarray(0, int(b.length)), other.subarray(int(other.length))]);
    default: {
      const at = int(b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.alloc(int(300), 0x91), b.subarray(at)]);
    }
  }
}
