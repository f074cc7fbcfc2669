import type { HttpAnswer, RouteName } from './routes.js';

/**
 * `code` of `AuditClosedError` from `@audit-trail/logger` (`emit()` after
 * `close()`), compared by its stable code rather than by class: the CJS and
 * ESM builds of the logger are two classes, and the hooks take any emitter.
 */
const AUDIT_LOGGER_CLOSED = 'AUDIT_LOGGER_CLOSED';

/** `err.code`, read without trusting `err` (a getter may throw: this runs on the error path). */
function codeOf(err: unknown): unknown {
  try {
    return (err as { code?: unknown } | null | undefined)?.code;
  } catch {
    return undefined;
  }
}

/**
 * The answer to a route whose core threw (a store failed, or the audit
 * logger did): JSON, with a stable code and nothing of the error itself, so
 * no stack trace or store message reaches the client (Express's default
 * handler sends the stack outside production).
 *
 * A closed audit logger is 503 `WEBAUTHN_HOOKS_UNAVAILABLE`: the process is
 * shutting down, the verification failed closed (no unaudited sign-in), and
 * the same request may succeed on another instance or after a restart
 * (RFC 9110 §15.6.4). Anything else is 500 `WEBAUTHN_HOOKS_INTERNAL_ERROR`.
 * Verification routes keep their `{ verified: false, error }` shape.
 */
export function errorAnswer(route: RouteName, err: unknown): HttpAnswer {
  const closed = codeOf(err) === AUDIT_LOGGER_CLOSED;
  const error = closed ? 'WEBAUTHN_HOOKS_UNAVAILABLE' : 'WEBAUTHN_HOOKS_INTERNAL_ERROR';
  const verify = route === 'registrationVerify' || route === 'authenticationVerify';
  return {
    status: closed ? 503 : 500,
    body: verify ? { verified: false, error } : { error, message: closed ? 'the audit log is closed; try again later' : 'internal error' },
  };
}
