import { describe, expect, it } from 'vitest';
import { duplicateKey } from './duplicate-keys.js';

describe('duplicateKey', () => {
  it('finds a name repeated in one object, at any depth, compared decoded', () => {
    expect(duplicateKey('{"a":1,"a":2}')).toBe('a');
    expect(duplicateKey('{"x":{"b":[1,{"c":1,"c":2}]}}')).toBe('c');
    expect(duplicateKey('{"a\\u0062":1,"ab":2}')).toBe('ab');
  });

  it('does not confuse values, strings holding JSON syntax, or names of sibling objects with a duplicate', () => {
    expect(duplicateKey('{"a":"a","b":"{\\"a\\":1,\\"a\\":2}"}')).toBeUndefined();
    expect(duplicateKey('[{"a":1},{"a":2}]')).toBeUndefined();
    expect(duplicateKey('{"a":{"a":{"a":[{"a":1},"a"]}},"b":["a","a"]}')).toBeUndefined();
    expect(duplicateKey('{"q":"\\\\","r":"\\""}')).toBeUndefined();
    expect(duplicateKey(' { "a" : 1 , "b" : { } , "c" : [ ] } ')).toBeUndefined();
  });
});
