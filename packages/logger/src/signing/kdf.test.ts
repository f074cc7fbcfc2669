import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { epochKey, evolveKey, sharedRootKey } from './kdf.js';

const CHAIN = '019a0000-0000-7000-8000-000000000001';

describe('key derivation (INTEGRITY.md "Keys")', () => {
  it('k0 = HKDF-SHA256(secret, salt = chain_id, info = "audit-trail/chain")', () => {
    const secret = Buffer.alloc(32, 9);
    const expected = Buffer.from(hkdfSync('sha256', secret, Buffer.from(CHAIN), 'audit-trail/chain', 32));
    expect(sharedRootKey(secret, CHAIN).equals(expected)).toBe(true);
  });

  it('k(e+1) = HKDF-SHA256(k(e), salt = chain_id, info = "audit-trail/evolve" || e+1); epochKey walks from the nearest cached epoch', () => {
    const k0 = Buffer.alloc(32, 3);
    const k1 = evolveKey(k0, CHAIN, 1);
    expect(k1.equals(Buffer.from(hkdfSync('sha256', k0, Buffer.from(CHAIN), 'audit-trail/evolve1', 32)))).toBe(true);
    const k3 = evolveKey(evolveKey(k1, CHAIN, 2), CHAIN, 3);
    const cache = new Map([[0, k0]]);
    expect(epochKey(k0, CHAIN, 3, cache).equals(k3)).toBe(true);
    expect(epochKey(k0, CHAIN, 1, cache).equals(k1)).toBe(true);
    expect(k1.equals(k0)).toBe(false);
  });
});
