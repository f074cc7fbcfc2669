import { describe, expect, it } from 'vitest';
import { loggableOrigin } from './response-shape.js';

describe('loggableOrigin', () => {
  it('writes format characters as escapes: a bidi override cannot make a refused origin read as another (found by a probe)', () => {
    expect(loggableOrigin('https://evil.example\u202egnp.exe\u200b\u2066')).toBe('https://evil.example\\u202egnp.exe\\u200b\\u2066');
    expect(loggableOrigin('https://a.example\u{e0041}')).toBe('https://a.example\\u{e0041}');
  });

  it('keeps a real origin as it is, drops control characters, and stays within 512 characters', () => {
    expect(loggableOrigin('https://login.example.com:8443')).toBe('https://login.example.com:8443');
    expect(loggableOrigin('https://a\n.example\u001b[2J')).toBe('https://a.example[2J');
    expect(loggableOrigin(`https://${'\u202e'.repeat(600)}`)!.length).toBe(512);
    expect(loggableOrigin('\u0000')).toBeUndefined();
    expect(loggableOrigin(undefined)).toBeUndefined();
  });
});
