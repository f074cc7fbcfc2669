import { failureDraft } from '../audit/drafts.js';
import { loggableCredentialId } from '../ceremony/response-shape.js';
import type { WebAuthnHooks } from '../hooks.js';
import type { RawRequestParts } from '../request/request-context.js';
import type { RequestRefusal } from './request-checks.js';
import type { HttpAnswer, RouteName } from './routes.js';

/**
 * Answers a request {@link checkRequestHeaders} refused. An options request
 * gets the status and no challenge. A verification request is still a
 * verification attempt: it is audited as a failure (stage and code of the
 * refusal, the credential id the body names when it names one, so a login
 * CSRF attempt shows whose assertion it carried) before it is answered,
 * and the response in it is never verified.
 */
export async function answerRefusal(hooks: WebAuthnHooks, route: RouteName, req: RawRequestParts, body: unknown, refusal: RequestRefusal): Promise<HttpAnswer> {
  const { status, stage, code, message } = refusal;
  if (route === 'registrationOptions' || route === 'authenticationOptions') return { status, body: { error: code, message } };
  const ceremony = route === 'registrationVerify' ? 'registration' : 'authentication';
  const credentialId = loggableCredentialId((body as { id?: unknown } | null | undefined)?.id);
  const detail = credentialId === undefined ? {} : { credential_id: credentialId };
  // Awaited: an emitter that writes asynchronously and fails makes the route throw (500), as a synchronous one does.
  await hooks.options.audit.emit(failureDraft(ceremony, hooks.requestContext(req), { stage, code, message }, detail));
  return { status, body: { verified: false, error: code } };
}
