import { verifyRegistrationResponse, type AuthenticatorTransport, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { decodeCredentialPublicKey, cose } from '@simplewebauthn/server/helpers';
import { failureDraft, regSuccessDraft, type WebAuthnDetail } from '../audit/drafts.js';
import { OneEvent } from '../audit/one-event.js';
import type { CeremonyResult } from '../ceremony/ceremony-result.js';
import { takeChallenge } from '../ceremony/challenge-check.js';
import type { ResolvedOptions } from '../config.js';
import { classifyError, failQuietly, failure, internalFailure, type CeremonyFailure } from '../ceremony/failure-stage.js';
import { KeyedLock } from '../ceremony/keyed-lock.js';
import type { RequestContext } from '../request/request-context.js';
import { requiresUserVerification } from '../ceremony/user-verification.js';
import {
  checkResponseShape,
  decodeClientData,
  loggableCredentialId,
  loggableOrigins,
  MAX_CREDENTIAL_ID_LENGTH,
} from '../ceremony/response-shape.js';

/** One lock per user store: hooks sharing their stores share it. */
const LOCKS = new WeakMap<object, KeyedLock>();
function lockOf(o: ResolvedOptions): KeyedLock {
  let lock = LOCKS.get(o.users);
  if (!lock) LOCKS.set(o.users, (lock = new KeyedLock()));
  return lock;
}

/** Transport names as logged: known-looking tokens only, each once (see knownTransports), at most 16. */
function loggableTransports(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = [...new Set(value.filter((t): t is string => typeof t === 'string' && /^[a-z-]{1,32}$/.test(t)))].slice(0, 16);
  return out.length > 0 ? out : undefined;
}

const TRANSPORTS = new Set<AuthenticatorTransport>(['ble', 'hybrid', 'internal', 'nfc', 'usb']);

/**
 * Transports as stored and sent back in allowCredentials: WebAuthn §5.8.4
 * values only, each once (getTransports() answers them "without
 * duplicates", WebAuthn L3 §5.2.1.2). The client sends them
 * (`response.transports`, unsigned) and SimpleWebAuthn passes them through
 * as they came: anything but an array of strings counts as none, and
 * `"usb"` 40 000 times was stored so and sent to whoever asked for that
 * user name's sign-in options (found by a probe).
 */
function knownTransports(value: unknown): AuthenticatorTransport[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = [...new Set(value.filter((t): t is AuthenticatorTransport => TRANSPORTS.has(t as AuthenticatorTransport)))];
  return out.length > 0 ? out : undefined;
}

/**
 * Why the stores refused an account whose registration was audited as a
 * success: the name or the credential id now belongs to another user (a
 * replica registered it first). Undefined when they do not say, and the
 * store's error is then reported as an internal failure.
 */
async function refusalBy(o: ResolvedOptions, user: { id: string; name: string }, credId: string): Promise<CeremonyFailure | undefined> {
  const owner = await o.users.findByName(user.name);
  if (owner && owner.id !== user.id) return failure('username_taken', 'user name was registered elsewhere after this registration was audited as a success; that success did not stand');
  const credential = await o.credentials.findById(credId);
  if (credential && credential.userId !== user.id) return failure('credential_exists', 'credential id was registered elsewhere after this registration was audited as a success; that success did not stand');
  return undefined;
}

function coseAlg(publicKey: Uint8Array): number | undefined {
  try {
    const alg = decodeCredentialPublicKey(publicKey as Uint8Array<ArrayBuffer>).get(cose.COSEKEYS.alg);
    return typeof alg === 'number' ? alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a registration response (WebAuthn §7.1) and writes exactly one
 * audit event: WEBAUTHN_REG_SUCCESS, or WEBAUTHN_REG_FAILURE with the stage
 * that failed. SimpleWebAuthn signals failure by throwing (challenge, origin,
 * RP ID, malformed input) or by returning `verified: false` (attestation
 * statement); both end here as a failure. The credential and account are
 * stored only after the success event was written.
 */
export async function verifyRegistration(o: ResolvedOptions, ctx: RequestContext, body: unknown): Promise<CeremonyResult> {
  const one = new OneEvent(o.audit);
  const detail: WebAuthnDetail = {};
  let userId: string | undefined;
  const fail = async (f: CeremonyFailure): Promise<CeremonyResult> => {
    await one.emit(failureDraft('registration', ctx, f, detail, userId));
    return { verified: false, failure: f };
  };
  try {
    const shape = checkResponseShape(body, 'registration');
    if (!shape.ok) {
      detail.credential_id = loggableCredentialId((body as { id?: string } | null)?.id);
      return await fail(failure('malformed_response', shape.reason));
    }
    detail.credential_id = loggableCredentialId(shape.value.id);
    const clientData = decodeClientData(shape.value.clientDataJSON);
    if (!clientData) return await fail(failure('malformed_response', 'clientDataJSON is not a JSON object'));
    Object.assign(detail, loggableOrigins(clientData));
    detail.transports = loggableTransports((body as RegistrationResponseJSON).response.transports);

    const taken = await takeChallenge(o.challenges, clientData.challenge, 'registration', o.now());
    if (taken.record?.ceremony === 'registration') userId = taken.record.userId;
    if (!taken.ok) return await fail(taken.failure);
    const record = taken.record;

    let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      result = await verifyRegistrationResponse({
        response: body as RegistrationResponseJSON,
        expectedChallenge: record.challenge,
        expectedOrigin: o.origins,
        expectedRPID: o.rpID,
        requireUserVerification: requiresUserVerification(o.userVerification),
      });
    } catch (err) {
      // What the rules do not recognise failed while the attestation was checked (see classifyError).
      return await fail(classifyError(err, 'attestation'));
    }
    if (!result.verified) return await fail(failure('attestation', 'attestation statement did not verify'));
    // WebAuthn L3 §7.1 step 10 asks the RP to check topOrigin; SimpleWebAuthn
    // does so for authentication only (v14). No expected top origin is
    // configured here, so a registration run in a frame of another site's
    // page is refused, as an authentication is (stage top_origin).
    // A topOrigin without crossOrigin true is refused too (§7.1 step 10: when topOrigin is
    // present, crossOrigin must be true), as SimpleWebAuthn refuses it for authentication.
    if (clientData.topOrigin !== undefined) {
      // The message names no origin: the client wrote it (the event's top_origin keeps it, escaped).
      return await fail(failure('top_origin', clientData.crossOrigin === true ? 'Unexpected cross-origin registration response top origin' : 'Unexpected top origin within a non-cross-origin registration response'));
    }

    const info = result.registrationInfo;
    const credId = info.credential.id;
    Object.assign(detail, {
      credential_id: loggableCredentialId(credId),
      rp_id: info.rpID,
      aaguid: /^[0-9a-f-]{36}$/.test(info.aaguid) ? info.aaguid : undefined,
      attestation_fmt: info.fmt,
      cose_alg: coseAlg(info.credential.publicKey),
      user_verified: info.userVerified,
      credential_device_type: info.credentialDeviceType,
      credential_backed_up: info.credentialBackedUp,
      sign_count: info.credential.counter,
    } satisfies WebAuthnDetail);
    // The JSON wrapper's id is not signed; SimpleWebAuthn uses the attested one. They must agree.
    if (credId !== shape.value.id) return await fail(failure('malformed_response', 'credential id differs from the attested credential id'));
    // WebAuthn §7.1 step 19; SimpleWebAuthn does not check it.
    if (credId.length > MAX_CREDENTIAL_ID_LENGTH) return await fail(failure('credential_id_too_long', 'credential id longer than 1023 bytes'));
    const user = { id: record.userId!, name: record.userName!, displayName: record.displayName ?? record.userName! };
    // Built before the success event, so nothing computed from the response can fail between the event and the stores.
    const credential = {
      id: credId,
      userId: user.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: knownTransports(info.credential.transports),
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      createdAt: new Date(o.now()).toISOString(),
    };
    // From the checks to the inserts, no other registration of this process may
    // use the name or the credential id: both would pass the checks and be
    // audited as successes before the second insert failed (KeyedLock).
    return await lockOf(o).run([`user:${user.name}`, `credential:${credId}`], async () => {
      // WebAuthn §7.1 step 26: a credential id registered before must not be registered again.
      if (await o.credentials.findById(credId)) return await fail(failure('credential_exists', 'credential id is already registered'));
      if (await o.users.findByName(user.name)) return await fail(failure('username_taken', 'user name was taken during the ceremony'));
      await one.emit(regSuccessDraft(ctx, user.id, { ...detail, credential_id: credId }));
      let created = false;
      try {
        await o.users.create(user);
        created = true;
        await o.credentials.add(credential);
      } catch (err) {
        // The lock covers one process: a replica of the service can store the
        // name between the checks above and these inserts, and the store's
        // unique constraint then refuses ours after our success was written.
        // The trail says so with a failure for the same user and credential.
        const refused = await refusalBy(o, user, credId).catch(() => undefined);
        // An account without its credential keeps the name taken: its owner
        // could neither sign in nor register again. Best effort; the error
        // that matters is the one above.
        if (created && o.users.remove) await (async () => o.users.remove!(user.id))().catch(() => undefined);
        await failQuietly(() => one.retract(failureDraft('registration', ctx, refused ?? internalFailure(err), detail, user.id)));
        if (refused) return { verified: false, failure: refused };
        throw err;
      }
      return { verified: true, user, credentialId: credId } as const;
    });
  } catch (err) {
    // A store or the emitter failed: the verification still owes its one event.
    if (!one.done) await failQuietly(() => fail(internalFailure(err)));
    throw err;
  }
}
