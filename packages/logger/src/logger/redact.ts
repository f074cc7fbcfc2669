import { setOwnMember } from '@audit-trail/schema';
import { describeValue } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';

/** What replaces a redacted value in the original kept by a violation record. */
export const CENSOR = '[REDACTED]';

/**
 * Keys whose values are never kept in a violation record's original when
 * their whole name is one of these (compared lower-case with `-` and `_`
 * removed): WebAuthn secrets and key material (W3C WebAuthn §5.2:
 * attestationObject, clientDataJSON, authenticatorData, signature, the
 * credential public key), HTTP credentials, and names too short or too
 * common to match inside longer ones: `signature` inside `signature_valid`
 * and `session` inside `session_id` are schema fields, and `otp`/`pin`
 * inside other words mean nothing.
 */
export const ALWAYS_REDACTED: readonly string[] = [
  'attestationobject',
  'clientdatajson',
  'authenticatordata',
  'signature',
  'publickey',
  'credentialpublickey',
  // HTTP credentials: also caught by REDACTED_NAME_PARTS, kept so this list stays a superset of what it held before.
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'secret',
  'xapikey',
  'session', // a session object or cookie value; `session_id` is a correlation field of the schema and stays
  'otp',
  'totp',
  'hotp',
  'pin',
  'pwd',
  'jwt',
  // WebAuthn ceremony state a relying party keeps server side (WebAuthn L3
  // §13.4.3: a challenge must not be guessable; one logged can be replayed
  // within its lifetime), and the account's user handle (§14.6.1: no PII,
  // but it names the account to the authenticator).
  'challenge',
  'expectedchallenge',
  'userhandle',
  // Session ids and other short names of secrets (found by a probe).
  'sid',
  'connect.sid',
  'auth',
  'key',
  'privkey',
  'private',
  'nonce',
  'mfacode',
  'otpcode',
];

/**
 * Parts of a name that mark its value as a secret wherever they occur in it
 * (compared as above), so the many spellings of one secret are all caught:
 * `token` covers token, access_token, refresh_token, id_token, csrf_token,
 * x-auth-token; `secret` covers client_secret, credential_secret,
 * aws_secret_access_key; `apikey` covers api_key, apiKey, x-api-key;
 * `authorization` covers proxy-authorization; `cookie` covers set-cookie.
 * A false match costs only the censored value of a key the schema does not
 * define (an event holding one fails validation anyway); none of these
 * occurs in a field name of the schema (tested against its JSON Schema), so
 * the fields a violation is about (`client_ip`, `credential_id`,
 * `session_id`...) stay readable.
 */
export const REDACTED_NAME_PARTS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'accesskey',
  'signingkey',
  'encryptionkey',
  'sessionkey',
  'cookie',
  'authorization',
  'credentials', // a credentials object (user and password); not `credential`, which would take `credential_id`
];
const always = new Set(ALWAYS_REDACTED);
/**
 * Values that are credentials whatever their key: an HTTP Authorization
 * value (RFC 9110 §11.6.2: the `Bearer` and `Basic` schemes with one
 * token68, RFC 6750 §2.1), and a JSON Web
 * Token (RFC 7519 §7.1: base64url of a JSON header, `eyJ`, then a dot).
 * Under a name no list above knows (`auth`, `hdr`), they reached a
 * violation's original as they were (found by a probe).
 */
const SECRET_VALUE = /^\s*(?:(?:bearer|basic)\s+[\w.~+/-]+=*\s*$|eyJ[\w-]+\.[\w-]+)/i;

const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

/** Whether a value under `key` is a secret never copied into a violation record. */
export function isSecretKey(key: string): boolean {
  const k = normalise(key);
  return always.has(k) || REDACTED_NAME_PARTS.some((part) => k.includes(part));
}

/** A parsed redaction path: dotted segments, `*` matching any one key. */
export type RedactPath = readonly string[];

/**
 * Parses user redaction paths (`"client_ip"`, `"webauthn.origin"`,
 * `"headers.*"`): an array of non-empty dotted strings, else
 * AuditConfigError naming the bad entry. Paths come from code, never from
 * input.
 */
export function parseRedactPaths(paths: unknown): RedactPath[] {
  if (paths === undefined) return [];
  if (!Array.isArray(paths)) throw new AuditConfigError(`redact must be an array of dotted paths, got ${describeValue(paths)}`);
  return paths.map((p: unknown, i) => {
    if (typeof p !== 'string') throw new AuditConfigError(`redact[${i}] must be a dotted path string, got ${describeValue(p)}`);
    const segs = p.split('.');
    if (!p || segs.some((s) => s.length === 0)) throw new AuditConfigError(`redact[${i}] ${JSON.stringify(p.slice(0, 100))} is not a dotted path`);
    return segs;
  });
}

