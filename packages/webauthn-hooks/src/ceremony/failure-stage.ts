import { sanitizeText, type failureStageSchema } from '@audit-trail/schema';
import type { z } from 'zod';

/** The step of a ceremony that failed (`webauthn.failure_stage`). */
export type FailureStage = z.infer<typeof failureStageSchema>;

/** A classified ceremony failure, ready for the `error` block of an audit event. */
export interface CeremonyFailure {
  stage: FailureStage;
  /** Stable UPPER_SNAKE code (`error.code`), what analysts group by. */
  code: string;
  /** Sanitised, bounded, with nothing the client sent echoed back. */
  message: string;
  /** Name of the error class the library threw, when it threw. */
  type?: string;
}

/** Stable error code of each failure stage. */
export const FAILURE_CODES: Record<FailureStage, string> = {
  malformed_response: 'WEBAUTHN_MALFORMED_RESPONSE',
  challenge: 'WEBAUTHN_CHALLENGE_MISMATCH',
  challenge_replayed: 'WEBAUTHN_CHALLENGE_REPLAYED',
  challenge_expired: 'WEBAUTHN_CHALLENGE_EXPIRED',
  origin: 'WEBAUTHN_ORIGIN_MISMATCH',
  top_origin: 'WEBAUTHN_TOP_ORIGIN_MISMATCH',
  rp_id: 'WEBAUTHN_RP_ID_MISMATCH',
  type: 'WEBAUTHN_TYPE_MISMATCH',
  user_presence: 'WEBAUTHN_USER_NOT_PRESENT',
  user_verification: 'WEBAUTHN_USER_NOT_VERIFIED',
  attestation: 'WEBAUTHN_ATTESTATION_INVALID',
  unsupported_alg: 'WEBAUTHN_UNSUPPORTED_ALG',
  backup_flags: 'WEBAUTHN_BACKUP_FLAGS_INVALID',
  unknown_credential: 'WEBAUTHN_UNKNOWN_CREDENTIAL',
  unknown_user: 'WEBAUTHN_UNKNOWN_USER',
  credential_exists: 'WEBAUTHN_CREDENTIAL_EXISTS',
  username_taken: 'WEBAUTHN_USERNAME_TAKEN',
  signature: 'WEBAUTHN_SIGNATURE_INVALID',
  counter: 'WEBAUTHN_COUNTER_REGRESSION',
  credential_id_too_long: 'WEBAUTHN_CREDENTIAL_ID_TOO_LONG',
  internal: 'WEBAUTHN_INTERNAL_ERROR',
};

/**
 * SimpleWebAuthn 14 throws plain `Error`s; their messages are the only way to
 * tell the checks of WebAuthn §7.1/§7.2 apart. Order matters: "top origin"
 * before "origin", "response type" before anything mentioning a type.
 * (@simplewebauthn/server esm/registration/verifyRegistrationResponse.js,
 * esm/authentication/verifyAuthenticationResponse.js, helpers/*.js.)
 */
const RULES: ReadonlyArray<readonly [RegExp, FailureStage]> = [
  [/response type|credential type/i, 'type'],
  [/challenge/i, 'challenge'],
  [/top origin|cross-origin/i, 'top_origin'],
  [/response origin/i, 'origin'],
  [/RP ID hash/i, 'rp_id'],
  [/user presence|user not present/i, 'user_presence'],
  [/user verification/i, 'user_verification'],
  [/public key alg|numeric alg|does not support use of/i, 'unsupported_alg'],
  [/backed up|backup/i, 'backup_flags'],
  [/counter value/i, 'counter'],
  [/attestation|x5c|certificate|attStmt|safetynet|tpm|^CRL /i, 'attestation'],
  [
    /credential id|base64url|clientDataJSON|authenticator data|authenticatorData|authenticator extensions|leftover bytes|tokenBinding|missing response|no public key|AAGUID|CBOR|JSON/i,
    'malformed_response',
  ],
  // @levischuck/tiny-cbor (SimpleWebAuthn's CBOR decoder) on bytes that are not CBOR.
  [/^(?:Length not supported|No data|Not implemented|Float16 data is unsupported|array is not supported|Unsupported or not well formed|Data was decoded, but the whole stream)|is not supported or well formed/, 'malformed_response'],
  // asn1js and @peculiar/asn1-schema on a signature or certificate that is not DER, and
  // SimpleWebAuthn's own ECDSA unwrapping: the client's bytes (found by a probe).
  [/^(?:Zero buffer length|End of input reached|Data does not match to .* ASN1 schema|Invalid signature component length)/, 'malformed_response'],
];

