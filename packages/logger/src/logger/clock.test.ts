import { describe, expect, it } from 'vitest';
import { isoNow } from './clock.js';

describe('isoNow', () => {
  it('is new Date().toISOString() of the current millisecond', () => {
    const before = Date.now();
    const iso = isoNow();
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(iso)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(iso)).toBeLessThanOrEqual(Date.now());
    expect(new Date(Date.parse(iso)).toISOString()).toBe(iso);
  });
});
