import { z } from 'zod';
import { envelopeShape, errorSchema } from '../envelope.js';
import { credentialId, uint32, uuidAny } from '../fields/formats.js';
import { freeText, identifier } from '../fields/text.js';
import { checkCounterStatus, counterStatusJsonSchema } from './counter-agreement.js';
import { counterStatusOf, counterStatusSchema } from './counter-status.js';

/**
 * The step of a WebAuthn ceremony that failed. Maps the checks of WebAuthn
 * §7.1 (registration) and §7.2 (authentication), plus what the relying party
 * adds around them (challenge store, credential lookup, counter policy).
 */
export const failureStageSchema = z.enum([
  'malformed_response',
  'challenge',
  'challenge_replayed',
  'challenge_expired',
  'origin',
  'top_origin',
  'rp_id',
  'type',
  'user_presence',
  'user_verification',
  'attestation',
  'unsupported_alg',
  'backup_flags',
  'unknown_credential',
  'unknown_user',
  'credential_exists',
  // Another registration took the user name between this one's options and its verification.
  'username_taken',
  'signature',
  'counter',
  'credential_id_too_long',
  'internal',
]);

/** Facts of one WebAuthn ceremony; secrets (public keys, signatures, clientDataJSON) never appear here. */
export const webauthnDetailSchema = z.strictObject({
  credential_id: credentialId.optional(),
  rp_id: identifier(253).optional(),
  origin: freeText(512, 'Origin from clientDataJSON; attacker-controlled, sanitised').optional(),
  top_origin: freeText(512).optional(),
  cross_origin: z.boolean().optional(),
  aaguid: uuidAny.optional(),
  attestation_fmt: identifier(32).optional(),
  cose_alg: z.int().optional(),
  transports: z.array(identifier(32)).max(16).optional(),
  user_verified: z.boolean().optional(),
  credential_device_type: z.enum(['singleDevice', 'multiDevice']).optional(),
  credential_backed_up: z.boolean().optional(),
  sign_count: uint32.optional().meta({ description: 'Signature counter reported by the authenticator (uint32)' }),
  stored_sign_count: uint32.optional(),
  counter_status: counterStatusSchema.optional().meta({
    description:
      'What the counter did: counterStatusOf(stored_sign_count, sign_count) when both are present, a status some value of a missing one gives otherwise (WebAuthn L3 §6.1.1, §7.2 step 22); zod compares the two counters, this schema cannot',
  }),
  signature_valid: z.boolean().nullable().optional().meta({ description: 'null when verification stopped earlier' }),
  failure_stage: failureStageSchema.optional(),
});

const detail = webauthnDetailSchema.shape;

/**
 * An event's `webauthn` detail whose `counter_status` its counters do not
 * contradict (events/counter-agreement.ts, WebAuthn L3 §6.1.1, §7.2 step
 * 22). Any WebAuthn event may carry the three members; webauthn-hooks
 * writes the status on WEBAUTHN_AUTH_SUCCESS (and on the regression, which
 * has its own, stricter check), the counters without it on a failure. A
 * check is not carried over by `extend`, so each event's detail takes it here.
 */
function agreeing<T extends z.ZodType<z.infer<typeof webauthnDetailSchema>>>(schema: T): T {
  return schema.check(checkCounterStatus).meta(counterStatusJsonSchema);
}

/** A passkey was registered (OCSF Account Change 3001, MFA Factor Enable). */
export const webauthnRegSuccessSchema = z
  .strictObject({
    ...envelopeShape,
    event_type: z.literal('WEBAUTHN_REG_SUCCESS'),
    outcome: z.literal('success'),
    user_id: envelopeShape.user_id.unwrap(),
    webauthn: agreeing(webauthnDetailSchema.extend({ credential_id: detail.credential_id.unwrap() })),
  })
  .meta({ id: 'WebauthnRegSuccess', description: 'A WebAuthn credential was registered' });

