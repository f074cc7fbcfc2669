import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { BoundedFileError, fileErrorReason, MAX_SECRET_FILE_BYTES, mayBeSecret, readBoundedFile, withoutBom } from '@audit-trail/schema';
import { AuditConfigError } from '../errors.js';
import { x25519PrivateFromRaw, x25519PublicFromRaw } from './seal.js';

// In the schema package since the aggregator judges its key file names by it too; exported here as before.
export { mayBeSecret };

/** Shortest shared secret accepted (docs/integrity.md: ">= 32 bytes"). */
export const MIN_SECRET_BYTES = 32;

const KID = /^[A-Za-z0-9._:-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Options reach here from JavaScript and JSON too: a missing or mistyped
 * value is an AuditConfigError naming it, not a TypeError from deep inside.
 */
function requireType(value: unknown, what: string, ok: boolean, wanted: string): void {
  if (!ok) throw new AuditConfigError(`${what} ${value === undefined ? 'is missing' : `is a ${value === null ? 'null' : typeof value}`}: expected ${wanted}`);
}

/** Checks a key id: 1..64 of `A-Z a-z 0-9 . _ : -` (it is logged in every record). */
export function checkKid(kid: string): string {
  requireType(kid, 'key id (kid)', typeof kid === 'string', 'a string');
  if (!KID.test(kid)) {
    const shown = mayBeSecret(kid) ? `of ${kid.length} characters (not shown: it looks like a base64 key, not a key id)` : JSON.stringify(kid.slice(0, 80));
    throw new AuditConfigError(`key id ${shown} must be 1-64 characters of A-Z a-z 0-9 . _ : -`);
  }
  return kid;
}

/**
 * Reads a key file (a secret, a private key, a keyring), naming the file
 * (never its content, nor a key given in its place) in errors. Only a regular
 * file of at most MAX_SECRET_FILE_BYTES (1 MiB) is read (readBoundedFile):
 * `/dev/zero` or a huge file given by mistake is an AuditConfigError, not a
 * process grown to gigabytes. `given` is the name as it was written, when
 * `path` was resolved from it (a keyring's entry): that is what is judged
 * for being a key, since the directory joined in front may hold characters
 * no key has (`~/.config`), and a key put in a keyring's `secret_file` was
 * printed whole (found by a probe).
 */
export function readKeyFile(path: string, given = path): string {
  const shown = mayBeSecret(given) || mayBeSecret(path) ? `(a ${given.length}-character name that looks like a base64 key, not shown: pass a file holding the key)` : path;
  try {
    return withoutBom(readBoundedFile(path, MAX_SECRET_FILE_BYTES, `key file ${shown}`).toString('utf8'));
  } catch (err) {
    if (err instanceof BoundedFileError) throw new AuditConfigError(err.message, { cause: err });
    throw new AuditConfigError(`cannot read key file ${shown}: ${fileErrorReason(err)}`);
  }
}

/**
 * A key from the environment: `NAME_FILE` (a file holding it, e.g. a Docker
 * or Kubernetes secret mount) or `NAME` (the key itself). Both at once is an
 * AuditConfigError, as the Docker images' `_FILE` convention has it (the
 * postgres image: "both ... are set (but are exclusive)"): which one a
 * process took was a silent guess, and a stale `NAME` left in a unit file
 * beside a rotated `NAME_FILE` (or the reverse) signed or verified with the
 * key nobody meant (found by a probe). An empty value counts as unset.
 */
export function keyFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  const value = env[name];
  if (file && value) throw new AuditConfigError(`${name}_FILE and ${name} are both set: give the key one way (prefer ${name}_FILE)`);
  return file ? readKeyFile(file) : value || undefined;
}

function decodeBase64(text: string, what: string): Buffer {
  const t = text.trim();
  if (!BASE64.test(t)) {
    // `openssl rand -base64 N` wraps at 64 columns for N > 48: base64, but on
    // several lines, which "must be base64" sent users looking for a bad
    // character (found by a probe). Not joined: two lines may be two keys.
    const lines = t.split(/\r?\n/);
    if (lines.length > 1 && lines.every((l) => BASE64.test(l.trim()))) {
      throw new AuditConfigError(`${what} is on ${lines.length} lines: a key is one line of base64 (openssl rand -base64 wraps keys over 48 bytes at 64 characters; use 32 bytes, or openssl rand 64 | base64 -w0)`);
    }
    throw new AuditConfigError(`${what} must be base64 or base64url text`);
  }
  return Buffer.from(t, 'base64');
}

/**
 * A key id as error messages show it: quoted, or only its length when it may
 * be a key itself (a 32-byte base64url key is a valid key id, and one put
 * there by mistake must not reach the CI log through the error).
 */
function kidShown(kid: string): string {
  return mayBeSecret(kid) ? `with a ${kid.length}-character id` : `"${kid}"`;
}

/**
 * Parses a shared secret: base64 or base64url text (e.g. `openssl rand
 * -base64 32`) decoding to at least 32 bytes. Buffers are taken as raw bytes.
 */
