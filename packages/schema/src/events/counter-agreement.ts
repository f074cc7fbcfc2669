import type { z } from 'zod';
import { MAX_SIGN_COUNT } from '../fields/formats.js';
import { possibleCounterStatuses, type CounterStatus } from './counter-status.js';

/** The counter members of a `webauthn` detail. */
export interface CounterFields {
  sign_count?: number | undefined;
  stored_sign_count?: number | undefined;
  counter_status?: CounterStatus | undefined;
}

/** What each status says of the two counters, with the spec's words for it. */
const MEANING: Record<CounterStatus, string> = {
  increased: 'increased means sign_count is greater than stored_sign_count (WebAuthn L3 §7.2 step 22)',
  not_increased:
    'not_increased means sign_count is not greater than stored_sign_count and not both are 0, the signal of a possibly cloned authenticator (WebAuthn L3 §6.1.1, §7.2 step 22)',
  zero_unsupported: 'zero_unsupported means sign_count and stored_sign_count are both 0, an authenticator without a counter (WebAuthn L3 §6.1.1)',
};

/**
 * Why `counter_status` contradicts the counters beside it, or undefined when
 * it does not. With both counters it must be the status they give
 * (`counterStatusOf`); with one, a status some value of the other would
 * give (an event may leave a counter out: a producer that never read the
 * stored one); with none, any. The status is the producer's reading of the
 * counters; an event whose reading its own counters refute says two things,
 * and a report counting `increased` sign-ins cannot tell which is true.
 */
export function counterStatusContradiction(w: CounterFields): string | undefined {
  const { counter_status: status, stored_sign_count: stored, sign_count: received } = w;
  if (status === undefined || possibleCounterStatuses(stored, received).has(status)) return undefined;
  if (stored !== undefined && received !== undefined) {
    const [actual] = possibleCounterStatuses(stored, received);
    return `is ${status}, but sign_count ${received} with stored_sign_count ${stored} is ${actual}: ${MEANING[status]}`;
  }
  const [given, missing] = stored !== undefined ? [`stored_sign_count ${stored}`, 'sign_count'] : [`sign_count ${received}`, 'stored_sign_count'];
  return `is ${status}, which no ${missing} gives with ${given}: ${MEANING[status]}`;
}

/**
 * zod check of a `webauthn` detail: refuses a `counter_status` its counters
 * contradict ({@link counterStatusContradiction}), on the member itself.
 */
export function checkCounterStatus(ctx: z.core.ParsePayload<CounterFields>): void {
  const message = counterStatusContradiction(ctx.value);
  if (message === undefined) return;
  ctx.issues.push({ code: 'custom', path: ['counter_status'], input: ctx.value.counter_status, message });
}

/** A JSON Schema `if` matching a detail whose counter_status is `status`. */
const statusIs = (status: CounterStatus) => ({ properties: { counter_status: { const: status } }, required: ['counter_status'] });

/**
 * What JSON Schema can say of {@link counterStatusContradiction}: the bound
 * each status puts on each counter alone (`zero_unsupported` both 0;
 * `increased` sign_count at least 1 and stored_sign_count below the uint32
 * top; `not_increased` stored_sign_count at least 1). These are exactly the
 * one-counter rules; comparing two members it cannot, so sign_count 5 with
 * stored_sign_count 9 and `increased` passes it (README "Use the JSON Schema
 * without zod"). `type` beside each bound for Ajv's strict mode.
 */
export const counterStatusJsonSchema = {
  allOf: [
    { if: statusIs('zero_unsupported'), then: { properties: { sign_count: { const: 0 }, stored_sign_count: { const: 0 } } } },
    {
      if: statusIs('increased'),
      then: { properties: { sign_count: { type: 'integer', minimum: 1 }, stored_sign_count: { type: 'integer', maximum: MAX_SIGN_COUNT - 1 } } },
    },
    { if: statusIs('not_increased'), then: { properties: { stored_sign_count: { type: 'integer', minimum: 1 } } } },
  ],
};
