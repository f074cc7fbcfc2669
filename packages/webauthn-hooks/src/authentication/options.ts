import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { ResolvedOptions } from '../config.js';
import { checkUsername } from '../ceremony/username.js';
import type { RequestContext } from '../request/request-context.js';

/** Body of the authentication-options request; without a user name the browser offers discoverable passkeys. */
export interface AuthenticationOptionsInput {
  username?: string | undefined;
}

/**
 * A credential's stored transports, each once (getTransports() has no
 * duplicates, WebAuthn L3 §5.2.1.2). Registration stores them so now; a
 * credential stored by an earlier version may hold a client's `"usb"`
 * repeated 40 000 times, which every options request naming its user sent
 * back whole (about 240 KB). Values are kept as stored: the store may hold
 * transports this version does not list. A stored value that is no array (a
 * JSON column read back as text) is left out, as none stored: spread, "usb"
 * became ['u', 's', 'b'] (found by a review); the browser then offers every
 * transport.
 */
function onceEach<T>(transports: readonly T[]): T[] {
  return [...new Set(transports)];
}

/**
 * Starts a sign-in (WebAuthn §7.2). With a known user name the options list
 * that user's credentials (`allowCredentials`, needed by non-discoverable
 * security keys) and the challenge is bound to that user, so another user's
 * credential is refused. An unknown name is answered like no name. Listing
 * credentials tells a caller that the name exists (WebAuthn §14.6.2
 * "Username Enumeration"); services that mind should call without a name and
 * rely on discoverable credentials.
 */
export async function createAuthenticationOptions(
  o: ResolvedOptions,
  input: AuthenticationOptionsInput | undefined,
  ctx?: RequestContext,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const name = input?.username === undefined || input.username === '' ? undefined : checkUsername(input.username);
  const user = name === undefined ? undefined : await o.users.findByName(name);
  const credentials = user ? await o.credentials.listByUser(user.id) : [];
  const options = await generateAuthenticationOptions({
    rpID: o.rpID,
    timeout: o.challengeTtlMs,
    userVerification: o.userVerification,
    ...(credentials.length > 0
      ? { allowCredentials: credentials.map((c) => ({ id: c.id, ...(Array.isArray(c.transports) ? { transports: onceEach(c.transports) } : {}) })) }
      : {}),
  });
  const now = o.now();
  await o.challenges.save({
    challenge: options.challenge,
    ceremony: 'authentication',
    ...(user ? { userId: user.id, userName: user.name } : {}),
    ...(ctx?.client_ip ? { client: ctx.client_ip } : {}),
    issuedAt: now,
    expiresAt: now + o.challengeTtlMs,
  });
  return options;
}
