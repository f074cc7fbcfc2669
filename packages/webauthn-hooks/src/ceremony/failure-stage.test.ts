import { describe, expect, it } from 'vitest';
import { classifyError, constantPrefix, FAILURE_CODES } from './failure-stage.js';

// Messages as thrown by @simplewebauthn/server 14.0.3 (esm/registration, esm/authentication, esm/helpers).
const CASES: Array<[string, string, string?]> = [
  ['Unexpected authentication response challenge "abc", expected "def"', 'challenge'],
  ['Custom challenge verifier returned false for registration response challenge "abc"', 'challenge'],
  ['Unexpected registration response origin "https://evil", expected "https://good"', 'origin'],
  ['Unexpected authentication response origin "x", expected one of: a, b', 'origin'],
  ['Unexpected cross-origin authentication response top origin of "x", expected: y', 'top_origin'],
  ['Unexpected top origin of "x" within a non-cross-origin authentication response.', 'top_origin'],
  ['Unexpected RP ID hash', 'rp_id', 'UnexpectedRPIDHash'],
  ['User presence was required, but user was not present', 'user_presence'],
  ['User not present during authentication', 'user_presence'],
  ['User verification required, but user could not be verified', 'user_verification'],
  ['User verification was required, but user could not be verified', 'user_verification'],
  ['Unexpected public key alg "-8", expected one of "-7"', 'unsupported_alg'],
  ['Credential public key was missing numeric alg', 'unsupported_alg'],
  ['Single-device credential indicated that it was backed up, which should be impossible.', 'backup_flags', 'InvalidBackupFlags'],
  ['Unsupported Attestation Format: weird', 'attestation'],
  ['None attestation had unexpected attestation statement', 'attestation'],
  ['Unexpected authentication response type: webauthn.create', 'type'],
  ['Unexpected credential type evil\nline, expected "public-key"', 'type'],
  ['Credential ID was not base64url-encoded', 'malformed_response'],
  ['Authenticator data was 3 bytes, expected at least 37 bytes', 'malformed_response'],
  ['Leftover bytes detected while parsing authenticator data', 'malformed_response'],
  ['Error decoding authenticator extensions: Unexpected end of CBOR data', 'malformed_response'],
  ['Response counter value 1 was lower than expected 2', 'counter'],
  ['connection refused', 'internal'],
];

describe('classifyError maps SimpleWebAuthn messages to stages and codes', () => {
  it.each(CASES)('%s -> %s', (message, stage, name) => {
    const err = new Error(message);
    if (name) err.name = name;
    const f = classifyError(err);
    expect(f.stage).toBe(stage);
    expect(f.code).toBe(FAILURE_CODES[f.stage]);
    expect(f.code).toMatch(/^[A-Z][A-Z0-9_]{0,63}$/);
  });

  it('keeps only the constant part of a message: echoed values are dropped', () => {
    expect(constantPrefix('Unexpected authentication response challenge "SECRET", expected "OURS"')).toBe(
      'Unexpected authentication response challenge',
    );
    expect(constantPrefix('Unexpected credential type evil\nline, expected "public-key"')).toBe('Unexpected credential type');
    expect(constantPrefix('Unsupported Attestation Format: \u001b[31mx')).toBe('Unsupported Attestation Format');
    expect(constantPrefix('"')).toBe('verification failed');
  });

  it('non-Error throws are classified as internal with a bounded message', () => {
    const f = classifyError('x'.repeat(10_000));
    expect(f.stage).toBe('internal');
    expect(f.message.length).toBeLessThanOrEqual(512);
  });
});
