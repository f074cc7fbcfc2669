import { describe, expect, it } from 'vitest';
import { intFlag, parseRfc3339, secondsFlag, timeFlag } from '../src/flags.js';

describe('parseRfc3339', () => {
  it('reads the offset, the fraction and the calendar exactly, where Date would guess or roll over', () => {
    expect(parseRfc3339('2026-03-01T12:00:00+05:30')?.toISOString()).toBe('2026-03-01T06:30:00.000Z');
    expect(parseRfc3339('2026-03-01T00:00:00.5-01:00')?.toISOString()).toBe('2026-03-01T01:00:00.500Z');
    expect(parseRfc3339('2026-12-31T23:59:59.999999Z')?.toISOString()).toBe('2026-12-31T23:59:59.999Z');
    // Date.UTC would read the year 99 as 1999.
    expect(parseRfc3339('0099-12-31T23:59:59Z')?.toISOString()).toBe('0099-12-31T23:59:59.000Z');
    expect(parseRfc3339('2000-02-29T00:00:00Z')?.toISOString()).toBe('2000-02-29T00:00:00.000Z');
    for (const bad of ['1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-03-01T12:60:00Z', '2026-03-01T12:00:60Z', '2026-03-01T12:00:00+05:60', '2026-03-01T12:00:00.Z', '2026-03-01T12:00:00+0530', ' 2026-03-01T12:00:00Z']) {
      expect(parseRfc3339(bad), bad).toBeUndefined();
    }
  });

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
