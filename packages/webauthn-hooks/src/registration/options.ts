import { randomBytes } from 'node:crypto';
import { generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import type { ResolvedOptions } from '../config.js';
import { WebAuthnHooksError } from '../errors.js';
import { checkUsername } from '../ceremony/username.js';
import type { RequestContext } from '../request/request-context.js';

/** Body of the registration-options request. */
export interface RegistrationOptionsInput {
  username: string;
  displayName?: string | undefined;
}

/**
 * Starts a registration (WebAuthn §7.1): a new account with a random,
 * opaque user handle (§14.6.1: no personal data in it), a fresh challenge
 * stored server-side. Generating options is not a verification and is not
 * audited; the verification that follows is.
 */
export async function createRegistrationOptions(
  o: ResolvedOptions,
  input: Partial<RegistrationOptionsInput> | undefined,
  ctx?: RequestContext,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const userName = checkUsername(input?.username);
  const displayName = input?.displayName === undefined ? userName : checkUsername(input.displayName, 'displayName');
  if (await o.users.findByName(userName)) {
    throw new WebAuthnHooksError('WEBAUTHN_HOOKS_USERNAME_TAKEN', 'user name is already registered');
  }
  const handle = randomBytes(16);
  const options = await generateRegistrationOptions({
    rpName: o.rpName,
    rpID: o.rpID,
    userName,
    userDisplayName: displayName,
    userID: handle,
    attestationType: 'none',
    timeout: o.challengeTtlMs,
    authenticatorSelection: { residentKey: 'preferred', userVerification: o.userVerification },
  });
  const now = o.now();
  await o.challenges.save({
    challenge: options.challenge,
    ceremony: 'registration',
    userId: handle.toString('base64url'),
    userName,
    displayName,
    ...(ctx?.client_ip ? { client: ctx.client_ip } : {}),
    issuedAt: now,
    expiresAt: now + o.challengeTtlMs,
  });
  return options;
}
