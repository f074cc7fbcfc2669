import { hasControlChars, hasLoneSurrogate } from '@audit-trail/schema';
import { WebAuthnHooksError } from '../errors.js';

/** Longest user name accepted (WebAuthn §5.4.3 suggests authenticators may truncate at 64 bytes). */
export const MAX_USERNAME_LENGTH = 64;

/**
 * Checks a user name from a request body. It is not logged (user ids are),
 * but it is stored and shown by authenticators, so it must be plain text.
 */
export function checkUsername(value: unknown, field = 'username'): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_BAD_REQUEST', `${field} is required`);
  }
  const name = value.trim().normalize('NFC');
  if (name.length > MAX_USERNAME_LENGTH || hasControlChars(name) || hasLoneSurrogate(name)) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_BAD_REQUEST', `${field} must be 1 to ${MAX_USERNAME_LENGTH} printable characters`);
  }
  return name;
}
