import { configError, describeValue } from './config-checks.js';

/**
 * The `now` option, checked at every reading. Challenge expiry is
 * `expiresAt = now() + challengeTtlMs` and `now() > expiresAt`: a clock that
 * returns a string ("1700000000000") or a Date turns `+` into string
 * concatenation and the comparison into one that is never true, so
 * challenges would never expire. A reading that is not a finite number
 * throws `WEBAUTHN_HOOKS_CONFIG` instead (a verification then fails as
 * `internal`, audited).
 */
export function checkedClock(now: () => number): () => number {
  if (now === Date.now) return now;
  return () => {
    const t: unknown = now();
    if (typeof t === 'number' && Number.isFinite(t)) return t;
    throw configError(`options.now must return epoch milliseconds as a finite number, got ${describeValue(t)}`);
  };
}
