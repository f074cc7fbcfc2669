import { describe, expect, it } from 'vitest';
import { nonIntegerLiteral } from './number-literals.js';

describe('nonIntegerLiteral', () => {
  it('passes plain safe integers and ignores digits inside strings (escaped quotes included)', () => {
    expect(nonIntegerLiteral('{"a":0,"b":-7,"c":[1,22,333],"d":9007199254740991,"e":true,"f":null}')).toBeUndefined();
    expect(nonIntegerLiteral('{"a":"1e2 \\" 1.5","b":"-0"}')).toBeUndefined();
    expect(nonIntegerLiteral('{"1.5":2}')).toBeUndefined();
  });

  it('finds the first spelling another reader may read differently', () => {
    for (const [text, found] of [
      ['{"a":1e2}', '1e2'],
      ['{"a":100.0}', '100.0'],
      ['[1, 2.5]', '2.5'],
      ['{"a":-0}', '-0'],
      ['{"a":1E+2}', '1E+2'],
      ['{"a":99.999999999999999999}', '99.999999999999999999'],
      ['{"a":9007199254740993}', '9007199254740993'],
      ['{"s":"x\\\\","n":0.5}', '0.5'],
    ] as const) {
      expect(nonIntegerLiteral(text), text).toBe(found);
    }
  });
});
