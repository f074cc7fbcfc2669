import { z } from 'zod';
import { MAX_SIGN_COUNT } from '../fields/formats.js';

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
 * WEBAUTHN_COUNTER_REGRESSION). The one test of the schema (which refuses an
 * event whose `counter_status` or regression its counters contradict) and
 * of the producers (webauthn-hooks), so they cannot drift apart.
 */
export function counterStatusOf(stored: number, received: number): CounterStatus {
  if (stored === 0 && received === 0) return 'zero_unsupported';
  return received > stored ? 'increased' : 'not_increased';
}

/**
 * Values a counter the event leaves out could have had: for each status
 * region of {@link counterStatusOf} (both 0, received above stored, received
 * at or below stored), one value beside the known counter lands in it.
 */
function candidates(known: number | undefined, other: number | undefined): number[] {
  if (known !== undefined) return [known];
  const pivot = other ?? 0;
  return [0, pivot - 1, pivot, pivot + 1, MAX_SIGN_COUNT].filter((n) => n >= 0 && n <= MAX_SIGN_COUNT);
}

/**
 * The statuses {@link counterStatusOf} gives for some pair of uint32
 * counters that agrees with those an event carries; a counter it leaves out
 * could be any. With both counters, the one status they give; with one, a
 * status that one rules out (sign_count 5 is never `zero_unsupported`,
 * stored_sign_count 0 never `not_increased`) is missing.
 */
export function possibleCounterStatuses(stored: number | undefined, received: number | undefined): Set<CounterStatus> {
  const out = new Set<CounterStatus>();
  for (const s of candidates(stored, received)) for (const r of candidates(received, stored)) out.add(counterStatusOf(s, r));
  return out;
}
