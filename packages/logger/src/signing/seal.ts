import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/** The root key wrapped to the verifier (`chain.wrapped_key` of AUDIT_CHAIN_OPEN), all binary fields base64url. */
export interface WrappedKey {
  alg: typeof WRAP_ALG;
  /** Ephemeral X25519 public key (32 bytes). */
  epk: string;
  /** AES-GCM IV (12 bytes). */
  iv: string;
  /** Encrypted k0 (32 bytes). */
  ct: string;
  /** GCM tag (16 bytes). */
  tag: string;
}

/** Algorithm label stored in `chain.wrapped_key.alg`. */
export const WRAP_ALG = 'X25519-HKDF-SHA256-A256GCM' as const;
/** HKDF `info` prefix of the wrapping key; the ephemeral and recipient public keys (32 bytes each) follow. */
export const INFO_WRAP = 'audit-trail/wrap';

// DER prefixes of an X25519 SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo
// (RFC 8410 §4 and §7, OID 1.3.101.110); the raw 32-byte key follows.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The raw 32-byte X25519 public key of a key object. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

/** Imports a raw 32-byte X25519 public key. */
export function x25519PublicFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Imports a raw 32-byte X25519 private key. */
export function x25519PrivateFromRaw(raw: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/**
 * A new verifier key pair for sealed mode, both halves as raw base64url.
 * Give `publicKey` to producers; keep `privateKey` with the verifier only.
 */
export function generateSealingKeyPair(): { publicKey: string; privateKey: string } {
  const { privateKey } = generateKeyPairSync('x25519');
  const raw = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { publicKey: rawPublicKey(privateKey).toString('base64url'), privateKey: Buffer.from(raw).toString('base64url') };
}

function wrappingKey(shared: Buffer, chainId: string, epk: Buffer, recipient: Buffer): Buffer {
  const info = Buffer.concat([Buffer.from(INFO_WRAP, 'utf8'), epk, recipient]);
  return Buffer.from(hkdfSync('sha256', shared, Buffer.from(chainId, 'utf8'), info, 32));
}

/**
 * Wraps a chain's root key `k0` to the verifier's X25519 public key
 * (docs/integrity.md, sealed mode): ephemeral X25519 ECDH (RFC 7748) ->
 * HKDF-SHA256 (RFC 5869) -> AES-256-GCM with the chain id as associated data.
 * The ephemeral private key is dropped on return; only the verifier can unwrap.
 */
export function wrapRootKey(k0: Buffer, recipient: KeyObject, chainId: string): WrappedKey {
  const eph = generateKeyPairSync('x25519');
  const epk = rawPublicKey(eph.publicKey);
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const key = wrappingKey(shared, chainId, epk, rawPublicKey(recipient));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(chainId, 'utf8'));
  const ct = Buffer.concat([cipher.update(k0), cipher.final()]);
  const tag = cipher.getAuthTag();
  shared.fill(0);
  key.fill(0);
  return {
    alg: WRAP_ALG,
    epk: epk.toString('base64url'),
    iv: iv.toString('base64url'),
    ct: ct.toString('base64url'),
    tag: tag.toString('base64url'),
  };
}

/** Recovers `k0` with the verifier's private key; throws when the key is wrong or the wrapping was altered. */
export function unwrapRootKey(wrapped: WrappedKey, privateKey: KeyObject, chainId: string): Buffer {
  const epk = Buffer.from(wrapped.epk, 'base64url');
  const shared = diffieHellman({ privateKey, publicKey: x25519PublicFromRaw(epk) });
  const key = wrappingKey(shared, chainId, epk, rawPublicKey(privateKey));
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(wrapped.iv, 'base64url'));
  decipher.setAAD(Buffer.from(chainId, 'utf8'));
  decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64url'));
  const k0 = Buffer.concat([decipher.update(Buffer.from(wrapped.ct, 'base64url')), decipher.final()]);
  shared.fill(0);
  key.fill(0);
  return k0;
}