/** Error class names the library uses for specific checks. */
const BY_NAME: Record<string, FailureStage> = {
  UnexpectedRPIDHash: 'rp_id',
  InvalidBackupFlags: 'backup_flags',
  SyntaxError: 'malformed_response',
  // Decoding nested CBOR the client sent (90 000 nested arrays) overflows the stack: its bytes, not us.
  RangeError: 'malformed_response',
  // A decoded value of the wrong kind (authData sent as CBOR text, a map without a member the
  // library reads): the response is checked for shape before, the stores are not called inside
  // verify*Response, so what throws this there is the client's structure (found by a probe).
  TypeError: 'malformed_response',
  AsnSchemaValidationError: 'malformed_response',
};

/**
 * Library messages that echo a value without quoting it: only the prefix is
 * kept. The values come from the response (a COSE `alg` may be any CBOR
 * value, text included), so without the prefix a client chose the rest of
 * the message, and through it the stage and the code ("... invalid alg
 * Response counter value reset" read as a counter regression). Every
 * template of @simplewebauthn/server that interpolates before any quote or
 * ": " is here; failure-stage.test.ts checks the installed library's
 * templates against this list.
 */
const UNQUOTED_ECHO = [
  'Unexpected credential type',
  'Unexpected tokenBinding status',
  'Unexpected public key alg',
  'Unexpected public key exp',
  'Response counter value',
  'Authenticator data was',
  'Attestation statement alg',
  'Attestation statement contained invalid alg',
  'Certificate public key contained unexpected algorithm ID',
  'Certificate public key contained unexpected namedCurve',
  'Could not map COSE alg value of',
  'Credential public key with kty',
  'Invalid signature component length',
  'JWT verification with public key of kty',
  'Latest BLOB no.',
  'Public key had invalid alg',
  'Public key parameters',
  'Signature verification with public key of kty',
  'Unable to map X.509 signature algorithm',
  'Unexpected COSE crv value of',
  'Unexpected RSA key algorithm',
  'Unexpected TPM attested name alg',
  'unknown COSE curve',
  'CRL from',
  'Certificate extension id-fido-gen-ce-aaguid',
  // @levischuck/tiny-cbor
  'Data was decoded, but the whole stream was not processed',
  'Unsupported or not well formed at',
];

/**
 * The part of a library message that the library itself wrote: everything up
 * to the first quote or ": " is a constant; what follows echoes values from
 * the response (challenges, origins, formats) and is never logged here.
 */
export function constantPrefix(message: string): string {
  const known = UNQUOTED_ECHO.find((prefix) => message.startsWith(prefix));
  if (known) return known;
  const cut = message.search(/"|: /);
  const head = (cut === -1 ? message : message.slice(0, cut)).trim().replace(/[,:]$/, '');
  return sanitizeText(head, 200) || 'verification failed';
}

/** A failure the hooks detected themselves (not thrown by the library). */
export function failure(stage: FailureStage, message: string): CeremonyFailure {
  return { stage, code: FAILURE_CODES[stage], message: sanitizeText(message, 512) };
}

/**
 * Maps whatever `verify*Response` threw to a stage, a code and a safe message.
 * `fallback` is the stage of an error no rule recognises. The ceremonies pass
 * the check that was running: SimpleWebAuthn is given only the client's
 * response, the configuration and (for a sign-in) the public key the client
 * registered, never a store or the logger, so what it throws is about the
 * client's bytes. Left at `internal`, a TPM attestation with a wrong `ver`,
 * an Apple one whose nonce differs, or a sign-in with a credential whose
 * registered key has an unknown curve (SimpleWebAuthn's messages for those
 * have no word the rules know) was audited and answered as
 * WEBAUTHN_INTERNAL_ERROR, which says a store or the logger failed, at any
 * client's will (found by a probe).
 */
export function classifyError(err: unknown, fallback: FailureStage = 'internal'): CeremonyFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const message = constantPrefix(e.message);
  let stage: FailureStage | undefined = BY_NAME[e.name];
  stage ??= RULES.find(([re]) => re.test(message))?.[1];
  stage ??= fallback;
  const type = sanitizeText(e.name || 'Error', 128) || 'Error';
  return { stage, code: FAILURE_CODES[stage], message, type };
}

/**
 * A store or emitter threw mid-verification: stage `internal`, and a fixed
 * message naming the error's class and system code (`ECONNREFUSED`), never
 * its text: a driver's message may hold a host, a connection string or a
 * password, and the audit trail keeps events for years.
 */
export function internalFailure(err: unknown): CeremonyFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const type = sanitizeText(e.name || 'Error', 128) || 'Error';
  const code = (e as { code?: unknown }).code;
  const sys = typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code) ? ` (${code})` : '';
  return { stage: 'internal', code: FAILURE_CODES.internal, message: `${type}${sys} in a store or the audit emitter; see the application's logs`, type };
}

/**
 * Runs the last-resort audit of a failed verification; if that throws or
 * rejects too (the emitter is what failed), the original error is the one
 * to report.
 */
export async function failQuietly(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch {
    // The caller rethrows the original error.
  }
}
