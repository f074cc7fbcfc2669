import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { afterEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../src/testing/index.js';
import { challengeOf, harness, onlyEvent, ORIGIN, secretsOf, type Harness } from './support/harness.js';
import { counterOf, rewriteCounter } from '../src/testing/index.js';

let h: Harness;
afterEach(async () => {
  await h?.capture.close();
});

/** Registers a passkey, clones the device, and signs in twice with the original (stored counter 2). */
async function clonedDevice(policy?: 'reject' | 'allow') {
  h = harness(policy ? { counterRegression: policy } : {});
  const original = new SoftAuthenticator();
  const reg = await h.register(original, 'alice');
  const clone = original.clone();
  for (let i = 0; i < 2; i++) {
    expect((await h.hooks.verifyAuthentication(h.ctx, await h.signIn(original, 'alice'))).verified).toBe(true);
  }
  h.capture.take();
  return { ...reg, original, clone };
}

describe('signature counter (WebAuthn §6.1.1, §7.2 step 21)', () => {
  it('a validly signed assertion from a cloned authenticator yields WEBAUTHN_COUNTER_REGRESSION and is rejected by default', async () => {
    const { clone, userId, credentialId } = await clonedDevice();
    const response = await h.signIn(clone, 'alice');
    expect(counterOf(response)).toBe(1);
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'counter', code: 'WEBAUTHN_COUNTER_REGRESSION' } });
    const event = onlyEvent(h.capture, secretsOf(response, challengeOf(response)));
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_COUNTER_REGRESSION',
      outcome: 'failure',
      severity: 4,
      user_id: userId,
      client_ip: '203.0.113.7',
      error: { code: 'WEBAUTHN_COUNTER_REGRESSION' },
      webauthn: {
        credential_id: credentialId,
        sign_count: 1,
        stored_sign_count: 2,
        counter_status: 'not_increased',
        signature_valid: true,
        failure_stage: 'counter',
      },
    });
    expect((await h.hooks.options.credentials.findById(credentialId))?.counter).toBe(2);
  });

  it('with counterRegression "allow" the sign-in succeeds, still as one WEBAUTHN_COUNTER_REGRESSION event', async () => {
    const { clone, userId, credentialId } = await clonedDevice('allow');
    const result = await h.hooks.verifyAuthentication(h.ctx, await h.signIn(clone, 'alice'));
    expect(result).toMatchObject({ verified: true, counterRegression: true, user: { id: userId } });
    const event = onlyEvent(h.capture);
    expect(event).toMatchObject({ event_type: 'WEBAUTHN_COUNTER_REGRESSION', outcome: 'success', webauthn: { signature_valid: true } });
    expect(event.error).toBeUndefined();
    // Its counters are the regression its status says (WebAuthn L3 §7.2 step 22), as the schema requires.
    expect(event).toMatchObject({ webauthn: { sign_count: 1, stored_sign_count: 2, counter_status: 'not_increased' } });
    // The stored counter never goes down.
    expect((await h.hooks.options.credentials.findById(credentialId))?.counter).toBe(2);
  });

  it('an authenticator without a signature counter (always 0): each sign-in is a WEBAUTHN_AUTH_SUCCESS, zero_unsupported at counters 0 and 0', async () => {
    h = harness();
    const auth = new SoftAuthenticator({ signCounter: false });
    const { credentialId } = await h.register(auth, 'alice');
    for (let i = 0; i < 2; i++) {
      const response = await h.signIn(auth, 'alice');
      expect(counterOf(response)).toBe(0);
      expect((await h.hooks.verifyAuthentication(h.ctx, response)).verified).toBe(true);
      // The capture parses each line with the schema: these are the counters its status requires (WebAuthn L3 §6.1.1).
      expect(onlyEvent(h.capture)).toMatchObject({
        event_type: 'WEBAUTHN_AUTH_SUCCESS',
        webauthn: { credential_id: credentialId, sign_count: 0, stored_sign_count: 0, counter_status: 'zero_unsupported' },
      });
    }
    expect((await h.hooks.options.credentials.findById(credentialId))?.counter).toBe(0);
  });

  it('an authenticator and its clone signing in at the same moment with the same counter: one success, one WEBAUTHN_COUNTER_REGRESSION', async () => {
    const { original, clone, credentialId } = await clonedDevice();
    // The clone was copied at counter 0: two signatures never sent bring it level with the original.
    for (let i = 0; i < 2; i++) await h.signIn(clone, 'alice');
    const a = await h.signIn(original, 'alice');
    const b = await h.signIn(clone, 'alice');
    expect([counterOf(a), counterOf(b)]).toEqual([3, 3]);
    h.capture.take();
    // Both read stored counter 2 before either stores 3.
    const results = await Promise.all([h.hooks.verifyAuthentication(h.ctx, a), h.hooks.verifyAuthentication(h.ctx, b)]);
    expect(results.map((r) => r.verified).sort()).toEqual([false, true]);
    const events = h.capture.take().events;
    expect(events.map((e) => e.event_type).sort()).toEqual(['WEBAUTHN_AUTH_SUCCESS', 'WEBAUTHN_COUNTER_REGRESSION']);
    expect(events.find((e) => e.event_type === 'WEBAUTHN_COUNTER_REGRESSION')).toMatchObject({ webauthn: { sign_count: 3, stored_sign_count: 3, counter_status: 'not_increased' } });
    expect((await h.hooks.options.credentials.findById(credentialId))?.counter).toBe(3);
  });

  it('the stored counter never goes down when a later assertion finishes verifying first', async () => {
    const { original, credentialId } = await clonedDevice();
    const c3 = await h.signIn(original, 'alice');
    const c4 = await h.signIn(original, 'alice');
    expect([counterOf(c3), counterOf(c4)]).toEqual([3, 4]);
    h.capture.take();
    // c3 reads the credential first but is held back, so c4 stores 4 before c3 would store 3.
    const store = h.hooks.options.credentials;
    const findById = store.findById.bind(store);
    let calls = 0;
    store.findById = async (id: string) => {
      const found = await findById(id);
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 50));
      return found;
    };
    const [r3, r4] = await Promise.all([h.hooks.verifyAuthentication(h.ctx, c3), h.hooks.verifyAuthentication(h.ctx, c4)]);
    expect(r4.verified).toBe(true);
    expect(r3).toMatchObject({ verified: false, failure: { stage: 'counter' } });
    expect((await findById(credentialId))?.counter).toBe(4);
  });

  it('a credential removed while its sign-in was verified (updateCounter matched no row) is an unknown_credential failure, not a regression with a counter above the stored one', async () => {
    const { original, credentialId, userId } = await clonedDevice();
    const response = await h.signIn(original, 'alice');
    expect(counterOf(response)).toBe(3);
    h.capture.take();
    const store = h.hooks.options.credentials;
    // The row is deleted between the read and `UPDATE ... WHERE id = $1 AND counter < $2`.
    store.updateCounter = async () => {
      store.findById = async () => undefined;
      return false;
    };
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'unknown_credential' } });
    expect(onlyEvent(h.capture)).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: userId,
      webauthn: { credential_id: credentialId, failure_stage: 'unknown_credential', signature_valid: true, sign_count: 3, stored_sign_count: 2 },
    });
  });

  it('a store whose updateCounter returns false yet keeps a lower counter is an internal failure that reaches the caller, never a regression event whose counters increased', async () => {
    const { original } = await clonedDevice();
    const response = await h.signIn(original, 'alice');
    h.capture.take();
    h.hooks.options.credentials.updateCounter = async () => false;
    await expect(h.hooks.verifyAuthentication(h.ctx, response)).rejects.toThrow(/updateCounter\(\) returned false, yet the stored counter 2 is below the signed 3/);
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', webauthn: { failure_stage: 'internal' } });
  });

  it('a forged assertion claiming a low counter (not re-signed) is a signature failure, never a clone signal', async () => {
    const { original, userId } = await clonedDevice();
    const genuine = await h.signIn(original, 'alice');
    expect(counterOf(genuine)).toBe(3);
    const forged = rewriteCounter(genuine, 1);
    const result = await h.hooks.verifyAuthentication(h.ctx, forged);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'signature' } });
    const event = onlyEvent(h.capture);
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: userId,
      webauthn: { failure_stage: 'signature', signature_valid: false, sign_count: 1, stored_sign_count: 2 },
    });
    expect(h.capture.ceremonyEvents().some((e) => e.event_type === 'WEBAUTHN_COUNTER_REGRESSION')).toBe(false);

    // Control: handing SimpleWebAuthn the stored counter would have reported this forgery as a
    // counter problem, because the library compares counters before it checks the signature.
    const stored = (await h.hooks.options.credentials.findById(forged.id))!;
    const options = await h.hooks.authenticationOptions({ username: 'alice' });
    const forgedAgain = rewriteCounter(original.signIn(ORIGIN, options), 1);
    await expect(
      verifyAuthenticationResponse({
        response: forgedAgain,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: 'localhost',
        credential: { id: stored.id, publicKey: stored.publicKey as Uint8Array<ArrayBuffer>, counter: stored.counter },
      }),
    ).rejects.toThrow(/counter value 1 was lower than expected 2/);
  });

  it('a credential store that gives the counter as a string (node-postgres reads a BIGINT so) fails the sign-in closed as one "internal" event, never a success recorded as a schema violation (found by a probe)', async () => {
    const { original, userId, credentialId } = await clonedDevice();
    const store = h.hooks.options.credentials;
    const findById = store.findById.bind(store);
    store.findById = async (id: string) => {
      const found = await findById(id);
      return found && ({ ...found, counter: String(found.counter) } as never);
    };
    const response = await h.signIn(original, 'alice');
    // "2" === 0 is false and 3 > "2" coerces: the ceremony went on to an AUTH_SUCCESS draft whose
    // stored_sign_count "2" the schema refuses; a default logger records AUDIT_SCHEMA_VIOLATION in its place.
    await expect(h.hooks.verifyAuthentication(h.ctx, response)).rejects.toMatchObject({
      code: 'WEBAUTHN_HOOKS_CONFIG',
      message: 'the counter credentialStore.findById() gave must be an integer from 0 to 4294967295 (a uint32 signCount; a BIGINT read as a string needs Number()), got a string',
    });
    expect(onlyEvent(h.capture)).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: userId,
      error: { code: 'WEBAUTHN_INTERNAL_ERROR' },
      webauthn: { failure_stage: 'internal', credential_id: credentialId },
    });
    expect((await findById(credentialId))?.counter).toBe(2);
  });

  it('a forged assertion with counter 0 is also only a signature failure', async () => {
    const { original } = await clonedDevice();
    const result = await h.hooks.verifyAuthentication(h.ctx, rewriteCounter(await h.signIn(original, 'alice'), 0));
    expect(result).toMatchObject({ verified: false, failure: { stage: 'signature' } });
    expect(onlyEvent(h.capture).event_type).toBe('WEBAUTHN_AUTH_FAILURE');
  });
});
