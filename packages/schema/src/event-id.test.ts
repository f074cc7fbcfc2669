import { describe, expect, it, vi } from 'vitest';
import { eventIdTime, newEventId } from './event-id.js';
import { uuidV7 } from './fields/formats.js';

describe('newEventId (UUIDv7, RFC 9562 §5.7)', () => {
  it('is a lowercase UUIDv7 the schema accepts, unique and strictly increasing', () => {
    const ids: string[] = [];
    // Enough ids to share milliseconds (counter path) and to refill the random pool many times.
    for (let i = 0; i < 50_000; i++) ids.push(newEventId());
    for (const id of ids.slice(0, 2000)) expect(uuidV7.safeParse(id).success, id).toBe(true);
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} < ${ids[i]}`).toBe(true);
  });

  it('carries the current Unix milliseconds in its first 48 bits', () => {
    const before = Date.now();
    const id = newEventId();
    const after = Date.now();
    // The counter may have carried into the next millisecond (as uuid's v7 does), never further than one.
    expect(eventIdTime(id)).toBeGreaterThanOrEqual(before);
    expect(eventIdTime(id)).toBeLessThanOrEqual(after + 1);
  });

  it('seeds the counter of each new millisecond with 31 uniform random bits (top bit clear, RFC 9562 §6.2 method 1)', () => {
    // A new millisecond on every call: every id carries a fresh seed.
    let ms = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => ++ms);
    const n = 20_000;
    const ones = new Array<number>(32).fill(0);
    try {
      for (let i = 0; i < n; i++) {
        const hex = newEventId().replaceAll('-', '');
        const b = (k: number) => parseInt(hex.slice(2 * k, 2 * k + 2), 16);
        // The counter's 32 bits: version byte's low nibble, byte 7, variant byte's low 6 bits, byte 9, byte 10's top 6 bits.
        const counter = ((b(6) & 0x0f) * 2 ** 28) + (b(7) << 20) + ((b(8) & 0x3f) << 14) + (b(9) << 6) + (b(10) >> 2);
        for (let bit = 0; bit < 32; bit++) if (Math.floor(counter / 2 ** bit) % 2 === 1) ones[bit]!++;
      }
    } finally {
      clock.mockRestore();
    }
    expect(ones[31]).toBe(0); // headroom: 2^31 increments within one millisecond before the counter wraps
    // Each seed bit is 1 half of the time (sd 0.0035 at n = 20 000; a bit set by two
    // overlapping source bits would be 1 three times in four).
    const skewed = ones.slice(0, 31).map((c, bit) => [bit, c / n] as const).filter(([, p]) => Math.abs(p - 0.5) > 0.03);
    expect(skewed).toEqual([]);
  });
});
