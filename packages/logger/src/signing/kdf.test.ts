import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { evolveKey, sharedRootKey } from './kdf.js';

const CHAIN = '019a0000-0000-7000-8000-000000000001';

describe('key derivation (docs/integrity.md "Keys")', () => {
  it('k0 = HKDF-SHA256(secret, salt = chain_id, info = "audit-trail/chain")', () => {
    const secret = Buffer.alloc(32, 9);
    const expected = Buffer.from(hkdfSync('sha256', secret, Buffer.from(CHAIN), 'audit-trail/chain', 32));
    expect(sharedRootKey(secret, CHAIN).equals(expected)).toBe(true);
  });

  it('k(e+1) = HKDF-SHA256(k(e), salt = chain_id, info = "audit-trail/evolve" || e+1), byte for byte as crypto.hkdfSync', () => {
    let key: Buffer = Buffer.alloc(32, 3);
    for (let e = 1; e <= 20; e++) {
      const next = evolveKey(key, CHAIN, e);
      expect(next.equals(Buffer.from(hkdfSync('sha256', key, Buffer.from(CHAIN), `audit-trail/evolve${e}`, 32)))).toBe(true);
      expect(next.equals(key)).toBe(false);
      key = next;
    }
  });

  it('the root key of a secret longer than the hash block (HMAC hashes such keys first) still matches hkdfSync', () => {
    const secret = Buffer.alloc(100, 0xa5);
    const expected = Buffer.from(hkdfSync('sha256', secret, Buffer.from(CHAIN), 'audit-trail/chain', 32));
    expect(sharedRootKey(secret, CHAIN).equals(expected)).toBe(true);
  });
});
