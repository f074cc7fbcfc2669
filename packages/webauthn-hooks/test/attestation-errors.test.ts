import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { afterEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../src/testing/index.js';
import { harness, onlyEvent, ORIGIN, type Harness } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.capture.close();
});

type CBOR = Parameters<typeof isoCBOR.encode>[0];
type AttestationObject = Map<string, CBOR>;

/** The response with its attestation object edited (the `none` format signs nothing, and the others are checked for what they say). */
function editAttestation(r: RegistrationResponseJSON, edit: (att: AttestationObject) => void): RegistrationResponseJSON {
  const att = isoCBOR.decodeFirst<AttestationObject>(Buffer.from(r.response.attestationObject, 'base64url'));
  edit(att);
  return { ...r, response: { ...r.response, attestationObject: Buffer.from(isoCBOR.encode(att)).toString('base64url') } };
}

/** Sets the credential public key's COSE `crv` (-1) in authData (WebAuthn §6.5.1: rpIdHash 32, flags 1, signCount 4, aaguid 16, idLength 2, id, key). */
function withCurve(att: AttestationObject, crv: number): void {
  const authData = Buffer.from(att.get('authData') as Uint8Array);
  const keyAt = 55 + authData.readUInt16BE(53);
  const key = isoCBOR.decodeFirst<Map<number, CBOR>>(authData.subarray(keyAt));
  key.set(-1, crv);
  att.set('authData', Buffer.concat([authData.subarray(0, keyAt), Buffer.from(isoCBOR.encode(key))]));
}

describe('what SimpleWebAuthn throws about a response is the client\'s doing, never WEBAUTHN_INTERNAL_ERROR (found by a probe)', () => {
  it('attestation statements whose errors no rule names fail at stage "attestation"', async () => {
    h = harness();
    // Each: SimpleWebAuthn's message has no word the rules know ("Unexpected ver", "credCert missing extensions"...).
    const statements: Array<[string, Map<string, CBOR>]> = [
      ['tpm', new Map()],
      ['tpm', new Map<string, CBOR>([['ver', '1.0']])],
    ];
    for (const [i, [fmt, attStmt]] of statements.entries()) {
      const genuine = new SoftAuthenticator().register(ORIGIN, await h.hooks.registrationOptions({ username: `user-${i}` }));
      const response = editAttestation(genuine, (att) => {
        att.set('fmt', fmt);
        att.set('attStmt', attStmt);
      });
      const result = await h.hooks.verifyRegistration(h.ctx, response);
      expect(result, fmt).toMatchObject({ verified: false, failure: { stage: 'attestation', code: 'WEBAUTHN_ATTESTATION_INVALID' } });
      expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_REG_FAILURE', webauthn: { failure_stage: 'attestation' } });
    }
  });

  it('a sign-in with a credential whose registered key no verifier knows (attestation "none" checks no key) fails at stage "signature"', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    const genuine = auth.register(ORIGIN, await h.hooks.registrationOptions({ username: 'mallory' }));
    // COSE crv 9 is no curve SimpleWebAuthn verifies with; "alg" stays ES256, which is all §7.1 step 22 asks.
    const registered = await h.hooks.verifyRegistration(h.ctx, editAttestation(genuine, (att) => withCurve(att, 9)));
    expect(registered.verified).toBe(true);
    h.capture.take();
    const result = await h.hooks.verifyAuthentication(h.ctx, await h.signIn(auth, 'mallory'));
    expect(result).toMatchObject({ verified: false, failure: { stage: 'signature', code: 'WEBAUTHN_SIGNATURE_INVALID' } });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', webauthn: { failure_stage: 'signature', signature_valid: null } });
  });
});
