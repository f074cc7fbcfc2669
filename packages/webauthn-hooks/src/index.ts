/**
 * @audit-trail/webauthn-hooks: audited wrappers around @simplewebauthn/server.
 * Framework adapters live in the `./express` and `./fastify` subpaths.
 */
export type { AuditEmitter } from './audit/emitter.js';
export type { WebAuthnDetail } from './audit/drafts.js';
export type { CeremonyResult, CeremonySuccess, CeremonyRejection } from './ceremony/ceremony-result.js';
export {
  MIN_PROXY_PREFIX,
  normalizeIp,
  resolveClientAddress,
  trustedProxies,
  type ClientAddress,
  type ClientIpSource,
  type TrustedProxies,
} from './request/client-ip.js';
export { CHALLENGE_TTL_BOUNDS_MS, DEFAULT_CHALLENGE_TTL_MS, type WebAuthnHooksOptions, type ResolvedOptions } from './config.js';
export { USER_VERIFICATION_REQUIREMENTS, type UserVerificationRequirement } from './ceremony/user-verification.js';
export { counterStatus, type CounterStatus, type CounterRegressionPolicy } from './ceremony/counter-policy.js';
export { WebAuthnHooksError, type WebAuthnHooksErrorCode } from './errors.js';
export { classifyError, FAILURE_CODES, type CeremonyFailure, type FailureStage } from './ceremony/failure-stage.js';
export { createWebAuthnHooks, type WebAuthnHooks } from './hooks.js';
export { handleRoute, ROUTES, type HttpAnswer, type RouteName } from './http/routes.js';
export { buildRequestContext, type RawRequestParts, type RequestContext } from './request/request-context.js';
export type { AuthenticationOptionsInput } from './authentication/options.js';
export type { RegistrationOptionsInput } from './registration/options.js';
export type { Ceremony, ChallengeRecord, ChallengeStore, ChallengeTake } from './stores/challenge-store.js';
export type { CredentialStore, StoredCredential } from './stores/credential-store.js';
export type { UserStore, WebAuthnUser } from './stores/user-store.js';
export { MemoryChallengeStore, type MemoryChallengeStoreOptions } from './stores/memory-challenge-store.js';
export { quotaClient } from './stores/quota-client.js';
export { MemoryCredentialStore } from './stores/memory-credential-store.js';
export { MemoryUserStore } from './stores/memory-user-store.js';
