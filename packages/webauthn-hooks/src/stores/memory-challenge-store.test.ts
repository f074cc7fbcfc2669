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
    expect(store.take('d', 2001)).toEqual({ status: 'unknown' });
    expect(store.take('g', 2001).status).toBe('ok');
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
