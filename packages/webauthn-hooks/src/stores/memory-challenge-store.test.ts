import { describe, expect, it } from 'vitest';
import type { ChallengeRecord } from './challenge-store.js';
import { MemoryChallengeStore } from './memory-challenge-store.js';

const record = (challenge: string, issuedAt = 1000, ttl = 100): ChallengeRecord => ({
  challenge,
  ceremony: 'authentication',
  issuedAt,
  expiresAt: issuedAt + ttl,
});

describe('MemoryChallengeStore', () => {
  it('a challenge can be taken once; later takes report a replay', () => {
    const store = new MemoryChallengeStore();
    store.save(record('c1'));
    expect(store.take('c1', 1050)).toMatchObject({ status: 'ok', record: { challenge: 'c1' } });
    expect(store.take('c1', 1051)).toMatchObject({ status: 'replayed' });
    expect(store.take('c1', 1052)).toMatchObject({ status: 'replayed' });
  });

  it('after the TTL a challenge is expired (and then used)', () => {
    const store = new MemoryChallengeStore();
    store.save(record('c1'));
    expect(store.take('c1', 1101)).toMatchObject({ status: 'expired' });
    expect(store.take('c1', 1102)).toMatchObject({ status: 'replayed' });
  });

  it('an unknown challenge is unknown', () => {
    expect(new MemoryChallengeStore().take('nope', 0)).toEqual({ status: 'unknown' });
  });

  it('memory is bounded: old entries past retention are swept, then the oldest are evicted', () => {
    const store = new MemoryChallengeStore({ maxEntries: 3, retainMs: 50 });
    store.save(record('a', 1000));
    store.save(record('b', 1000));
    store.save(record('c', 1000));
    // At t=2000 a, b, c expired (1100) more than 50 ms ago: swept.
    store.save(record('d', 2000));
    expect(store.size).toBe(1);
    store.save(record('e', 2000));
    store.save(record('f', 2000));
    store.save(record('g', 2000));
    expect(store.size).toBe(3);
    // d was evicted unused: reported as such, never as unknown.
    expect(store.take('d', 2001)).toMatchObject({ status: 'evicted', record: { challenge: 'd' } });
    expect(store.take('a', 2001)).toEqual({ status: 'unknown' });
    expect(store.take('g', 2001).status).toBe('ok');
  });

  it('one client flooding the store pushes out only its own challenges, not a pending sign-in of another (found by a probe)', () => {
    const store = new MemoryChallengeStore({ maxEntries: 100, maxPerClient: 4 });
    store.save({ ...record('victim', 1000, 60_000), client: '198.51.100.7' });
    for (let i = 0; i < 10_000; i++) store.save({ ...record(`flood-${i}`, 1000 + i, 60_000), client: '203.0.113.66' });
    expect(store.take('victim', 20_000)).toMatchObject({ status: 'ok', record: { challenge: 'victim' } });
    // The flooder keeps its newest four.
    expect(store.size).toBe(5);
    expect(store.take('flood-9999', 20_000).status).toBe('ok');
    expect(store.take('flood-9995', 20_000).status).toBe('evicted');
    // Challenges without a client are bounded by maxEntries alone, as before.
    const plain = new MemoryChallengeStore({ maxEntries: 3, maxPerClient: 1 });
    for (const c of ['a', 'b', 'c']) plain.save(record(c));
    expect(plain.size).toBe(3);
  });

  it('a challenge evicted, or taken and swept, no longer counts against its client', () => {
    const store = new MemoryChallengeStore({ maxEntries: 2, maxPerClient: 2, retainMs: 0 });
    store.save({ ...record('x1', 1000), client: 'c' });
    store.save({ ...record('y1', 1000), client: 'd' });
    // The store is full: x1 (oldest) is evicted for y2; c then holds nothing, so x2 and x3 both fit its quota of 2.
    store.save({ ...record('y2', 1000), client: 'd' });
    expect(store.take('x1', 1001).status).toBe('evicted');
    store.save({ ...record('x2', 5000), client: 'c' });
    store.save({ ...record('x3', 5000), client: 'c' });
    expect([store.take('x2', 5001).status, store.take('x3', 5001).status]).toEqual(['ok', 'ok']);
    expect(() => new MemoryChallengeStore({ maxPerClient: 0 })).toThrow(/maxPerClient must be an integer from 1/);
  });

  it('making room for a client evicts its used challenges before its pending ones (found by a probe)', () => {
    const store = new MemoryChallengeStore({ maxPerClient: 3 });
    const save = (c: string) => store.save({ ...record(c, 1000, 60_000), client: '192.0.2.1' });
    save('pending');
    save('used-1');
    save('used-2');
    expect(store.take('used-1', 1001).status).toBe('ok');
    expect(store.take('used-2', 1001).status).toBe('ok');
    save('new-1'); // evicts used-1, the oldest used one
    save('new-2'); // evicts used-2
    expect(store.take('pending', 1002)).toMatchObject({ status: 'ok', record: { challenge: 'pending' } });
    expect(store.take('used-1', 1002)).toEqual({ status: 'unknown' });
  });

  it('a pending challenge evicted by the per-client quota is reported as evicted with its record, never unknown (found by a probe)', () => {
    const store = new MemoryChallengeStore({ maxPerClient: 2 });
    store.save({ ...record('victim', 1000, 60_000), client: '192.0.2.1', userId: 'u-victim' });
    for (const c of ['flood-1', 'flood-2']) store.save({ ...record(c, 1001, 60_000), client: '192.0.2.1' });
    expect(store.take('victim', 1002)).toEqual({
      status: 'evicted',
      record: { challenge: 'victim', ceremony: 'authentication', userId: 'u-victim', issuedAt: 1000, expiresAt: 61_000 },
    });
    // Tombstones are bounded by maxEntries and swept with the entries once retention is over.
    const small = new MemoryChallengeStore({ maxEntries: 2, maxPerClient: 1, retainMs: 0 });
    for (const c of ['a', 'b', 'c', 'd']) small.save({ ...record(c, 1000), client: 'k' });
    expect(['a', 'b', 'c'].map((c) => small.take(c, 1001).status)).toEqual(['unknown', 'evicted', 'evicted']);
    small.save(record('e', 5000));
    small.save(record('f', 5000));
    expect(small.take('c', 5001).status).toBe('unknown');
  });

  it('the stored record is a copy', () => {
    const store = new MemoryChallengeStore();
    const r = record('c1');
    store.save(r);
    r.userId = 'changed';
    expect(store.take('c1', 1000)).toMatchObject({ status: 'ok', record: { challenge: 'c1' } });
    expect((store.take('c1', 1000) as { record: ChallengeRecord }).record.userId).toBeUndefined();
  });
});
