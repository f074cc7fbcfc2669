/**
 * Why a request to one of the four routes is refused before anything in it
 * is verified: what a page on another site can make a browser send.
 */
export interface RequestRefusal {
  /** 400 (the connection is gone), 403 (cross-site) or 415 (not a JSON body this service reads). */
  status: 400 | 403 | 415;
  /** `webauthn.failure_stage` when a verification is refused: the page's origin, or the body's framing. */
  stage: 'origin' | 'malformed_response';
  /** Stable `error.code` of the audit event and of the answer. */
  code: 'WEBAUTHN_CONNECTION_CLOSED' | 'WEBAUTHN_CROSS_SITE_REQUEST' | 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE';
  /** Constant text for the audit line (never the header's value: it is the client's). */
  message: string;
}

type Headers = Record<string, string | string[] | undefined>;

/** A header's value; a repeated one joined, as Node joins most, so it matches no single allowed value. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * `application/json`, optionally with `charset=utf-8` (either case, quoted
 * or not), and nothing else. RFC 8259 §8.1: JSON exchanged between systems
 * is UTF-8, and §11 defines no parameter; `charset=utf-8` is tolerated
 * because fetch() users add it. A text/plain, urlencoded or multipart body
 * is what an HTML form on any site can post without a CORS preflight
 * (Fetch, "CORS-safelisted request-header"); requiring application/json
 * means a cross-site page must use fetch(), which the browser preflights
 * (and whose Origin the check below refuses even if the app allows CORS).
 */
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

/**
 * Checks the headers a browser controls and a cross-site page cannot fake:
 *
 * - `Origin` present and not one of the configured WebAuthn origins (the
 *   ones clientDataJSON must name, WebAuthn L3 §7.2, the check of
 *   C.origin): browsers send it on every POST (Fetch, "append a request
 *   `Origin` header"), so a form or fetch() from another page carries that
 *   page's origin, or `null` from a sandboxed frame or a `data:` URL.
 *   A configured origin passes whatever `Sec-Fetch-Site` says: the app's
 *   own page calling these routes on another site (an API host of its
 *   own), as Go's net/http CrossOriginProtection trusts the origins it is
 *   given.
 * - Without `Origin`, `Sec-Fetch-Site: cross-site` (Fetch Metadata, W3C):
 *   the request was started by a page of another site. `same-site`,
 *   `same-origin` and `none` (a user navigation) pass. Clients other than
 *   browsers usually send neither header, and are not refused for that.
 * - `Content-Type` not `application/json` (see JSON_MEDIA_TYPE), or a
 *   `Content-Encoding` other than `identity`: 415 (RFC 9110 §15.5.16).
 *   Express would inflate gzip and decode UTF-16 and Fastify would do
 *   neither, so the same request succeeded on one and failed on the other;
 *   refusing both here makes them read a request alike.
 *
 * Without these, a cross-site `<form enctype="text/plain">` carrying an
 * attacker's own valid assertion signed the victim's browser in as the
 * attacker (login CSRF): the verification itself is sound, since the
 * assertion is the attacker's and clientDataJSON names the right origin.
 */
export function checkRequestHeaders(headers: Headers, origins: readonly string[]): RequestRefusal | undefined {
  const origin = single(headers.origin);
  if (origin !== undefined) {
    if (!origins.includes(origin)) return { status: 403, stage: 'origin', code: 'WEBAUTHN_CROSS_SITE_REQUEST', message: 'request refused: Origin header is not a configured origin' };
  } else {
    const site = single(headers['sec-fetch-site']);
    if (site !== undefined && site.trim().toLowerCase() === 'cross-site') {
      return { status: 403, stage: 'origin', code: 'WEBAUTHN_CROSS_SITE_REQUEST', message: 'request refused: Sec-Fetch-Site is cross-site' };
    }
  }
  const type = single(headers['content-type']);
  if (type === undefined || !JSON_MEDIA_TYPE.test(type.trim())) {
    return { status: 415, stage: 'malformed_response', code: 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE', message: 'request refused: Content-Type is not application/json (charset utf-8)' };
  }
  const encoding = single(headers['content-encoding']);
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return { status: 415, stage: 'malformed_response', code: 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE', message: 'request refused: Content-Encoding is not identity' };
  }
  return undefined;
}

/**
 * A request whose connection the client closed before it was handled (see
 * connectionPeer): no answer can reach anyone, and its client address is
 * unknown. It is not served: an options request issues no challenge (it
 * would count against no client's quota), a verification verifies nothing
 * (a registration would create an account no address is recorded for) and
 * is audited as refused, saying why the event has no `client_ip`.
 */
export const CONNECTION_CLOSED: RequestRefusal = {
  status: 400,
  stage: 'malformed_response',
  code: 'WEBAUTHN_CONNECTION_CLOSED',
  message: 'request refused: the client closed the connection before it was handled; its address is unknown',
};
