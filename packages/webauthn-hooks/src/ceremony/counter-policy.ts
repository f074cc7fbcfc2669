import { counterStatusOf, type CounterStatus } from '@audit-trail/schema';

/** What the signature counter did (`webauthn.counter_status`). */
export type { CounterStatus };

/** What to do with a validly signed assertion whose counter did not increase. */
export type CounterRegressionPolicy = 'reject' | 'allow';

/**
 * WebAuthn L3 §6.1.1: an authenticator without a counter keeps it at zero;
 * any other non-increase "is a signal that the authenticator may be cloned"
 * (§7.2 step 22, step 21 in Level 2). Same test as SimpleWebAuthn
 * (`(counter > 0 || stored > 0) && counter <= stored`), applied by us only
 * after the signature verified, so a forged assertion cannot raise it. The
 * schema's own function ({@link counterStatusOf}), so a regression event the
 * hooks write is one the schema takes.
 */
export function counterStatus(stored: number, received: number): CounterStatus {
  return counterStatusOf(stored, received);
}
