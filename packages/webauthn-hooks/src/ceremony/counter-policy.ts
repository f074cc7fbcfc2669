/** What the signature counter did (`webauthn.counter_status`). */
export type CounterStatus = 'increased' | 'zero_unsupported' | 'not_increased';

/** What to do with a validly signed assertion whose counter did not increase. */
export type CounterRegressionPolicy = 'reject' | 'allow';

/**
 * WebAuthn §6.1.1: an authenticator without a counter keeps it at zero; any
 * other non-increase "is a signal that the authenticator may be cloned"
 * (§7.2 step 21). Same test as SimpleWebAuthn
 * (`(counter > 0 || stored > 0) && counter <= stored`), applied by us only
 * after the signature verified, so a forged assertion cannot raise it.
 */
export function counterStatus(stored: number, received: number): CounterStatus {
  if (stored === 0 && received === 0) return 'zero_unsupported';
  return received > stored ? 'increased' : 'not_increased';
}
