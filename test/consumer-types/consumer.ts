// Compiled by consumer-types.test.ts against the built packages' .d.ts with
// the strictest optional-property setting a user may have
// (exactOptionalPropertyTypes), as a service written in TypeScript sees them.
// Every line must compile, and every @ts-expect-error must be needed.
import { createAuditLogger } from '@audit-trail/logger';

declare const req: { user?: { id: string }; ip: string | undefined; headers: Record<string, string | undefined> };
const audit = createAuditLogger({ service: 'login-api' });

// A binding given as undefined binds nothing: the usual way to bind what a request may lack.
const log = audit.child({
  user_id: req.user?.id,
  client_ip: req.ip,
  user_agent: req.headers['user-agent'],
  correlation: { request_id: req.headers['x-request-id'], session_id: undefined },
  runtime: { host: req.headers['x-host'] },
});
log.emit({ event_type: 'CONTAINER_EXEC', container: { id: '0123456789ab', name: undefined }, process: { command_line: 'sh -i' } });
audit.webauthnAuthFailure({
  user_id: req.user?.id ?? 'unknown',
  client_ip: req.ip,
  error: { code: 'SIGNATURE_INVALID', message: 'signature did not verify' },
  webauthn: { credential_id: 'AAECAwQF', rp_id: undefined, failure_stage: 'signature' },
});

// @ts-expect-error an error's message is required
audit.webauthnAuthFailure({ user_id: 'u-1', error: { code: 'SIGNATURE_INVALID' }, webauthn: { credential_id: 'AAECAwQF', failure_stage: 'signature' } });

// @ts-expect-error chain records are the logger's own (validateDraft refuses them at run time too)
audit.emit({ event_type: 'AUDIT_CHECKPOINT', chain: { last_seq: 1, records: 1 } });
