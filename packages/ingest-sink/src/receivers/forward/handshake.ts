import { ConfigError } from '../config-error.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import { ReceiverError } from '../errors.js';
import type { MsgpackReader } from '../msgpack/decode.js';

/** Secure-forward settings (forward protocol v1, "Handshake Messages"). */
export interface ForwardSecurity {
  /** Our name in PONG; a client using the same name is refused, as in_forward does. */
  selfHostname: string;
  /** Every key currently accepted: several at once let senders rotate without downtime. */
  sharedKeys: string[];
  /** Optional user authentication: username -> password. Empty: HELO `auth` is "" (no user auth). */
  users?: Record<string, string> | undefined;
}

/**
 * Checks forward security settings when the server starts. A misspelt key
 * (`sharedKey`) used to pass, and every connection then failed its
 * handshake with a TypeError: closed, but for a reason nobody could read.
 */
export function checkSecurity(security: unknown): void {
  if (security === undefined) return;
  const fail = (why: string) => {
    throw new ConfigError('CONFIG_INVALID', `forward.security${why.startsWith('.') ? '' : ' '}${why}`);
  };
  if (typeof security !== 'object' || security === null || Array.isArray(security)) fail('must be an object');
  const s = security as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!['selfHostname', 'sharedKeys', 'users'].includes(key)) fail(`.${key.slice(0, 64)} is not a setting (expected selfHostname, sharedKeys, users)`);
  if (typeof s.selfHostname !== 'string' || s.selfHostname === '') fail('.selfHostname must be a non-empty string');
  if (!Array.isArray(s.sharedKeys) || s.sharedKeys.length === 0 || !s.sharedKeys.every((k) => typeof k === 'string' && k !== '')) fail('.sharedKeys must be a non-empty array of non-empty strings');
  if (s.users !== undefined) {
    if (typeof s.users !== 'object' || s.users === null || Array.isArray(s.users)) fail('.users must map user names to passwords');
    for (const v of Object.values(s.users as object)) if (typeof v !== 'string') fail('.users must map user names to passwords (strings)');
  }
}

/** Per-connection handshake values drawn by the server. */
export interface HandshakeState {
  nonce: Buffer;
  authSalt: Buffer;
}

/** Draws the nonce and, when users are configured, the user-auth salt (16 random bytes each, as in_forward). */
export function newHandshake(security: ForwardSecurity): HandshakeState {
  const hasUsers = security.users !== undefined && Object.keys(security.users).length > 0;
  return { nonce: randomBytes(16), authSalt: hasUsers ? randomBytes(16) : Buffer.alloc(0) };
}

/** `["HELO", {nonce, auth, keepalive}]`, nonce and auth as msgpack bin (as Fluentd sends them). */
export function encodeHelo(state: HandshakeState, keepalive: boolean): Uint8Array {
  return encode(['HELO', { nonce: state.nonce, auth: state.authSalt, keepalive }]);
}

/** sha512 hex over the raw byte concatenation of the parts (spec v1: digests are over bytes). */
function sha512Hex(...parts: (Buffer | string)[]): string {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function sameHex(a: string, b: Buffer): boolean {
  const ab = Buffer.from(a, 'latin1');
  return ab.length === b.length && timingSafeEqual(ab, b);
}

/** Outcome of checking a PING: the PONG bytes to send and whether the client may proceed. */
export interface PingOutcome {
  ok: boolean;
  reason: string;
  pong: Uint8Array;
}

/**
 * Checks `["PING", hostname, shared_key_salt, sha512_hex(salt + hostname +
 * nonce + shared_key), username, sha512_hex(auth_salt + username +
 * password)]` against every active key. The fields are read as raw bytes
 * whether sent as str or bin (Fluentd and Fluent Bit differ), and digests are
 * compared in constant time. The PONG digest uses the key that matched.
 */
export function checkPing(r: MsgpackReader, state: HandshakeState, security: ForwardSecurity): PingOutcome {
  const b = r.buf[r.pos];
  if (b !== 0x96) {
    r.read();
    throw new ReceiverError('HANDSHAKE_INVALID', 'expected a 6-element PING array');
  }
  r.pos++;
  const fields: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const [s, e] = r.readBytesRange();
    fields.push(r.buf.subarray(s, e));
  }
  const [kind, hostname, salt, digest, username, passwordDigest] = fields as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  if (kind.toString('latin1') !== 'PING') throw new ReceiverError('HANDSHAKE_INVALID', 'expected PING');
  const fail = (reason: string): PingOutcome => ({ ok: false, reason, pong: encode(['PONG', false, reason, '', '']) });
  if (hostname.toString('utf8') === security.selfHostname) {
    return fail('same hostname between input and output: invalid configuration');
  }
  const key = security.sharedKeys.find((k) => sameHex(sha512Hex(salt, hostname, state.nonce, k), digest));
  if (key === undefined) return fail('shared_key mismatch');
  if (state.authSalt.length > 0) {
    const user = username.toString('utf8');
    const password = Object.hasOwn(security.users ?? {}, user) ? security.users![user]! : undefined;
    if (password === undefined || !sameHex(sha512Hex(state.authSalt, username, password), passwordDigest)) {
      return fail('username/password mismatch');
    }
  }
  const pongDigest = sha512Hex(salt, security.selfHostname, state.nonce, key);
  return { ok: true, reason: '', pong: encode(['PONG', true, '', security.selfHostname, pongDigest]) };
}
