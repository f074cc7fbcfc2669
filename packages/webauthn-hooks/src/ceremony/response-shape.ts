import { credentialId, escapeFormatChars, sanitizeText } from '@audit-trail/schema';

/** Longest base64url field accepted from a client (attestation objects with certificate chains fit). */
export const MAX_FIELD_LENGTH = 128 * 1024;
/** WebAuthn §7.1 step 19: credential ids are at most 1023 bytes, i.e. 1364 base64url characters. */
export const MAX_CREDENTIAL_ID_LENGTH = 1364;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** The fields of a client response the hooks read before handing it to SimpleWebAuthn. */
export interface ResponseShape {
  id: string;
  clientDataJSON: string;
  userHandle?: string;
}

/** Decoded `clientDataJSON` (WebAuthn §5.8.1); every value is attacker-controlled. */
export interface ClientData {
  type?: string;
  challenge?: string;
  origin?: string;
  /** WebAuthn L3 §5.8.1 `crossOrigin`: the ceremony ran in a frame of another origin. */
  crossOrigin?: boolean;
  /** WebAuthn L3 §5.8.1 `topOrigin`: the origin of the top-level page, when `crossOrigin`. */
  topOrigin?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isB64(v: unknown, max = MAX_FIELD_LENGTH): v is string {
  return typeof v === 'string' && v.length <= max && BASE64URL.test(v);
}

/**
 * Checks the outer shape of a `RegistrationResponseJSON` or
 * `AuthenticationResponseJSON` and returns the fields the hooks need, or a
 * reason (a constant string: nothing from the input is echoed).
 */
export function checkResponseShape(
  body: unknown,
  ceremony: 'registration' | 'authentication',
): { ok: true; value: ResponseShape } | { ok: false; reason: string } {
  if (!isRecord(body)) return { ok: false, reason: 'response is not a JSON object' };
  const { id, rawId, type, response } = body;
  if (typeof id !== 'string' || id.length === 0) return { ok: false, reason: 'missing credential id' };
  if (!isB64(id) || rawId !== id) return { ok: false, reason: 'credential id is not base64url or differs from rawId' };
  if (type !== 'public-key') return { ok: false, reason: 'credential type is not "public-key"' };
  if (!isRecord(response)) return { ok: false, reason: 'missing response object' };
  if (!isB64(response.clientDataJSON)) return { ok: false, reason: 'clientDataJSON is missing or not base64url' };
  const needed = ceremony === 'registration' ? ['attestationObject'] : ['authenticatorData', 'signature'];
  for (const field of needed) {
    if (!isB64(response[field])) return { ok: false, reason: `${field} is missing or not base64url` };
  }
  const userHandle = response.userHandle;
  if (userHandle !== undefined && userHandle !== null && !isB64(userHandle, 128)) {
    return { ok: false, reason: 'userHandle is not base64url' };
  }
  return {
    ok: true,
    value: { id, clientDataJSON: response.clientDataJSON, ...(typeof userHandle === 'string' ? { userHandle } : {}) },
  };
}

/** Decodes clientDataJSON without trusting it; `undefined` when it is not a JSON object. */
export function decodeClientData(b64: string): ClientData | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const pick = (k: string) => (typeof parsed[k] === 'string' ? (parsed[k] as string) : undefined);
  return {
    type: pick('type'),
    challenge: pick('challenge'),
    origin: pick('origin'),
    ...(typeof parsed.crossOrigin === 'boolean' ? { crossOrigin: parsed.crossOrigin } : {}),
    ...(pick('topOrigin') !== undefined ? { topOrigin: pick('topOrigin') } : {}),
  };
}

/**
 * Where the ceremony ran, as the event records it (WebAuthn L3 §5.8.1):
 * the origin, and `crossOrigin` / `topOrigin` when the client sent them
 * (a frame embedded in another site's page), each made loggable.
 */
export function loggableOrigins(c: ClientData): { origin?: string; cross_origin?: boolean; top_origin?: string } {
  const top = loggableOrigin(c.topOrigin);
  return { origin: loggableOrigin(c.origin), ...(c.crossOrigin !== undefined ? { cross_origin: c.crossOrigin } : {}), ...(top !== undefined ? { top_origin: top } : {}) };
}

/**
 * An origin as it may be logged: control characters removed, Unicode format
 * characters written as `\uNNNN`, at most 512 characters. The client writes
 * it (clientDataJSON is not checked before it is logged), and a real origin
 * is ASCII (HTML "serialization of an origin": hosts in punycode), so a
 * U+202E RIGHT-TO-LEFT OVERRIDE in it is only there to make a log viewer
 * show another origin than the one refused.
 */
export function loggableOrigin(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  const clean = sanitizeText(escapeFormatChars(origin), 512);
  return clean.length > 0 ? clean : undefined;
}

/**
 * The credential id as it may be logged: one the schema's `credential_id`
 * takes (base64url within the WebAuthn limit, never 4k+1 characters), else
 * none. The schema's own rule, so a client's id cannot turn the ceremony's
 * event into a schema violation: an id of 5 characters did, once the schema
 * refused lengths no bytes have. A string only: an array such as ["abc"]
 * would pass a length check and a regex (String(["abc"]) is "abc").
 */
export function loggableCredentialId(id: unknown): string | undefined {
  return typeof id === 'string' && credentialId.safeParse(id).success ? id : undefined;
}
