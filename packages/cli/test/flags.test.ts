import { describe, expect, it } from 'vitest';
import { intFlag, secondsFlag, timeFlag } from '../src/flags.js';

describe('timeFlag', () => {
  it('timeFlag takes "now" from its clock', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    expect(timeFlag('as-of', 'now', () => now)).toBe(now);
    expect(timeFlag('as-of', undefined)).toBeUndefined();
  });
});

describe('intFlag', () => {
  it('takes decimal digits within the range, both ends included, and nothing else', () => {
    expect(intFlag('n', '1', { min: 1, max: 5 })).toBe(1);
    expect(intFlag('n', '005', { min: 1, max: 5 })).toBe(5);
    expect(intFlag('n', undefined, { min: 1, max: 5 })).toBeUndefined();
    for (const bad of ['0', '6', '1.0', '+1', '-1', ' 1', '1 ', '', 'Infinity', '0b1', '１']) {
      expect(() => intFlag('n', bad, { min: 1, max: 5 }), bad).toThrow(`--n must be a whole number from 1 to 5, got "${bad}"`);
    }
  });
});

describe('secondsFlag (--timeout, --settle)', () => {
  it('takes seconds with up to three decimals within the range, in milliseconds, and nothing else', () => {
    expect(secondsFlag('timeout', '60', { min: 0.001, max: 100 })).toBe(60_000);
    expect(secondsFlag('timeout', '0.25', { min: 0.001, max: 100 })).toBe(250);
    expect(secondsFlag('settle', '0', { min: 0, max: 100 })).toBe(0);
    expect(secondsFlag('timeout', undefined, { min: 0.001, max: 100 })).toBeUndefined();
    for (const bad of ['0', '101', '1e3', '0x10', '-1', '1.0001', 'Infinity', ' 5', '']) {
      expect(() => secondsFlag('timeout', bad, { min: 0.001, max: 100 }), bad).toThrow(`--timeout must be a number of seconds from 0.001 to 100 (at most 3 decimals), got "${bad}"`);
    }
  });
});
