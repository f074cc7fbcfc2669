import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePrivateKey, parsePublicKey } from './keys.js';
import { generateSealingKeyPair, unwrapRootKey, wrapRootKey } from './seal.js';

const CHAIN = '019a0000-0000-7000-8000-000000000001';

describe('X25519 key wrapping (sealed mode)', () => {
  it('only the verifier private key unwraps k0, and only for the same chain id', () => {
    const v = generateSealingKeyPair();
    const other = generateSealingKeyPair();
    const k0 = randomBytes(32);
    const w = wrapRootKey(k0, parsePublicKey(v.publicKey), CHAIN);
    expect(unwrapRootKey(w, parsePrivateKey(v.privateKey), CHAIN).equals(k0)).toBe(true);
    expect(() => unwrapRootKey(w, parsePrivateKey(other.privateKey), CHAIN)).toThrow();
    expect(() => unwrapRootKey(w, parsePrivateKey(v.privateKey), CHAIN.replace(/1$/, '2'))).toThrow();
    expect(JSON.stringify(w)).not.toContain(k0.toString('base64url'));
  });

  it('accepts PEM keys as written by openssl and rejects other key types', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const privPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const pubPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const k0 = randomBytes(32);
    expect(unwrapRootKey(wrapRootKey(k0, parsePublicKey(pubPem), CHAIN), parsePrivateKey(privPem), CHAIN).equals(k0)).toBe(true);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => parsePublicKey(ed)).toThrowError(/not X25519/);
    expect(() => parsePublicKey('c2hvcnQ')).toThrowError(/32 bytes/);
  });

  it('refuses the verifier\'s private key where the public key belongs, as PEM or as a KeyObject: it must never sit on producers', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('x25519');
    for (const given of [privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), privateKey]) {
      expect(() => parsePublicKey(given)).toThrowError(expect.objectContaining({ name: 'AuditConfigError', message: expect.stringMatching(/is a private key: give producers the verifier's public key only/) }));
    }
  });
});
