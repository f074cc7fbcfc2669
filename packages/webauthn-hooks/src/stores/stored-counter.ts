import { checkInteger } from '../config-checks.js';

/** Largest signature counter: `signCount` is a 32-bit unsigned integer (WebAuthn L3 §6.1, authenticator data). */
export const MAX_SIGN_COUNT = 0xffff_ffff;

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
