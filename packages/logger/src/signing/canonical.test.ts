import { describe, expect, it } from 'vitest';
import { assertSignable, macInput, MAC_PREFIX } from './canonical.js';

describe('macInput (RFC 8785 JCS)', () => {
  it('sorts keys by UTF-16 code units, drops integrity.mac, prefixes the domain', () => {
    const ev = { b: 1, a: { d: 'é', c: [true, null] }, '\u20ac': 2, integrity: { seq: 1, mac: 'x' } };
    const text = macInput(ev).toString('utf8');
    expect(text).toBe(`${MAC_PREFIX}{"a":{"c":[true,null],"d":"é"},"b":1,"integrity":{"seq":1},"\u20ac":2}`);
    expect(ev.integrity.mac).toBe('x'); // the caller's object is not changed
  });

  it('gives the same bytes whatever the key order', () => {
    expect(macInput({ x: 1, y: { p: 1, q: 2 }, integrity: {} }).equals(macInput({ integrity: {}, y: { q: 2, p: 1 }, x: 1 }))).toBe(true);
  });
});

describe('assertSignable', () => {
  it('refuses non-integer and unsafe numbers, naming the path', () => {
    expect(() => assertSignable({ a: { b: [1, 1.5] } })).toThrowError(/a\.b\[1\].*non-integer/);
    expect(() => assertSignable({ n: 2 ** 53 })).toThrowError(/non-integer/);
    expect(() => assertSignable({ n: Number.NaN })).toThrowError(/non-integer/);
    expect(() => assertSignable({ f: () => 1 })).toThrowError(/function cannot be signed/);
  });

  it('removes undefined-valued keys so the signed object equals the written JSON', () => {
    const o: Record<string, unknown> = { a: 1, b: undefined };
    assertSignable(o);
    expect(Object.keys(o)).toEqual(['a']);
  });
});
