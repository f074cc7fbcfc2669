import type { KeyObject } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { describeValue, isObject } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';
import { checkKid, keyFromEnv, parsePrivateKey, parseSecret, readKeyFile } from '../signing/keys.js';
import type { VerifyKey, VerifyKeys } from './types.js';

/** A verifier key after parsing. */
export type ParsedKey = { secret: Buffer } | { privateKey: KeyObject };

/** Parses every key of a {@link VerifyKeys} (throws AuditConfigError on a bad one, or when `keys` is no Map or object). */
export function parseKeys(keys: VerifyKeys): Map<string, ParsedKey> {
  if (!(keys instanceof Map) && !isObject(keys)) throw new AuditConfigError(`keys must be a Map or an object of kid -> { secret } | { privateKey }, got ${describeValue(keys)}`);
  const entries = keys instanceof Map ? [...keys.entries()] : Object.entries(keys as Record<string, VerifyKey>);
  const out = new Map<string, ParsedKey>();
  for (const [kid, key] of entries as [string, unknown][]) {
    checkKid(kid);
    out.set(kid, parseKey(kid, key));
  }
  return out;
}

/** Parses the key of `kid` (AuditConfigError on a bad one). */
function parseKey(kid: string, key: unknown): ParsedKey {
  if (!isObject(key)) throw new AuditConfigError(`key "${kid}" must be { secret } or { privateKey }, got ${describeValue(key)}`);
  if ('secret' in key) return { secret: parseSecret(key.secret as string | Buffer, kid) };
  if ('privateKey' in key) return { privateKey: parsePrivateKey(key.privateKey as string | KeyObject, `private key of "${kid}"`) };
  throw new AuditConfigError(`key "${kid}" needs a secret or a privateKey`);
}

/**
 * Whether two verifier keys of `kid` are the same key, compared as parsed:
 * the same bytes whatever their spelling (base64 or base64url, white space
 * around, a PEM or the raw key).
 */
function sameKey(kid: string, a: VerifyKey, b: VerifyKey): boolean {
  const pa = parseKey(kid, a);
  const pb = parseKey(kid, b);
  if ('secret' in pa) return 'secret' in pb && pa.secret.equals(pb.secret);
  return 'privateKey' in pb && pa.privateKey.equals(pb.privateKey);
}

/**
 * Adds `key` under `kid` to `keys`, refusing (AuditConfigError naming the kid
 * and `where`, never the key) a kid already there with another key. One kid
 * names one key: a keyring or command line listing a kid twice kept the
 * last silently, so the order of the entries decided whether that kid's
 * chains verified or were all MAC_INVALID, "wrong key" (found by a probe).
 * The same key given twice (a keyring and the environment) is accepted.
 */
export function addVerifyKey(keys: Map<string, VerifyKey>, kid: string, key: VerifyKey, where: string): void {
  const known = keys.get(kid);
  if (known !== undefined && !sameKey(kid, known, key)) {
    throw new AuditConfigError(`key "${kid}" is given twice with different keys (${where}): one kid names one key; give the other key its own kid`);
  }
  keys.set(kid, key);
}

/**
 * Reads a keyring file (JSON):
 * `{"keys":[{"kid":"k1","secret_file":"k1.secret"},{"kid":"v1","private_key_file":"v1.pem"}]}`.
 * Each entry has one of `secret`, `secret_file`, `private_key`, `private_key_file`;
 * relative file names are resolved from the keyring's directory.
 */
export function loadKeyringFile(path: string): Map<string, VerifyKey> {
  let doc: unknown;
  try {
    // readKeyFile drops a byte order mark: kept, the keyring was "not valid JSON" (found by a review).
    doc = JSON.parse(readKeyFile(path));
  } catch (err) {
    if (err instanceof AuditConfigError) throw err;
    throw new AuditConfigError(`keyring ${path} is not valid JSON`);
  }
  const list = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(list)) throw new AuditConfigError(`keyring ${path} must be {"keys":[...]}`);
  const out = new Map<string, VerifyKey>();
  const file = (name: unknown) => readKeyFile(resolve(dirname(path), String(name)), String(name));
  for (const e of list as Record<string, unknown>[]) {
    const kid = checkKid(String(e?.kid ?? ''));
    const where = `keyring ${path}`;
    if (typeof e.secret === 'string') addVerifyKey(out, kid, { secret: e.secret }, where);
    else if (e.secret_file) addVerifyKey(out, kid, { secret: file(e.secret_file) }, where);
    else if (typeof e.private_key === 'string') addVerifyKey(out, kid, { privateKey: e.private_key }, where);
    else if (e.private_key_file) addVerifyKey(out, kid, { privateKey: file(e.private_key_file) }, where);
    else throw new AuditConfigError(`keyring ${path}: key "${kid}" needs secret, secret_file, private_key or private_key_file`);
  }
  return out;
}

/**
 * Verifier keys from the environment: `AUDIT_TRAIL_KEYRING_FILE` (a keyring
 * file), and/or one key named `AUDIT_TRAIL_KID` with `AUDIT_TRAIL_SECRET_FILE`
 * / `AUDIT_TRAIL_SECRET` (shared) or `AUDIT_TRAIL_SEAL_PRIVATE_KEY_FILE` /
 * `AUDIT_TRAIL_SEAL_PRIVATE_KEY` (sealed).
 */
export function keysFromEnv(env: NodeJS.ProcessEnv): Map<string, VerifyKey> {
  const out = env.AUDIT_TRAIL_KEYRING_FILE ? loadKeyringFile(env.AUDIT_TRAIL_KEYRING_FILE) : new Map<string, VerifyKey>();
  const kid = env.AUDIT_TRAIL_KID;
  const secret = keyFromEnv(env, 'AUDIT_TRAIL_SECRET');
  const priv = keyFromEnv(env, 'AUDIT_TRAIL_SEAL_PRIVATE_KEY');
  if ((secret || priv) && !kid) throw new AuditConfigError('AUDIT_TRAIL_KID must name the key given in the environment');
  // One kid is one key: with both, the private key was dropped without a word.
  if (secret && priv) throw new AuditConfigError('AUDIT_TRAIL_KID names one key: give a shared secret (AUDIT_TRAIL_SECRET[_FILE]) or a sealing private key (AUDIT_TRAIL_SEAL_PRIVATE_KEY[_FILE]), not both');
  const where = 'AUDIT_TRAIL_KEYRING_FILE and AUDIT_TRAIL_KID';
  if (kid && secret) addVerifyKey(out, kid, { secret }, where);
  else if (kid && priv) addVerifyKey(out, kid, { privateKey: priv }, where);
  return out;
}