/** A registration ceremony failed. */
export const webauthnRegFailureSchema = z
  .strictObject({
    ...envelopeShape,
    event_type: z.literal('WEBAUTHN_REG_FAILURE'),
    outcome: z.literal('failure'),
    error: errorSchema,
    webauthn: agreeing(webauthnDetailSchema.extend({ failure_stage: failureStageSchema })),
  })
  .meta({ id: 'WebauthnRegFailure', description: 'A WebAuthn registration failed' });

/** A user signed in with a passkey (OCSF Authentication 3002, Logon). */
export const webauthnAuthSuccessSchema = z
  .strictObject({
    ...envelopeShape,
    event_type: z.literal('WEBAUTHN_AUTH_SUCCESS'),
    outcome: z.literal('success'),
    user_id: envelopeShape.user_id.unwrap(),
    webauthn: agreeing(
      webauthnDetailSchema.extend({
        credential_id: detail.credential_id.unwrap(),
        sign_count: detail.sign_count.unwrap(),
        user_verified: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'WebauthnAuthSuccess', description: 'A WebAuthn authentication succeeded' });

/** An authentication ceremony failed. */
export const webauthnAuthFailureSchema = z
  .strictObject({
    ...envelopeShape,
    event_type: z.literal('WEBAUTHN_AUTH_FAILURE'),
    outcome: z.literal('failure'),
    error: errorSchema,
    webauthn: agreeing(webauthnDetailSchema.extend({ failure_stage: failureStageSchema })),
  })
  .meta({ id: 'WebauthnAuthFailure', description: 'A WebAuthn authentication failed' });

/**
 * The counters of a regression (WebAuthn L3 §6.1.1; §7.2 step 22, step 21
 * in Level 2): `sign_count` not greater than `stored_sign_count`, and not
 * both zero (an authenticator without a counter). An event whose counters
 * say otherwise contradicts its own type: no producer that applies the
 * spec's test ({@link counterStatusOf}) writes it. Runtime rule, but for
 * what it says of `stored_sign_count` alone (at least 1): JSON Schema cannot
 * compare two members (README "Use the JSON Schema without zod").
 */
const regressionDetailSchema = webauthnDetailSchema
  .extend({
    credential_id: detail.credential_id.unwrap(),
    sign_count: detail.sign_count.unwrap(),
    // Published at least 1, what not_increased says of this counter alone (as counterStatusJsonSchema
    // does beside any other event's status): a stored 0 is no counter (sign_count 0) or an increase.
    // zod's check below refuses the same with its own message.
    stored_sign_count: detail.stored_sign_count.unwrap().meta({ minimum: 1 }),
    counter_status: z.literal('not_increased').optional(),
    signature_valid: z.literal(true),
  })
  .check((ctx) => {
    const { sign_count: received, stored_sign_count: stored } = ctx.value;
    const status = counterStatusOf(stored, received);
    if (status === 'not_increased') return;
    ctx.issues.push({
      code: 'custom',
      path: ['sign_count'],
      input: received,
      message:
        status === 'increased'
          ? `${received} is greater than stored_sign_count ${stored}: no counter regression (WebAuthn L3 §7.2 step 22: a regression is a signCount not greater than the stored one)`
          : 'sign_count and stored_sign_count are both 0, an authenticator without a counter: no counter regression (WebAuthn L3 §6.1.1, §7.2 step 22)',
    });
  });

/**
 * A validly signed assertion whose counter did not increase over the stored
 * value, one of them non-zero: a signal of a cloned authenticator (WebAuthn
 * L3 §6.1.1, §7.2 step 22). Emitted only after the signature verified.
 */
export const webauthnCounterRegressionSchema = z
  .strictObject({
    ...envelopeShape,
    event_type: z.literal('WEBAUTHN_COUNTER_REGRESSION'),
    user_id: envelopeShape.user_id.unwrap(),
    webauthn: regressionDetailSchema.meta({
      description:
        'sign_count is not greater than stored_sign_count, and not both are 0 (WebAuthn L3 §7.2 step 22); zod compares the two, this schema only bounds stored_sign_count (at least 1)',
    }),
  })
  .meta({ id: 'WebauthnCounterRegression', description: 'Signature counter did not increase: possible cloned authenticator' });
