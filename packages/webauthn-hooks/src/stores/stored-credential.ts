import { MAX_SIGN_COUNT } from '@audit-trail/schema';
import { checkInteger, configError, describeValue } from '../config-checks.js';
import type { StoredCredential } from './credential-store.js';

/**
 * The signature counter of a credential as the store gave it, checked: an
 * integer from 0 to {@link MAX_SIGN_COUNT}, else `WEBAUTHN_HOOKS_CONFIG` (the
 * sign-in then fails closed as `internal`, audited). node-postgres reads a
 * BIGINT column (what a uint32 needs) as a string, and the counter policy
 * went wrong without a word: `"0" === 0` is false, so an authenticator
 * without a counter (WebAuthn §6.1.1) read as a clone, while `3 > "2"`
 * coerces, so a sign-in went on to a success event whose
 * `stored_sign_count` the schema refuses, recorded by a default logger as
 * an AUDIT_SCHEMA_VIOLATION in its place (found by a probe). As the `now`
 * option is checked at every reading (clock.ts), so is this.
 */
export function storedCounter(value: unknown): number {
  return checkInteger(value, 0, MAX_SIGN_COUNT, 'the counter credentialStore.findById() gave', ' (a uint32 signCount; a BIGINT read as a string needs Number())');
}

/**
 * A credential record as the store gave it, checked where its types matter
 * before it is used: the counter (see {@link storedCounter}) and the public
 * key, bytes (a Buffer is one). A key given as base64 text, or as a BSON
 * Binary, made SimpleWebAuthn throw "No data" on every sign-in, audited as
 * WEBAUTHN_MALFORMED_RESPONSE: the client's bytes blamed for the store's
 * (found by a probe). Either is `WEBAUTHN_HOOKS_CONFIG` now, the sign-in
 * failing closed as `internal`, the stage kept for stores and the logger.
 */
export function checkStoredCredential(credential: StoredCredential): StoredCredential {
  storedCounter(credential.counter);
  const key: unknown = credential.publicKey;
  if (!(key instanceof Uint8Array)) throw configError(`the publicKey credentialStore.findById() gave must be a Uint8Array (a Buffer), got ${describeValue(key)}`);
  return credential;
}
