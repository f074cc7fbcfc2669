import { describe, expect, it } from 'vitest';
import { duplicateName } from './duplicate-names.js';

/** Both ways: the scan alone, and the count against what JSON.parse made first. */
const both = (text: string) => [duplicateName(text), duplicateName(text, JSON.parse(text))];

describe('duplicateName', () => {
  it('finds a name repeated in one object, at any depth, compared decoded', () => {
    expect(both('{"a":1,"a":2}')).toEqual(['a', 'a']);
    expect(both('{"x":{"b":[1,{"c":1,"c":2}]}}')).toEqual(['c', 'c']);
    expect(both('{"a\\u0062":1,"ab":2}')).toEqual(['ab', 'ab']);
    expect(both('{"__proto__":1,"__proto__":2}')).toEqual(['__proto__', '__proto__']);
    expect(both('{"a":{"x":1,"y":[2]},"b":0,"a":{"z":3}}')).toEqual(['a', 'a']);
  });

  it('does not confuse values, strings holding JSON syntax, or names of sibling objects with a duplicate', () => {
    for (const text of [
      '{"a":"a","b":"{\\"a\\":1,\\"a\\":2}"}',
      '[{"a":1},{"a":2}]',
      '{"a":{"a":{"a":[{"a":1},"a"]}},"b":["a","a"]}',
      '{"q":"\\\\","r":"\\""}',
      ' { "a" : 1 , "b" : { } , "c" : [ ] } ',
      '{"":1,"a":"\\"\\":2"}',
      '{"__proto__":{"__proto__":1}}',
    ]) {
      expect(both(text), text).toEqual([undefined, undefined]);
    }
  });

  it('agrees with the scan alone on 20 000 random JSON texts, a third of them with a name repeated', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const names = ['a', 'b', 'ab', '\\u0061', '', '__proto__', 'x\\"y', 'k\\\\'];
    const ws = () => [' ', '', '', '\n', '\t'][rnd(5)]!;
    const value = (depth: number): string => {
      const r = rnd(depth > 3 ? 4 : 7);
      if (r === 0) return String(rnd(1000) - 500);
      if (r === 1) return `"${['x', '{\\"a\\":1}', ':', ',', '[', '\\\\'][rnd(6)]}"`;
      if (r === 2) return ['true', 'null', '1.5e3'][rnd(3)]!;
      if (r === 3) return '"a"';
      if (r === 4) return `[${Array.from({ length: rnd(4) }, () => ws() + value(depth + 1) + ws()).join(',')}]`;
      return object(depth + 1);
    };
    const object = (depth: number): string => {
      const keys = Array.from({ length: rnd(5) }, () => names[rnd(names.length)]!);
      return `{${keys.map((k) => `${ws()}"${k}"${ws()}:${ws()}${value(depth)}`).join(',')}}`;
    };
    let withDup = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = object(0);
      const [scan, counted] = both(text);
      expect(counted, text).toBe(scan);
      if (scan !== undefined) withDup++;
    }
    expect(withDup).toBeGreaterThan(5000);
  });
});
