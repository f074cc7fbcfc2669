import { z } from 'zod';

/** What the counter did on this assertion (WebAuthn §6.1.1 signature counter). */
export const counterStatusSchema = z.enum(['increased', 'zero_unsupported', 'not_increased']);

/** One of {@link counterStatusSchema}'s values. */
export type CounterStatus = z.infer<typeof counterStatusSchema>;

/**
 * What the signature counter did, from the stored value and the one the
 * authenticator signed (WebAuthn L3 §6.1.1; §7.2 step 22, step 21 in Level
 * 2): an authenticator without a counter keeps it at zero
 * (`zero_unsupported`); otherwise "if authData.signCount is nonzero or
 * storedSignCount is nonzero", a value not greater than the stored one "is
 * a signal that the authenticator may be cloned" (`not_increased`, a
 * WEBAUTHN_COUNTER_REGRESSION). The one test of the schema (which refuses a
 * regression event whose counters say otherwise) and of the producers
 * (webauthn-hooks), so they cannot drift apart.
 */
export function counterStatusOf(stored: number, received: number): CounterStatus {
  if (stored === 0 && received === 0) return 'zero_unsupported';
  return received > stored ? 'increased' : 'not_increased';
}