/**
 * `obj` without the values at `paths` (copies only along the paths; the
 * caller's object is not mutated). Applied to every event before validation,
 * so a deployment can refuse to log e.g. `client_ip` at all.
 */
export function removePaths<T>(obj: T, paths: readonly RedactPath[]): T {
  let out: unknown = obj;
  for (const path of paths) out = removeOne(out, path, 0);
  return out as T;
}

function removeOne(node: unknown, path: RedactPath, i: number): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const seg = path[i]!;
  // Through an array, `*` is every element and a number one of them: a
  // path the logger accepted did nothing there before (found by a probe).
  // The last segment removes the elements, leaving the array shorter.
  if (Array.isArray(node)) {
    const at = seg === '*' ? node.map((_, j) => j) : /^\d+$/.test(seg) && Number(seg) < node.length ? [Number(seg)] : [];
    if (at.length === 0) return node;
    if (i === path.length - 1) {
      const gone = new Set(at);
      return node.filter((_, j) => !gone.has(j));
    }
    const copy = node.slice();
    for (const j of at) copy[j] = removeOne(node[j], path, i + 1);
    return copy;
  }
  const src = node as Record<string, unknown>;
  const keys = seg === '*' ? Object.keys(src) : Object.hasOwn(src, seg) ? [seg] : [];
  if (keys.length === 0) return node;
  const copy: Record<string, unknown> = { ...src };
  for (const k of keys) {
    if (i === path.length - 1) delete copy[k];
    else copy[k] = removeOne(src[k], path, i + 1);
  }
  return copy;
}

const MAX_DEPTH = 8;
const MAX_KEYS = 200;
const MAX_STRING = 2048;
/**
 * Most values copied for one original. The limits above bound the copy of a
 * tree, not of a graph: an object reached again along another path (not a
 * cycle) is copied again, so six nested arrays of 20 references to the
 * next took 34 s (20^6 copies), and MAX_KEYS^MAX_DEPTH could never end
 * (found by a probe). The schema keeps 16 384 characters of the original,
 * at least 2 per value, so values past this many are never kept anyway.
 */
const MAX_VALUES = 20_000;

/**
 * A JSON-safe copy of untrusted input for a violation record: secret keys
 * and user paths censored, cycles, functions, bigints, buffers and deep or
 * huge values made harmless. Never throws.
 */
export function redactedCopy(value: unknown, paths: readonly RedactPath[] = []): unknown {
  return copy(value, paths, [], new WeakSet(), 0, { left: MAX_VALUES });
}

function matchesPath(at: readonly string[], paths: readonly RedactPath[]): boolean {
  return paths.some((p) => p.length === at.length && p.every((s, i) => s === '*' || s === at[i]));
}

function copy(value: unknown, paths: readonly RedactPath[], at: string[], seen: WeakSet<object>, depth: number, budget: { left: number }): unknown {
  if (budget.left-- <= 0) return '[Too many values]';
  switch (typeof value) {
    case 'string':
      if (SECRET_VALUE.test(value)) return CENSOR;
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...[${value.length} chars]` : value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return undefined;
    case 'function':
    case 'symbol':
      return `[${typeof value}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[Binary ${(obj as ArrayBuffer).byteLength} bytes]`;
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  seen.add(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    out = obj.slice(0, MAX_KEYS).map((v, i) => {
      const here = [...at, String(i)];
      return matchesPath(here, paths) ? CENSOR : copy(v, paths, here, seen, depth + 1, budget);
    });
  } else {
    const res: Record<string, unknown> = {};
    let n = 0;
    for (const key of Object.keys(obj)) {
      if (n++ >= MAX_KEYS) {
        res['[more keys]'] = Object.keys(obj).length - MAX_KEYS;
        break;
      }
      const here = [...at, key];
      if (isSecretKey(key) || matchesPath(here, paths)) {
        setOwnMember(res, key, CENSOR);
        continue;
      }
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[key]; // a getter on hostile input may throw
      } catch {
        v = '[Unreadable]';
      }
      setOwnMember(res, key, copy(v, paths, here, seen, depth + 1, budget));
    }
    out = res;
  }
  seen.delete(obj);
  return out;
}
