import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { authSuccessDraft, counterRegressionDraft, failureDraft, type WebAuthnDetail } from '../audit/drafts.js';
import { OneEvent } from '../audit/one-event.js';
import type { CeremonyResult } from '../ceremony/ceremony-result.js';
import { takeChallenge } from '../ceremony/challenge-check.js';
import type { ResolvedOptions } from '../config.js';
import { counterStatus } from '../ceremony/counter-policy.js';
import { classifyError, failQuietly, failure, internalFailure, type CeremonyFailure } from '../ceremony/failure-stage.js';
import type { RequestContext } from '../request/request-context.js';
import { requiresUserVerification } from '../ceremony/user-verification.js';
import { checkResponseShape, decodeClientData, loggableCredentialId, loggableOrigins } from '../ceremony/response-shape.js';
import { checkStoredCredential, storedCounter } from '../stores/stored-credential.js';

/**
 * Verifies an authentication response (WebAuthn §7.2) and writes exactly one
 * audit event: WEBAUTHN_AUTH_SUCCESS, WEBAUTHN_AUTH_FAILURE with its stage,
 * or WEBAUTHN_COUNTER_REGRESSION.
 *
 * SimpleWebAuthn compares the counter before it checks the signature, so its
 * counter error can be raised by a forged assertion. The library is
 * therefore called with a stored counter of 0 (its test
 * `(counter > 0 || stored > 0) && counter <= stored` can then never fire) and
 * the counter policy is applied here, only once `verified` proved the
 * signature (schema-anchors R2). The counter is then advanced with the
 * store's atomic compare (`updateCounter`) before the event is written: two
 * assertions verified at once both read the old counter, and only that step
 * tells which came second (a clone, or a counter that would go backwards).
 */
export async function verifyAuthentication(o: ResolvedOptions, ctx: RequestContext, body: unknown): Promise<CeremonyResult> {
  const one = new OneEvent(o.audit);
  const detail: WebAuthnDetail = {};
  let userId: string | undefined;
  const fail = async (f: CeremonyFailure): Promise<CeremonyResult> => {
    await one.emit(failureDraft('authentication', ctx, f, detail, userId));
    return { verified: false, failure: f };
  };
  try {
    const shape = checkResponseShape(body, 'authentication');
    if (!shape.ok) {
      detail.credential_id = loggableCredentialId((body as { id?: string } | null)?.id);
      return await fail(failure('malformed_response', shape.reason));
    }
    const { id, clientDataJSON, userHandle } = shape.value;
    detail.credential_id = loggableCredentialId(id);
    const clientData = decodeClientData(clientDataJSON);
    if (!clientData) return await fail(failure('malformed_response', 'clientDataJSON is not a JSON object'));
    Object.assign(detail, loggableOrigins(clientData));

    const taken = await takeChallenge(o.challenges, clientData.challenge, 'authentication', o.now());
    if (taken.record?.ceremony === 'authentication') userId = taken.record.userId;
    if (!taken.ok) {
      // A replayed, expired or foreign challenge of a sign-in without a user
      // name (discoverable credential): the credential it names tells whose
      // account the attempt was on, and a replayed assertion is the one to
      // attribute. The id is the client's claim, as a user name would be.
      if (userId === undefined && detail.credential_id !== undefined) userId = (await o.credentials.findById(detail.credential_id))?.userId;
      return await fail(taken.failure);
    }
    const record = taken.record;

    const credential = await o.credentials.findById(id);
    if (!credential) return await fail(failure('unknown_credential', 'credential is not registered'));
    if (record.userId !== undefined && credential.userId !== record.userId) {
      return await fail(failure('unknown_credential', 'credential is not registered to the requested user'));
    }
    userId = credential.userId;
    // Checked before it is used: a counter that is not a uint32 number (a BIGINT read as a string),
    // or a public key that is not bytes, fails closed here as internal, not as the client's fault.
    const storedCount = checkStoredCredential(credential).counter;
    detail.stored_sign_count = storedCount;
    // WebAuthn L3 §7.2 step 6: when the user was not identified before the
    // ceremony (no user name, so the challenge names no user), the response
    // must carry a userHandle; when present, it must name the credential's owner.
    if (record.userId === undefined && userHandle === undefined) {
      return await fail(failure('unknown_user', 'userHandle is missing from a sign-in that identified no user beforehand'));
    }
    if (userHandle !== undefined && userHandle !== credential.userId) {
      return await fail(failure('unknown_user', 'userHandle does not name the owner of the credential'));
    }
    const user = await o.users.findById(credential.userId);
    if (!user) return await fail(failure('unknown_user', 'the owner of the credential no longer exists'));

    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      result = await verifyAuthenticationResponse({
        response: body as AuthenticationResponseJSON,
        expectedChallenge: record.challenge,
        expectedOrigin: o.origins,
        expectedRPID: o.rpID,
        credential: {
          id: credential.id,
          publicKey: credential.publicKey as Uint8Array<ArrayBuffer>,
          counter: 0,
          transports: credential.transports,
        },
        requireUserVerification: requiresUserVerification(o.userVerification),
      });
    } catch (err) {
      detail.signature_valid = null;
      // What the rules do not recognise failed while the signature was checked
      // with the key the client registered (an unknown curve, say; see classifyError).
      return await fail(classifyError(err, 'signature'));
    }
    const info = result.authenticationInfo;
    Object.assign(detail, {
      rp_id: info.rpID,
      sign_count: info.newCounter,
      user_verified: info.userVerified,
      credential_device_type: info.credentialDeviceType,
      credential_backed_up: info.credentialBackedUp,
      signature_valid: result.verified,
    } satisfies WebAuthnDetail);
    if (!result.verified) return await fail(failure('signature', 'assertion signature did not verify'));

    let status = counterStatus(storedCount, info.newCounter);
    let stored = storedCount;
    if (status === 'increased' && !(await o.credentials.updateCounter(credential.id, info.newCounter))) {
      // Another sign-in with this credential moved the counter to or past
      // ours meanwhile, or the credential is gone (the UPDATE matched no row).
      // The event states the counters it read again: a regression event
      // whose sign_count is above its stored_sign_count contradicts itself
      // (the schema refuses it, WebAuthn L3 §7.2 step 22), which the old
      // counter of a removed credential made it.
      const now = await o.credentials.findById(credential.id);
      if (!now) return await fail(failure('unknown_credential', 'credential was removed while the sign-in was verified'));
      stored = storedCounter(now.counter);
      status = counterStatus(stored, info.newCounter);
      if (status !== 'not_increased') {
        // Neither a success (the counter was not stored) nor a regression: the store broke its contract.
        throw new Error(`credentialStore.updateCounter() returned false, yet the stored counter ${stored} is below the signed ${info.newCounter}: it must store a greater counter and return true`);
      }
    }
    const proven = { ...detail, credential_id: credential.id, sign_count: info.newCounter, stored_sign_count: stored };
    if (status === 'not_increased') {
      const rejected = o.counterRegression === 'reject';
      await one.emit(counterRegressionDraft(ctx, user.id, proven, rejected));
      if (rejected) return { verified: false, failure: failure('counter', 'signature counter did not increase') };
      return { verified: true, user, credentialId: credential.id, counterRegression: true };
    }
    await one.emit(authSuccessDraft(ctx, user.id, { ...proven, user_verified: info.userVerified, counter_status: status }));
    return { verified: true, user, credentialId: credential.id };
  } catch (err) {
    if (!one.done) await failQuietly(() => fail(internalFailure(err)));
    throw err;
  }
}
