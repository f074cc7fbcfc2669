/**
 * WebAuthn L3 §5.8.6 `UserVerificationRequirement`. Only these three
 * values: a client MUST ignore an unknown value and treat the member as
 * absent (default `preferred`), so a typo such as `'require'` would
 * silently downgrade the browser's side as well as ours.
 */
export const USER_VERIFICATION_REQUIREMENTS = ['required', 'preferred', 'discouraged'] as const;

/** One of {@link USER_VERIFICATION_REQUIREMENTS}. */
export type UserVerificationRequirement = (typeof USER_VERIFICATION_REQUIREMENTS)[number];

/**
 * Whether a response must carry the UV flag: WebAuthn L3 §7.1 / §7.2, "If
 * the Relying Party requires user verification for this registration /
 * assertion, verify that the UV bit of the flags in authData is set".
 * Fails closed: only the two values that relax the check relax it, so a
 * value that slipped past option checking (or was changed afterwards)
 * still requires verification.
 */
export function requiresUserVerification(requirement: string): boolean {
  return requirement !== 'preferred' && requirement !== 'discouraged';
}
