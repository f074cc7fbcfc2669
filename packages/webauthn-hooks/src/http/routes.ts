import type { CeremonySuccess } from '../ceremony/ceremony-result.js';
import type { WebAuthnHooks } from '../hooks.js';
import { WebAuthnHooksError } from '../errors.js';
import type { RawRequestParts } from '../request/request-context.js';
import { answerRefusal } from './refusal.js';
import { checkRequestHeaders, CONNECTION_CLOSED } from './request-checks.js';

/** The four endpoints, relative to the mount point; both adapters serve exactly these. */
export const ROUTES = {
  registrationOptions: '/registration/options',
  registrationVerify: '/registration/verify',
  authenticationOptions: '/authentication/options',
  authenticationVerify: '/authentication/verify',
} as const;

/** Name of one of the four endpoints. */
export type RouteName = keyof typeof ROUTES;

/** An HTTP answer, independent of the framework. */
export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Set when a verification succeeded, for the adapter's `onVerified` callback. */
  success?: CeremonySuccess;
}

const STATUS: Record<string, number> = {
  WEBAUTHN_HOOKS_BAD_REQUEST: 400,
  WEBAUTHN_HOOKS_USERNAME_TAKEN: 409,
};

/**
 * Runs one endpoint. Both adapters call this, so Express and Fastify answer
 * alike. Failed verifications answer 400 (registration) or 401
 * (authentication) with only the stable error code: the client learns no
 * more than "which check", the audit line has the rest. Usage mistakes
 * answer 400/409; any other error (a store or the audit logger failed) is
 * thrown, and the adapters answer it with `errorAnswer` (500, or 503 once
 * the audit logger is closed).
 *
 * A request a cross-site page could have sent, or whose body is not
 * `application/json`, is refused first (`checkRequestHeaders`: 403 or 415;
 * on a verification route audited as a failure, and never verified), and so
 * is one whose connection the client already closed (`req.closed`: 400
 * `WEBAUTHN_CONNECTION_CLOSED`, see CONNECTION_CLOSED).
 *
 * `unreadable` is the HTTP status of a body the framework could not read
 * (413 too large, 400 a body that does not match its framing). A verification
 * request is still a verification then: it fails as `malformed_response`
 * and is audited like any other, and the answer keeps that status; an
 * options request just gets the status.
 */
export async function handleRoute(hooks: WebAuthnHooks, route: RouteName, req: RawRequestParts, body: unknown, unreadable?: number): Promise<HttpAnswer> {
  const refusal = req.closed ? CONNECTION_CLOSED : checkRequestHeaders(req.headers, hooks.options.origins);
  if (refusal) return await answerRefusal(hooks, route, req, body, refusal);
  if (unreadable !== undefined) {
    if (route === 'registrationOptions' || route === 'authenticationOptions') {
      return { status: unreadable, body: { error: 'WEBAUTHN_HOOKS_BAD_REQUEST', message: 'the request body could not be read' } };
    }
    const answer = await handleRoute(hooks, route, req, undefined);
    return { ...answer, status: unreadable };
  }
  try {
    switch (route) {
      case 'registrationOptions':
        return { status: 200, body: { ...(await hooks.registrationOptions(body as never, hooks.requestContext(req))) } };
      case 'authenticationOptions':
        return { status: 200, body: { ...(await hooks.authenticationOptions(body as never, hooks.requestContext(req))) } };
      case 'registrationVerify':
      case 'authenticationVerify': {
        const ctx = hooks.requestContext(req);
        const result =
          route === 'registrationVerify' ? await hooks.verifyRegistration(ctx, body) : await hooks.verifyAuthentication(ctx, body);
        if (result.verified) {
          const { id, name, displayName } = result.user;
          return { status: 200, body: { verified: true, user: { id, name, displayName } }, success: result };
        }
        return { status: route === 'registrationVerify' ? 400 : 401, body: { verified: false, error: result.failure.code } };
      }
    }
  } catch (err) {
    if (err instanceof WebAuthnHooksError && STATUS[err.code]) {
      return { status: STATUS[err.code]!, body: { error: err.code, message: err.message } };
    }
    // Anything else (a store or the audit logger is down): the adapter logs
    // it and answers errorAnswer(); the verification was audited already if
    // the logger still works.
    throw err;
  }
}
