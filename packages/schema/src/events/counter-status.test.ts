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
