import { hasControlChars, hasLoneSurrogate } from '@audit-trail/schema';
import { WebAuthnHooksError } from '../errors.js';

/** Longest user name accepted (WebAuthn §5.4.3 suggests authenticators may truncate at 64 bytes). */
export const MAX_USERNAME_LENGTH = 64;

/**
 * Unicode format characters (general category Cf): invisible, and some
 * reorder what surrounds them (U+202E RIGHT-TO-LEFT OVERRIDE). In a user
 * name they make look-alikes: `ali\u200Bce` shows as `alice` in every
 * authenticator's account picker and in the app, and `bob\u202Enimda` as
 * `bobadmin`. Refused, as RFC 8265's IdentifierClass refuses them (no Cf
 * in user names, §3.1, via RFC 8264 §9.12 "Other"); letters of every
 * script stay allowed. A display name may keep the joiners U+200C and U+200D
 * (RFC 8264's CONTEXTJ: emoji sequences, Indic scripts).
 */
const FORMAT_CHAR_BUT_JOINERS = /(?![\u200c\u200d])\p{Cf}/u;
/**
 * What a user name may not hold beyond that: the other invisible characters
 * (Unicode Default_Ignorable_Code_Point: Hangul fillers U+3164 and U+FFA0,
 * variation selectors, U+034F), white space other than the ASCII space
 * (U+3000, U+00A0), and U+2800 BRAILLE PATTERN BLANK, which shows as one.
 * `alice\u3164` registered beside `alice` (found by a review). Case and
 * width are not folded here (`Alice`, full-width letters): that would change
 * the names existing stores hold; a UserStore that looks names up
 * case-insensitively gets it (README).
 */
const INVISIBLE_IN_USERNAME = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]|(?! )\s/u;

/**
 * Checks a user name from a request body. It is not logged (user ids are),
 * but it is stored and shown by authenticators, so it must be plain text.
 */
export function checkUsername(value: unknown, field = 'username'): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_BAD_REQUEST', `${field} is required`);
  }
  const name = value.trim().normalize('NFC');
  const format = field === 'displayName' ? FORMAT_CHAR_BUT_JOINERS : INVISIBLE_IN_USERNAME;
  if (name.length > MAX_USERNAME_LENGTH || hasControlChars(name) || hasLoneSurrogate(name) || format.test(name)) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_BAD_REQUEST', `${field} must be 1 to ${MAX_USERNAME_LENGTH} printable characters`);
  }
  return name;
}
