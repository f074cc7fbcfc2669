import canonicalizeModule from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { assertSignable } from './canonical.js';
import { signableJcs, signCanonical } from './fast-jcs.js';
import { prng } from '../../../../test/support/prng.js';

type Canonicalize = (input: unknown) => string | undefined;
const canonicalize: Canonicalize =
  (canonicalizeModule as unknown as { default?: Canonicalize }).default ?? (canonicalizeModule as unknown as Canonicalize);

// Hostile text: quotes, backslashes, C0/C1 controls, DEL, U+2028/9, lone
// surrogates of both kinds, pairs, BMP and astral characters.
const UNITS = ['a', 'B', '"', '\\', '/', '\n', '\u0000', '\u001f', '\u007f', '\u0085', '\u2028', '\u2029', '\ud800', '\udfff', '\ud83d\ude00', 'é', '€', '\ufb33', '\uffff'];
// Keys: ASCII of both cases, non-ASCII that sorts differently by code unit
// than by code point (U+FB33 vs the surrogate pair), digit-led (array-index
// like, enumerated first by JS), empty, "__proto__", "toJSON".
const KEYS = ['a', 'b', 'A', 'event_id', 'mac', 'prev', 'é', '€', '\ufb33', '\ud83d\ude00', '\r', '\u0080', '', '1', '10', '9', '01', '__proto__', 'toJSON', 'a\u0000b'];

function text(rnd: () => number): string {
  let s = '';
  for (let i = Math.floor(rnd() * 6); i > 0; i--) s += UNITS[Math.floor(rnd() * UNITS.length)];
  return s;
}
function value(rnd: () => number, depth: number): unknown {
  const k = Math.floor(rnd() * (depth > 4 ? 5 : 8));
  switch (k) {
    case 0:
      return text(rnd);
    case 1:
      return [0, -1, 42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1e15][Math.floor(rnd() * 6)];
    case 2:
      return rnd() < 0.5;
    case 3:
      return null;
    case 4:
      return rnd() < 0.1 ? undefined : text(rnd);
    case 5:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => {
        const v = value(rnd, depth + 1);
        return v === undefined ? null : v;
      });
    default: {
      // JSON.parse-style own data properties, so "__proto__" is a plain key.
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 6); i > 0; i--) {
        const key = KEYS[Math.floor(rnd() * (rnd() < 0.7 ? 10 : KEYS.length))]!;
        const v = value(rnd, depth + 1);
        if (key === 'toJSON' && typeof v !== 'string') continue;
        Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
  }
}

describe('signableJcs equals canonicalize (RFC 8785) byte for byte', () => {
  it('on 20 000 random objects with hostile strings and keys', () => {
    const rnd = prng(2024);
    for (let n = 0; n < 20_000; n++) {
      const v = value(rnd, 5) as Record<string, unknown>;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
      const expected = canonicalize(structuredClone(v));
      expect(signableJcs(v)).toBe(expected);
    }
  });

  it('sorts by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const rfc = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(Object.keys(JSON.parse(signableJcs(rfc)))).toEqual(['1', '\r', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    const noDigits = { ...rfc } as Record<string, unknown>;
    delete noDigits['1'];
    expect(signableJcs(noDigits)).toBe(canonicalize(noDigits));
    expect(signableJcs(noDigits).indexOf('"\ud83d\ude00"')).toBeLessThan(signableJcs(noDigits).indexOf('"\ufb33"'));
  });

  it('escapes like JSON.stringify: lone surrogates, U+2028, controls', () => {
    const v = { s: '\ud800\u2028\u0000\u001f"\\\u007f\udfff' };
    expect(signableJcs(v)).toBe(canonicalize(v));
    expect(signableJcs(v)).toBe('{"s":"\\ud800\u2028\\u0000\\u001f\\"\\\\\u007f\\udfff"}');
  });

  it('handles deep nesting and repeated key lists of equal first key', () => {
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 500; i++) deep = { [`k${i % 3}`]: deep, a: i };
    expect(signableJcs(deep)).toBe(canonicalize(deep));
    for (const v of [{ a: 1, c: 2 }, { a: 1, b: 2, c: 3 }, { a: 1, z: 2 }, { a: 1, b: 2 }, { z: 1, a: 2 }, { a: 1, c: 2 }]) {
      expect(signableJcs(v)).toBe(canonicalize(v));
    }
  });

  it('falls back to canonicalize for Dates, boxed values, null prototypes, digit keys, "__proto__"', () => {
    const cases: Record<string, unknown>[] = [
      { d: new Date(0) },
      { o: { toJSON: 'not a function' } },
      { s: new String('ab') },
      { n: new Number(5) },
      { o: Object.assign(Object.create(null), { b: 1, a: 2 }) },
      { '10': 1, '9': 2, a: 3 },
      JSON.parse('{"__proto__":{"x":1},"a":1}'),
    ];
    for (const c of cases) expect(signableJcs(c)).toBe(canonicalize(c));
  });

  it('refuses what assertSignable refuses, with the same error', () => {
    for (const bad of [{ a: { b: [1, 1.5] } }, { n: 2 ** 53 }, { n: Number.NaN }, { f: () => 1 }, { o: { toJSON: () => 'x' } }, { a: [undefined] }, { b: 1n }]) {
      let expected: unknown;
      try {
        assertSignable(bad);
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeDefined();
      expect(() => signableJcs(bad)).toThrowError((expected as Error).message);
    }
  });

  it('removes undefined-valued keys, like assertSignable', () => {
    const o: Record<string, unknown> = { a: 1, b: undefined, c: { d: undefined } };
    expect(signableJcs(o)).toBe('{"a":1,"c":{}}');
    expect(Object.keys(o)).toEqual(['a', 'c']);
  });
});

describe('signCanonical', () => {
  const PH = 'P'.repeat(43);
  const macOf = (pieces: string[]) => `M${pieces.join('').length}`;

  function check(event: Record<string, unknown>): void {
    const integrity = { v: 1, alg: 'HMAC-SHA256', chain_id: 'c', seq: 1, epoch: 0, kid: 'k', prev: '' };
    event.integrity = integrity;
    const withoutMac = canonicalize(structuredClone(event))!;
    let seen: string[] = [];
    const line = signCanonical(event, integrity, PH, (p) => {
      seen = p;
      return macOf(p);
    });
    expect(seen.join('')).toBe(withoutMac); // the MAC input is JCS(event')
    expect((event.integrity as Record<string, unknown>).mac).toBe(`M${withoutMac.length}`);
    expect(line).toBe(canonicalize(event)); // the line is JCS(event) with the mac
  }

  it('MAC input is JCS(event without mac) and the line is JCS(event)', () => {
    check({ event_id: 'e', user_id: 'u\u2028\ud800', n: 3, o: { z: 1, a: [true, null] } });
  });

  it('is right when the placeholder also occurs in the content (falls back)', () => {
    check({ a: PH, nested: { mac: PH, prev: '' }, b: `"mac":"${PH}",` });
  });

  it('is right on the slow path (digit keys, Date)', () => {
    check({ '7': 'x', d: new Date(0) });
  });

  it('leaves no mac when the event is not signable', () => {
    const integrity = { v: 1, prev: '' } as Record<string, unknown>;
    const event: Record<string, unknown> = { x: 0.5, integrity };
    expect(() => signCanonical(event, integrity, PH, macOf)).toThrowError(/non-integer/);
    expect(integrity.mac).toBeUndefined();
  });
});
