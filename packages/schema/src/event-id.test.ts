import { describe, expect, it } from 'vitest';
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
});