export function parseSecret(value: string | Buffer, kid: string): Buffer {
  const what = `secret of key ${kidShown(kid)}`;
  requireType(value, what, typeof value === 'string' || Buffer.isBuffer(value), 'base64 text or a Buffer');
  const bytes = typeof value === 'string' ? decodeBase64(value, what) : Buffer.from(value);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new AuditConfigError(`${what} has ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} are required`);
  }
  return bytes;
}

/**
 * Refuses a signer's key id that is its shared secret (the same text, or
 * text that decodes to the same bytes): the key id is written in every
 * record. Not checked by verifiers: logs signed that way must still verify.
 */
export function refuseKidAsSecret(kid: string, secretText: string | Buffer, secret: Buffer): void {
  if ((typeof secretText === 'string' && secretText.trim() === kid) || (BASE64.test(kid) && Buffer.from(kid, 'base64').equals(secret))) {
    throw new AuditConfigError('the key id is the shared secret itself, and the key id is written in every record: give the key a name (AUDIT_TRAIL_KID, e.g. the date it was made) and keep the secret apart');
  }
}

/**
 * Refuses a signer's shared secret text that mixes the base64 (`+` `/`) and
 * base64url (`-` `_`) alphabets: no encoder writes both, so it is neither
 * format accepted, and it is what a file's path looks like
 * (`/run/secrets/audit_k1`). Such a path given as the secret
 * (AUDIT_TRAIL_SECRET for AUDIT_TRAIL_SECRET_FILE, or `signing.secret` set
 * to the path) decoded to over 32 bytes and signed every chain with a key
 * anyone reading the deployment knows (found by a probe). A path of one
 * alphabet (`/run/secrets/auditTrailSecret1`) is refused when it names an
 * existing file: a random secret starting with `/` is no path on this
 * machine (found by a review). Not checked by verifiers: logs signed that
 * way must still verify.
 */
export function refusePathAsSecret(kid: string, secretText: string | Buffer): void {
  if (typeof secretText !== 'string') return;
  const mixed = /[+/]/.test(secretText) && /[-_]/.test(secretText);
  const text = secretText.trim();
  if (!mixed && !(text.startsWith('/') && existsSync(text))) return;
  const why = mixed ? 'mixes the base64 (+ /) and base64url (- _) alphabets, so it is neither, and looks like a file\'s path' : 'is the path of an existing file';
  throw new AuditConfigError(
    `secret of key ${kidShown(kid)} ${why}: ` +
      'give the file\'s path in AUDIT_TRAIL_SECRET_FILE, or the key itself in AUDIT_TRAIL_SECRET (or signing.secret), not both',
  );
}

function asX25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'x25519') throw new AuditConfigError(`${what} is a ${key.asymmetricKeyType} key, not X25519`);
  return key;
}

/**
 * Parses the verifier's X25519 public key: PEM (`openssl pkey -pubout`) or
 * raw 32 bytes in base64/base64url. A private key is refused, though its
 * public key could be derived from it: sealed mode exists so that producers
 * never hold what opens the chains, and a private key given here would sit
 * on every producer (raw 32 bytes cannot be told apart, PEM and KeyObjects can).
 */
export function parsePublicKey(value: string | KeyObject, what = 'sealing public key'): KeyObject {
  requireType(value, what, typeof value === 'string' || value instanceof KeyObject, 'PEM or base64 text, or a KeyObject');
  const privateGiven = typeof value === 'string' ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) : value.type === 'private';
  if (privateGiven) {
    throw new AuditConfigError(`${what} is a private key: give producers the verifier's public key only (openssl pkey -in verifier.pem -pubout); the private key stays with the verifier`);
  }
  if (typeof value !== 'string') return asX25519(value, what);
  try {
    if (value.includes('-----BEGIN')) return asX25519(createPublicKey(value), what);
    const raw = decodeBase64(value, what);
    if (raw.length !== 32) throw new AuditConfigError(`${what} must be 32 bytes, got ${raw.length}`);
    return x25519PublicFromRaw(raw);
  } catch (err) {
    if (err instanceof AuditConfigError) throw err;
    throw new AuditConfigError(`${what} is not a valid X25519 key: ${(err as Error).message}`);
  }
}

/** Parses the verifier's X25519 private key: PEM (`openssl genpkey -algorithm x25519`) or raw 32 bytes in base64/base64url. */
export function parsePrivateKey(value: string | KeyObject, what = 'sealing private key'): KeyObject {
  requireType(value, what, typeof value === 'string' || value instanceof KeyObject, 'PEM or base64 text, or a KeyObject');
  if (typeof value !== 'string') return asX25519(value, what);
  try {
    if (value.includes('-----BEGIN')) return asX25519(createPrivateKey(value), what);
    const raw = decodeBase64(value, what);
    if (raw.length !== 32) throw new AuditConfigError(`${what} must be 32 bytes, got ${raw.length}`);
    return x25519PrivateFromRaw(raw);
  } catch (err) {
    if (err instanceof AuditConfigError) throw err;
    throw new AuditConfigError(`${what} is not a valid X25519 key (${(err as Error).message})`);
  }
}
