import type { AuditEventDraft, webauthnDetailSchema } from '@audit-trail/schema';
import type { z } from 'zod';
import type { CeremonyFailure } from '../ceremony/failure-stage.js';
import type { RequestContext } from '../request/request-context.js';
import type { Ceremony } from '../stores/challenge-store.js';

/** The `webauthn` block of an event (never holds keys, signatures, challenges or clientDataJSON). */
export type WebAuthnDetail = z.input<typeof webauthnDetailSchema>;

type DraftOf<T extends AuditEventDraft['event_type']> = Extract<AuditEventDraft, { event_type: T }>;

/** Envelope fields taken from the request: addresses, user agent, request id. */
function requestFields(ctx: RequestContext) {
  return {
    ...(ctx.client_ip ? { client_ip: ctx.client_ip, client_ip_source: ctx.client_ip_source } : {}),
    ...(ctx.peer_ip ? { peer_ip: ctx.peer_ip } : {}),
    ...(ctx.user_agent ? { user_agent: ctx.user_agent } : {}),
    ...(ctx.user_agent_truncated ? { user_agent_truncated: true } : {}),
    ...(ctx.request_id ? { correlation: { request_id: ctx.request_id } } : {}),
  };
}

/** Drops undefined keys so the line holds only what is known. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** WEBAUTHN_REG_FAILURE or WEBAUTHN_AUTH_FAILURE. */
export function failureDraft(
  ceremony: Ceremony,
  ctx: RequestContext,
  f: CeremonyFailure,
  detail: WebAuthnDetail,
  userId?: string,
): DraftOf<'WEBAUTHN_REG_FAILURE' | 'WEBAUTHN_AUTH_FAILURE'> {
  return {
    event_type: ceremony === 'registration' ? 'WEBAUTHN_REG_FAILURE' : 'WEBAUTHN_AUTH_FAILURE',
    ...requestFields(ctx),
    ...(userId ? { user_id: userId } : {}),
    error: compact({ code: f.code, message: f.message, type: f.type }),
    webauthn: compact({ ...detail, failure_stage: f.stage }),
  };
}

/** WEBAUTHN_REG_SUCCESS. */
export function regSuccessDraft(
  ctx: RequestContext,
  userId: string,
  detail: WebAuthnDetail & { credential_id: string },
): DraftOf<'WEBAUTHN_REG_SUCCESS'> {
  return { event_type: 'WEBAUTHN_REG_SUCCESS', ...requestFields(ctx), user_id: userId, webauthn: compact(detail) };
}

/** WEBAUTHN_AUTH_SUCCESS. */
export function authSuccessDraft(
  ctx: RequestContext,
  userId: string,
  detail: WebAuthnDetail & { credential_id: string; sign_count: number; user_verified: boolean },
): DraftOf<'WEBAUTHN_AUTH_SUCCESS'> {
  return { event_type: 'WEBAUTHN_AUTH_SUCCESS', ...requestFields(ctx), user_id: userId, webauthn: compact(detail) };
}

/**
 * WEBAUTHN_COUNTER_REGRESSION: the one event of a verification whose
 * signature was valid but whose counter did not increase. `outcome` says
 * whether the policy rejected the sign-in.
 */
export function counterRegressionDraft(
  ctx: RequestContext,
  userId: string,
  detail: WebAuthnDetail & { credential_id: string; sign_count: number; stored_sign_count: number },
  rejected: boolean,
): DraftOf<'WEBAUTHN_COUNTER_REGRESSION'> {
  return {
    event_type: 'WEBAUTHN_COUNTER_REGRESSION',
    outcome: rejected ? 'failure' : 'success',
    ...requestFields(ctx),
    user_id: userId,
    ...(rejected
      ? {
          error: {
            code: 'WEBAUTHN_COUNTER_REGRESSION',
            message: 'signature counter did not increase: possible cloned authenticator; sign-in rejected',
          },
        }
      : {}),
    webauthn: compact({
      ...detail,
      signature_valid: true as const,
      counter_status: 'not_increased' as const,
      ...(rejected ? { failure_stage: 'counter' as const } : {}),
    }),
  };
}
