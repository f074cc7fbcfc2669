import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from './rfc3339.js';

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

  it('refuses what Date.parse reads by the process TZ or rolls over: a time without a zone, hour 24, a leap second', () => {
    for (const bad of ['2026-03-01T12:00:00', '2026-03-01 12:00:00Z', '2026-03-01T24:00:00Z', '2016-12-31T23:59:60Z', '2026', 'Sun, 01 Mar 2026 12:00:00', '+002026-03-01T12:00:00Z', '2026-03-01T12:00:00+24:00']) {
      expect(parseRfc3339(bad), bad).toBeUndefined();
    }
    expect(parseRfc3339('2026-03-01t12:00:00z')?.toISOString()).toBe('2026-03-01T12:00:00.000Z');
  });
});
