import { generateAuthenticationOptions } from '@simplewebauthn/server';
import { afterEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../src/testing/index.js';
import { challengeOf, harness, onlyEvent, ORIGIN, secretsOf, type Harness } from './support/harness.js';
import { flipSignatureByte, rewriteClientData, rewriteRpId } from '../src/testing/index.js';

let h: Harness;
afterEach(async () => {
  await h?.capture.close();
});

async function registered(username = 'alice') {
  h = harness();
  const auth = new SoftAuthenticator();
  const reg = await h.register(auth, username);
  return { auth, ...reg };
}

describe('authentication (WebAuthn §7.2), one audit event per verification', () => {
  it('a sign-in yields WEBAUTHN_AUTH_SUCCESS with counter facts and no secrets', async () => {
    const { auth, userId, credentialId } = await registered();
    const response = await h.signIn(auth, 'alice');
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: true, user: { id: userId, name: 'alice' }, credentialId });
    const event = onlyEvent(h.capture, secretsOf(response, challengeOf(response)));
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_SUCCESS',
      outcome: 'success',
      severity: 1,
      user_id: userId,
      client_ip: '203.0.113.7',
      peer_ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (test)',
      webauthn: {
        credential_id: credentialId,
        rp_id: 'localhost',
        origin: ORIGIN,
        sign_count: 1,
        stored_sign_count: 0,
        counter_status: 'increased',
        signature_valid: true,
        user_verified: true,
      },
    });
    expect((await h.hooks.options.credentials.findById(credentialId))?.counter).toBe(1);
  });

  it('a discoverable sign-in (no user name) finds the user from the credential', async () => {
    const { auth, userId } = await registered('bob');
    const response = await h.signIn(auth);
    expect((await h.hooks.verifyAuthentication(h.ctx, response)).verified).toBe(true);
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: userId });
  });

  it('an assertion over a challenge this server never issued fails at stage "challenge"', async () => {
    const { auth, userId } = await registered();
    const forged = await generateAuthenticationOptions({ rpID: 'localhost' });
    const response = auth.signIn(ORIGIN, forged);
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'challenge' } });
    const event = onlyEvent(h.capture, secretsOf(response, forged.challenge));
    expect(event).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', error: { code: 'WEBAUTHN_CHALLENGE_MISMATCH' } });
    // The unknown challenge names no one; the credential presented names its owner.
    expect(event.user_id).toBe(userId);
    expect(userId).toBeTruthy();
  });

  it('a registration challenge presented for sign-in fails at stage "challenge"', async () => {
    const { auth, userId } = await registered();
    const regOptions = await h.hooks.registrationOptions({ username: 'someone-else' });
    const response = auth.signIn(ORIGIN, { challenge: regOptions.challenge, rpId: 'localhost' });
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'challenge', message: 'challenge was issued for registration' } });
    // Not the registration's would-be user: the owner of the credential presented.
    expect(onlyEvent(h.capture).user_id).toBe(userId);
  });

  it('an assertion made for another origin fails at stage "origin" and logs that origin sanitised', async () => {
    const { auth, userId } = await registered();
    const response = await h.signIn(auth, 'alice', 'http://evil.localhost:3000');
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'origin', code: 'WEBAUTHN_ORIGIN_MISMATCH' } });
    expect(onlyEvent(h.capture, secretsOf(response, challengeOf(response)))).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: userId,
      error: { message: 'Unexpected authentication response origin' },
      webauthn: { failure_stage: 'origin', origin: 'http://evil.localhost:3000', signature_valid: null },
    });
  });

  it('authenticator data for another RP ID fails at stage "rp_id"', async () => {
    const { auth, userId } = await registered();
    const response = rewriteRpId(await h.signIn(auth, 'alice'), 'evil.example');
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'rp_id', code: 'WEBAUTHN_RP_ID_MISMATCH' } });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: userId });
  });

  it('a bad signature (library returns verified:false, no throw) fails at stage "signature"', async () => {
    const { auth, userId, credentialId } = await registered();
    const response = flipSignatureByte(await h.signIn(auth, 'alice'));
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'signature', code: 'WEBAUTHN_SIGNATURE_INVALID' } });
    expect(onlyEvent(h.capture, secretsOf(response, challengeOf(response)))).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: userId,
      webauthn: { failure_stage: 'signature', signature_valid: false, credential_id: credentialId, sign_count: 1 },
    });
    expect((await h.hooks.options.credentials.findById(credentialId))?.counter).toBe(0);
  });

  it('a credential this server does not know fails at stage "unknown_credential"', async () => {
    await registered();
    const stranger = new SoftAuthenticator();
    const other = harness();
    await other.register(stranger, 'alice');
    await other.capture.close();
    const response = await h.signIn(stranger);
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'unknown_credential' } });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', webauthn: { credential_id: response.id } });
  });

  it("another user's credential presented for a named user fails at stage \"unknown_credential\" with the named user", async () => {
    const { auth: aliceKey } = await registered('alice');
    const bob = await h.register(new SoftAuthenticator(), 'bob');
    const options = await h.hooks.authenticationOptions({ username: 'bob' });
    const response = aliceKey.signIn(ORIGIN, { ...options, allowCredentials: [] });
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'unknown_credential' } });
    expect(onlyEvent(h.capture).user_id).toBe(bob.userId);
  });

  it('a userHandle naming someone else fails at stage "unknown_user" (WebAuthn §7.2 step 6)', async () => {
    const { auth } = await registered('alice');
    const bob = await h.register(new SoftAuthenticator(), 'bob');
    const response = await h.signIn(auth, 'alice');
    const swapped = { ...response, response: { ...response.response, userHandle: bob.userId } };
    const result = await h.hooks.verifyAuthentication(h.ctx, swapped);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'unknown_user' } });
    expect(onlyEvent(h.capture).event_type).toBe('WEBAUTHN_AUTH_FAILURE');
  });

  it('a sign-in that named no user must carry a userHandle: without one it fails at stage "unknown_user" (WebAuthn L3 §7.2 step 6, found by a probe)', async () => {
    const { auth, userId } = await registered('alice');
    for (const userHandle of [undefined, null]) {
      const response = await h.signIn(auth);
      const stripped = { ...response, response: { ...response.response, userHandle } };
      const result = await h.hooks.verifyAuthentication(h.ctx, stripped);
      expect(result).toMatchObject({ verified: false, failure: { stage: 'unknown_user', code: 'WEBAUTHN_UNKNOWN_USER' } });
      expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: userId, webauthn: { failure_stage: 'unknown_user' } });
    }
    // With a user name the user was identified beforehand, and userHandle may be absent (step 6, first case).
    const named = await h.signIn(auth, 'alice');
    const withoutHandle = { ...named, response: { ...named.response, userHandle: undefined } };
    expect(await h.hooks.verifyAuthentication(h.ctx, withoutHandle)).toMatchObject({ verified: true });
  });

  it('a replayed assertion fails at stage "challenge_replayed"', async () => {
    const { auth, userId } = await registered();
    const response = await h.signIn(auth, 'alice');
    expect((await h.hooks.verifyAuthentication(h.ctx, response)).verified).toBe(true);
    onlyEvent(h.capture);
    const again = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(again).toMatchObject({ verified: false, failure: { stage: 'challenge_replayed' } });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: userId, error: { code: 'WEBAUTHN_CHALLENGE_REPLAYED' } });
  });

  it('a replayed assertion of a sign-in without a user name (discoverable credential) names the credential\'s owner (found by a probe)', async () => {
    const { auth, userId } = await registered();
    const response = await h.signIn(auth);
    expect((await h.hooks.verifyAuthentication(h.ctx, response)).verified).toBe(true);
    onlyEvent(h.capture);
    expect(await h.hooks.verifyAuthentication(h.ctx, response)).toMatchObject({ verified: false, failure: { stage: 'challenge_replayed' } });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: userId, error: { code: 'WEBAUTHN_CHALLENGE_REPLAYED' } });
    // A credential no one holds names no one.
    const forged = { ...response, id: 'AAAA', rawId: 'AAAA' };
    await h.hooks.verifyAuthentication(h.ctx, forged);
    expect(onlyEvent(h.capture)).not.toHaveProperty('user_id');
  });

  it('an assertion after the challenge TTL fails at stage "challenge_expired"', async () => {
    const { auth, userId } = await registered();
    const response = await h.signIn(auth, 'alice');
    h.clock.advance(5 * 60_000 + 1);
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'challenge_expired', code: 'WEBAUTHN_CHALLENGE_EXPIRED' } });
    expect(onlyEvent(h.capture).user_id).toBe(userId);
  });

  it('user verification required but absent fails at stage "user_verification"', async () => {
    const { auth, userId } = await registered();
    const withoutUv = auth.clone({ userVerified: false });
    const response = await h.signIn(withoutUv, 'alice');
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'user_verification', code: 'WEBAUTHN_USER_NOT_VERIFIED' } });
    expect(onlyEvent(h.capture)).toMatchObject({ user_id: userId, webauthn: { failure_stage: 'user_verification' } });
  });

  it('with userVerification "preferred" the same assertion succeeds with user_verified false', async () => {
    h = harness({ userVerification: 'preferred' });
    const auth = new SoftAuthenticator();
    await h.register(auth, 'alice');
    const response = await h.signIn(auth.clone({ userVerified: false }), 'alice');
    expect((await h.hooks.verifyAuthentication(h.ctx, response)).verified).toBe(true);
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_SUCCESS', webauthn: { user_verified: false } });
  });

  it('a wrong clientData type fails at stage "type"', async () => {
    const { auth } = await registered();
    const response = rewriteClientData(await h.signIn(auth, 'alice'), { type: 'webauthn.create' });
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'type', code: 'WEBAUTHN_TYPE_MISMATCH' } });
    onlyEvent(h.capture);
  });

  it('a store that fails mid-verification still yields exactly one event (stage "internal") and the error reaches the caller', async () => {
    const { auth, credentialId } = await registered();
    const response = await h.signIn(auth, 'alice');
    const credentials = h.hooks.options.credentials;
    const original = credentials.findById.bind(credentials);
    credentials.findById = () => {
      throw new Error('database is down "secret-dsn"');
    };
    try {
      await expect(h.hooks.verifyAuthentication(h.ctx, response)).rejects.toThrow('database is down');
    } finally {
      credentials.findById = original;
    }
    const event = onlyEvent(h.capture, ['secret-dsn']);
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      // Its class only: a driver's text may hold a host or a connection string.
      error: { code: 'WEBAUTHN_INTERNAL_ERROR', message: "Error in a store or the audit emitter; see the application's logs" },
      webauthn: { failure_stage: 'internal', credential_id: credentialId },
    });
  });

  it('a credential store that gives the public key as text (a JSON column) fails the sign-in as "internal", never as the client\'s malformed response (found by a probe)', async () => {
    const { auth, userId, credentialId } = await registered();
    const store = h.hooks.options.credentials;
    const findById = store.findById.bind(store);
    store.findById = async (id: string) => {
      const found = await findById(id);
      return found && ({ ...found, publicKey: Buffer.from(found.publicKey).toString('base64url') } as never);
    };
    await expect(h.hooks.verifyAuthentication(h.ctx, await h.signIn(auth, 'alice'))).rejects.toMatchObject({
      code: 'WEBAUTHN_HOOKS_CONFIG',
      message: 'the publicKey credentialStore.findById() gave must be a Uint8Array (a Buffer), got a string',
    });
    expect(onlyEvent(h.capture)).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: userId,
      error: { code: 'WEBAUTHN_INTERNAL_ERROR', type: 'WebAuthnHooksError' },
      webauthn: { failure_stage: 'internal', credential_id: credentialId },
    });
  });
});
