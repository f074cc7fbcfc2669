import { describe, expect, it } from 'vitest';
import { loneSurrogateEscape, wellFormedJson } from './lone-surrogates.js';

describe('lone surrogate escapes in JSON text', () => {
  it('finds the first escape of half a pair alone, reading escapes pairwise from each backslash', () => {
    const cases: [unknown, string | undefined][] = [
      ['x\ud800y', '\\ud800'],
      ['\udc00', '\\udc00'],
      ['\ud83d\ud83d\ude00', '\\ud83d'],
      ['\ud83d\ude00', undefined],
      ['\\ud800', undefined], // a backslash, then the letters "ud800"
      ['\\\ud800', '\\ud800'],
      ['"\u001b\\', undefined],
      [{ '\udfff': 1 }, '\\udfff'],
    ];
    for (const [value, lone] of cases) {
      const text = JSON.stringify(value);
      expect(JSON.parse(text), text).toEqual(value);
      expect(loneSurrogateEscape(text), text).toBe(lone);
    }
    // A half escaped beside its raw partner (a JS string) is a pair: JSON.parse joins them.
    expect(JSON.parse('"\\ud83d\ude00"')).toBe('\ud83d\ude00');
    expect(loneSurrogateEscape('"\\ud83d\ude00"')).toBeUndefined();
    expect(loneSurrogateEscape('"\ud83d\\ude00"')).toBeUndefined();
    // Upper-case hex names the same unit; an escaped pair in upper case is a pair.
    expect(loneSurrogateEscape('"\\uD800"')).toBe('\\uD800');
    expect(loneSurrogateEscape('"\\uD83D\\uDE00"')).toBeUndefined();
  });

  it('wellFormedJson spells each lone half U+FFFD and leaves everything else as it was', () => {
    const value = { ua: 'a\ud800b\udc00c\ud83d\ude00\\ud800', arr: ['\udbff'] };
    const text = JSON.stringify(value);
    const fixed = wellFormedJson(text);
    expect(loneSurrogateEscape(fixed)).toBeUndefined();
    expect(JSON.parse(fixed)).toEqual({ ua: 'a\ufffdb\ufffdc\ud83d\ude00\\ud800', arr: ['\ufffd'] });
    const clean = JSON.stringify({ ua: 'plain \u00e9 \ud83d\ude00' });
    expect(wellFormedJson(clean)).toBe(clean);
  });
});
