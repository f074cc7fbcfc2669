import { MAX_USER_AGENT_LENGTH, sanitizeText } from '@audit-trail/schema';
import { resolveClientAddress, type ClientAddress, type TrustedProxies } from './client-ip.js';
import { headerText } from './header-text.js';

/**
 * What the hooks need to know about the HTTP request behind a ceremony.
 * Framework adapters build it; the core never sees a framework object.
 */
export interface RequestContext extends ClientAddress {
  /** Sanitised User-Agent, at most 1024 characters. */
  user_agent?: string;
  /** Set when the User-Agent was longer than 1024 characters and was cut. */
  user_agent_truncated?: boolean;
  /** Request id (Fastify `request.id`; Express `req.id` or a UUID), when it is a safe identifier. */
  request_id?: string;
}

/** The raw parts of a request a {@link RequestContext} is made from. */
export interface RawRequestParts {
  /** `socket.remoteAddress`. */
  peer: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  requestId?: string | undefined;
  /**
   * The client closed (reset) the connection before the request was handled,
   * so its address can no longer be read; the adapters set it, and the
   * request is refused (`WEBAUTHN_CONNECTION_CLOSED`, see handleRoute).
   */
  closed?: boolean | undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Builds the request context: client address through the trusted-proxy list,
 * User-Agent decoded as UTF-8 where its bytes are (headerText), bounded and
 * stripped of control characters (it is attacker text), request id kept only
 * when it is a plain identifier.
 */
export function buildRequestContext(parts: RawRequestParts, proxies: TrustedProxies): RequestContext {
  const ctx: RequestContext = resolveClientAddress(parts.peer, parts.headers['x-forwarded-for'], proxies);
  const sent = first(parts.headers['user-agent']);
  const ua = sent && headerText(sent);
  if (ua) {
    const clean = sanitizeText(ua, MAX_USER_AGENT_LENGTH);
    if (clean.length > 0) ctx.user_agent = clean;
    if (ua.length > MAX_USER_AGENT_LENGTH) ctx.user_agent_truncated = true;
  }
  if (parts.requestId && /^[A-Za-z0-9._:-]{1,128}$/.test(parts.requestId)) ctx.request_id = parts.requestId;
  return ctx;
}
