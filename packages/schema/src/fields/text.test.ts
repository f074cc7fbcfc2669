import { describe, expect, it } from 'vitest';
import { escapeControls, escapeFormatChars, hasLoneSurrogate, sanitizeText } from './text.js';
import { prng } from '../../../../test/support/prng.js';

// The implementations before the fast paths (isWellFormed, early return),
// kept here as the reference the current ones must agree with exactly.
const CONTROL_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function refSanitize(s: string, max: number, replacement = ''): string {
  let out = s.toWellFormed().replace(CONTROL_GLOBAL, replacement);
  if (out.length > max) {
    out = out.slice(0, max);
    if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
  }
  return out;
}
function refEscape(s: string, max: number): string {
  const escaped = s.toWellFormed().replace(CONTROL_GLOBAL, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
  return refSanitize(escaped, max);
}

// Characters chosen to hit every branch: ASCII, C0/C1 controls, DEL, U+2028/9,
// both surrogate halves alone and as pairs, BMP and astral text.
const UNITS = ['a', 'Z', ' ', '\n', '\r', '\u0000', '\u001b', '\u007f', '\u0085', '\u009f', '\u00a0', '\u2028', '\u2029', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', 'é', '€', '"', '\\'];

describe('text fast paths agree with the reference implementations', () => {
  it('on 20 000 random hostile strings and cut lengths', () => {
    const rnd = prng(8785);
    for (let n = 0; n < 20_000; n++) {
      const len = Math.floor(rnd() * 12);
      let s = '';
      for (let i = 0; i < len; i++) s += UNITS[Math.floor(rnd() * UNITS.length)];
      const max = Math.floor(rnd() * 14);
      expect(hasLoneSurrogate(s)).toBe(LONE_SURROGATE.test(s));
      expect(sanitizeText(s, max)).toBe(refSanitize(s, max));
      expect(sanitizeText(s, max, '?')).toBe(refSanitize(s, max, '?'));
      expect(escapeControls(s, max)).toBe(refEscape(s, max));
    }
  });

  it('returns clean text itself and still cuts, repairs and strips', () => {
    expect(sanitizeText('plain', 5)).toBe('plain');
    expect(sanitizeText('plain', 4)).toBe('plai');
    expect(sanitizeText('a\ud800b', 10)).toBe('a\ufffdb');
    expect(sanitizeText('a\u2028b\u0085', 10)).toBe('ab');
    expect(escapeControls('sh\n-i', 20)).toBe('sh\\x0a-i');
    expect(hasLoneSurrogate('\ud83d\ude00')).toBe(false);
    expect(hasLoneSurrogate('\ude00\ud83d')).toBe(true);
  });
});

describe('escapeFormatChars', () => {
  it('writes bidi controls, zero-width characters, the BOM and tag characters as escapes, and keeps every other character', () => {
    expect(escapeFormatChars('bob\u202enimda\u202c')).toBe('bob\\u202enimda\\u202c');
    expect(escapeFormatChars('ad\u200bmin\ufeff\u2066')).toBe('ad\\u200bmin\\ufeff\\u2066');
    expect(escapeFormatChars('x\u{e0041}')).toBe('x\\u{e0041}');
    const plain = 'Grüße, محمد, 李雷 \u{1f469}\n\u001b';
    expect(escapeFormatChars(plain)).toBe(plain);
  });
});
