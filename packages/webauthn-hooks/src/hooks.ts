import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { createAuthenticationOptions, type AuthenticationOptionsInput } from './authentication/options.js';
import { verifyAuthentication } from './authentication/verify.js';
import type { CeremonyResult } from './ceremony/ceremony-result.js';
import { resolveOptions, type ResolvedOptions, type WebAuthnHooksOptions } from './config.js';
import { createRegistrationOptions, type RegistrationOptionsInput } from './registration/options.js';
import { verifyRegistration } from './registration/verify.js';
import { buildRequestContext, type RawRequestParts, type RequestContext } from './request/request-context.js';

/** The framework-free core: the four ceremony steps, each verification audited exactly once. */
export interface WebAuthnHooks {
  /** Options with defaults applied (stores, clock, trusted proxies). */
  readonly options: ResolvedOptions;
  /** Builds the request context (client IP through the trusted proxies, user agent). */
  requestContext(parts: RawRequestParts): RequestContext;
  /** `ctx` (optional): the request's context, whose client address the challenge store may bound challenges by. */
  registrationOptions(input: Partial<RegistrationOptionsInput> | undefined, ctx?: RequestContext): Promise<PublicKeyCredentialCreationOptionsJSON>;
  verifyRegistration(ctx: RequestContext, response: unknown): Promise<CeremonyResult>;
  /** `ctx` (optional): as for {@link WebAuthnHooks.registrationOptions}. */
  authenticationOptions(input: AuthenticationOptionsInput | undefined, ctx?: RequestContext): Promise<PublicKeyCredentialRequestOptionsJSON>;
  verifyAuthentication(ctx: RequestContext, response: unknown): Promise<CeremonyResult>;
}

/**
 * Creates the audited WebAuthn core. Throws `WebAuthnHooksError`
 * (`WEBAUTHN_HOOKS_CONFIG`, `WEBAUTHN_HOOKS_INVALID_PROXY`) on bad options:
 * an unknown key, or a value of the wrong type or out of range.
 *
 * @example
 * const hooks = createWebAuthnHooks({ audit: logger, rpName: 'Example', rpID: 'localhost', origin: 'http://localhost:3000' });
 * const options = await hooks.registrationOptions({ username: 'alice' });
 */
export function createWebAuthnHooks(options: WebAuthnHooksOptions): WebAuthnHooks {
  const o = resolveOptions(options);
  return {
    options: o,
    requestContext: (parts) => buildRequestContext(parts, o.proxies),
    registrationOptions: (input, ctx) => createRegistrationOptions(o, input, ctx),
    verifyRegistration: (ctx, response) => verifyRegistration(o, ctx, response),
    authenticationOptions: (input, ctx) => createAuthenticationOptions(o, input, ctx),
    verifyAuthentication: (ctx, response) => verifyAuthentication(o, ctx, response),
  };
}
