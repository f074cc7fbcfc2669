import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { invalidUtf8Bytes, MsgpackReader } from '../../src/receivers/msgpack/decode.js';
import { EventTime, timeToMillis } from '../../src/receivers/msgpack/event-time.js';
import { freshScan, scanValue } from '../../src/receivers/msgpack/scan.js';
import { ext8Time, fixext8Time } from './helpers/frames.js';
import { prng } from './helpers/fuzz.js';

const read = (b: Buffer, binAsString = false) => new MsgpackReader(b, 0, b.length, { maxDepth: 64 }, { invalidUtf8: 0 }, binAsString).read();

/** Random msgpack-able values of every type width (differential test against @msgpack/msgpack's encoder). */
function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 7 : 9));
  const ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1];
  switch (pick) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return ints[Math.floor(rand() * ints.length)];
    case 3: return rand() * 1e6 - 5e5;
    case 4: return 'é✓𝄞x'.repeat(Math.floor(rand() * 3)) + 'a'.repeat([0, 5, 31, 32, 255, 256, 70000][Math.floor(rand() * 7)]!);
    case 5: return new Uint8Array(Math.floor(rand() * 300)).map(() => Math.floor(rand() * 256));
    case 6: return 'k';
    case 7: return Array.from({ length: [0, 3, 15, 16, 20][Math.floor(rand() * 5)]! }, () => randomValue(rand, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0, n = [0, 2, 15, 16, 17][Math.floor(rand() * 5)]!; i < n; i++) o[`key${i}`] = randomValue(rand, depth + 1);
      return o;
    }
  }
}

/** Bytes as hex so Buffer and Uint8Array compare equal. */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bin: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

describe('msgpack scanner and decoder', () => {
  it('decode(encode(v)) equals v for 2 000 random values, and every proper prefix is reported incomplete', () => {
    const rand = prng(7);
    for (let i = 0; i < 2000; i++) {
      const v = randomValue(rand);
      const bytes = Buffer.from(encode(v));
      expect(scanValue(bytes, 0, bytes.length)).toBe(bytes.length);
      const cut = Math.floor(rand() * bytes.length);
      const need = scanValue(bytes, 0, cut);
      expect(need).toBeLessThan(0);
      expect(-need).toBeGreaterThan(cut);
      expect(-need).toBeLessThanOrEqual(bytes.length);
      expect(norm(read(bytes))).toEqual(norm(v));
    }
  });

  it('resumes an incomplete scan where it stopped, agreeing with a scan of the whole value', () => {
    const rand = prng(11);
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.from(encode([randomValue(rand), randomValue(rand)]));
      const state = freshScan();
      let have = 0;
      let end = -1;
      while (end < 0) {
        have = Math.min(bytes.length, Math.max(have + 1 + Math.floor(rand() * 40), -end));
        end = scanValue(bytes, 0, have, state);
        if (end < 0) expect(-end).toBeGreaterThan(have);
      }
      expect(end).toBe(bytes.length);
      expect(state).toEqual(freshScan());
    }
  });

  it('reads EventTime as fixext8 and ext8, and integer / v1.5 times as milliseconds', () => {
    expect(read(fixext8Time(1441588984, 5e8))).toEqual(new EventTime(1441588984, 5e8));
    expect(read(ext8Time(4294967295, 1))).toEqual(new EventTime(4294967295, 1));
    expect(timeToMillis(new EventTime(1, 5e8))).toBe(1500);
    expect(timeToMillis(7)).toBe(7000);
    expect(timeToMillis([new EventTime(2, 0), { k: 'v' }])).toBe(2000);
    expect(timeToMillis('x')).toBeUndefined();
  });

  it('keeps a __proto__ key as data, counts invalid UTF-8, and refuses counts larger than the buffer', () => {
    const proto = Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x01]);
    const o = read(proto) as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__']);
    const stats = { invalidUtf8: 0 };
    const bad = Buffer.from([0xa2, 0xff, 0xfe]);
    expect(new MsgpackReader(bad, 0, 3, { maxDepth: 4 }, stats).read()).toBe('\ufffd\ufffd');
    expect(stats.invalidUtf8).toBe(1);
    expect(() => read(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'MSGPACK_INVALID' }));
    // Long strings too (past the short-ASCII path), and a U+FFFD that was sent encoded is valid text, not counted.
    const str8 = (bytes: number[]) => Buffer.from([0xd9, bytes.length, ...bytes]);
    const long = (...mid: number[]) => [...Buffer.from('a'.repeat(30)), ...mid, ...Buffer.from('z'.repeat(30))];
    const counts = { invalidUtf8: 0 };
    const decode = (b: Buffer) => new MsgpackReader(b, 0, b.length, { maxDepth: 4 }, counts).read();
    expect(decode(str8(long(0xef, 0xbf, 0xbd)))).toBe(`${'a'.repeat(30)}\ufffd${'z'.repeat(30)}`);
    expect(decode(str8(long(0xc3, 0xa9)))).toBe(`${'a'.repeat(30)}é${'z'.repeat(30)}`);
    expect(counts.invalidUtf8).toBe(0);
    expect(decode(str8(long(0xc3)))).toBe(`${'a'.repeat(30)}\ufffd${'z'.repeat(30)}`);
    expect(decode(str8(long(0xed, 0xa0, 0x80)))).toMatch(/^a{30}\ufffd+z{30}$/);
    expect(counts.invalidUtf8).toBe(2);
    expect(() => read(Buffer.alloc(100, 0x91))).toThrow(expect.objectContaining({ code: 'MSGPACK_TOO_DEEP' }));
  });

  it('keeps the bytes of a map value that was invalid UTF-8, hidden from keys, spreads and JSON, for the pieces of a split line', () => {
    const euro = [0xe2, 0x82, 0xac];
    // { log: "ends in half a euro" + first two bytes, ok: "€", bin: <bytes> }
    const half = [...Buffer.from('ends in half a euro '), euro[0]!, euro[1]!];
    const frame = Buffer.from([0x83, 0xa3, ...Buffer.from('log'), 0xd9, half.length, ...half, 0xa2, ...Buffer.from('ok'), 0xa3, ...euro, 0xa3, ...Buffer.from('bin'), 0xc4, 2, 0xff, 0xfe]);
    const o = read(frame) as Record<string, unknown>;
    expect(o.log).toBe('ends in half a euro \ufffd');
    expect(invalidUtf8Bytes(o, 'log')).toEqual(Buffer.from(half));
    expect(invalidUtf8Bytes(o, 'ok')).toBeUndefined();
    expect(invalidUtf8Bytes(o, 'bin')).toBeUndefined();
    expect(Object.keys(o)).toEqual(['log', 'ok', 'bin']);
    expect(Object.keys({ ...o })).toEqual(['log', 'ok', 'bin']);
    expect(Object.getOwnPropertySymbols({ ...o })).toEqual([]);
    expect(JSON.parse(JSON.stringify({ ...o, bin: 0 }))).toEqual({ log: 'ends in half a euro \ufffd', ok: '€', bin: 0 });
    // A value after an invalid one in a nested map is not mistaken for it.
    const nested = Buffer.from([0x82, 0xa1, 0x61, 0x81, 0xa1, 0x62, 0xa1, 0xff, 0xa1, 0x63, 0xa1, 0x78]);
    const n = read(nested) as Record<string, Record<string, unknown>>;
    expect(invalidUtf8Bytes(n.a!, 'b')).toEqual(Buffer.from([0xff]));
    expect(invalidUtf8Bytes(n, 'a')).toBeUndefined();
    expect(invalidUtf8Bytes(n, 'c')).toBeUndefined();
  });
});
