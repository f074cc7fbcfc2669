// WEBAUTHN_COUNTER_REGRESSION's counters (WebAuthn L3 §6.1.1, §7.2 step
// 22): every pair the spec calls a regression passes, no other. The
// refusals' messages are in parse.test.ts.
import { describe, expect, it } from 'vitest';
import { exampleEvents } from '../examples.js';
import { parseAuditEvent } from '../parse.js';
import { counterStatusOf } from './counter-status.js';

type Regression = { webauthn: Record<string, unknown> };
const regression = (patch: Record<string, unknown>): boolean => {
  const e = structuredClone(exampleEvents.WEBAUTHN_COUNTER_REGRESSION) as Regression;
  Object.assign(e.webauthn, patch);
  return parseAuditEvent(e).ok;
};

describe('WEBAUTHN_COUNTER_REGRESSION counters (WebAuthn L3 §7.2 step 22)', () => {
  const values = [0, 1, 2, 57, 2 ** 32 - 2, 2 ** 32 - 1];
  it('accepts exactly the pairs the spec calls a regression: signCount or the stored one nonzero, and signCount <= stored', () => {
    for (const stored of values) {
      for (const received of values) {
        // The spec's wording, written out here rather than taken from counterStatusOf.
        const spec = (received !== 0 || stored !== 0) && received <= stored;
        expect([stored, received, regression({ sign_count: received, stored_sign_count: stored })]).toEqual([stored, received, spec]);
        expect([stored, received, counterStatusOf(stored, received) === 'not_increased']).toEqual([stored, received, spec]);
      }
    }
  });

  it('accepts counter_status not_increased and no other status', () => {
    for (const status of ['not_increased', 'increased', 'zero_unsupported']) {
      expect([status, regression({ counter_status: status })]).toEqual([status, status === 'not_increased']);
    }
  });
});

// The other WebAuthn events: counter_status, when present, is what the
// counters give; with one counter missing, what some value of it gives.
describe('counter_status beside the counters (WebAuthn L3 §6.1.1, §7.2 step 22)', () => {
  const values = [0, 1, 2, 57, 2 ** 32 - 2, 2 ** 32 - 1];
  const statuses = ['increased', 'not_increased', 'zero_unsupported'] as const;
  // The spec's wording, written out here rather than taken from counterStatusOf.
  const spec = (stored: number, received: number) =>
    received === 0 && stored === 0 ? 'zero_unsupported' : received > stored ? 'increased' : 'not_increased';
  // A missing counter may be any uint32; these values reach every status the known one allows.
  const any = [...values, 3, 56, 58];
  const accepts = (type: 'WEBAUTHN_REG_SUCCESS' | 'WEBAUTHN_REG_FAILURE' | 'WEBAUTHN_AUTH_SUCCESS' | 'WEBAUTHN_AUTH_FAILURE', w: Record<string, unknown>) => {
    const e = structuredClone(exampleEvents[type]) as { webauthn: Record<string, unknown> };
    delete e.webauthn.sign_count;
    delete e.webauthn.stored_sign_count;
    delete e.webauthn.counter_status;
    Object.assign(e.webauthn, w);
    return parseAuditEvent(e).ok;
  };

  it('a sign-in: accepts exactly the status its two counters give', () => {
    for (const stored of values) {
      for (const received of values) {
        for (const status of statuses) {
          const ok = accepts('WEBAUTHN_AUTH_SUCCESS', { sign_count: received, stored_sign_count: stored, counter_status: status });
          expect([stored, received, status, ok]).toEqual([stored, received, status, spec(stored, received) === status]);
        }
      }
    }
  });

  it('every WebAuthn event but the regression: with one counter, accepts the statuses some value of the other gives; with none, any', () => {
    for (const type of ['WEBAUTHN_REG_SUCCESS', 'WEBAUTHN_REG_FAILURE', 'WEBAUTHN_AUTH_FAILURE'] as const) {
      for (const status of statuses) {
        for (const known of values) {
          const withStored = any.some((received) => spec(known, received) === status);
          const withReceived = any.some((stored) => spec(stored, known) === status);
          expect([type, status, 'stored', known, accepts(type, { stored_sign_count: known, counter_status: status })]).toEqual([type, status, 'stored', known, withStored]);
          expect([type, status, 'sign', known, accepts(type, { sign_count: known, counter_status: status })]).toEqual([type, status, 'sign', known, withReceived]);
        }
        expect([type, status, accepts(type, { counter_status: status })]).toEqual([type, status, true]);
      }
    }
  });
});
