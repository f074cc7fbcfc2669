import type { AuditEmitter } from '@audit-trail/webauthn-hooks';

/** What every example app is built from, whatever its framework. */
export interface ExampleAppOptions {
  /** Where audit lines go; `npm start` passes `createAuditLogger()` (stdout). */
  audit: AuditEmitter;
  /** Exact origin the page is opened at, e.g. `http://localhost:3000`. */
  origin: string;
  /** RP ID; default: the origin's host name. */
  rpID?: string;
  /** Reverse proxies allowed to set X-Forwarded-For (IPs, CIDRs, `loopback`, `private`). Default none. */
  trustedProxies?: string[];
}

/** The options both the Express router and the Fastify plugin of `@audit-trail/webauthn-hooks` take. */
export interface ExampleRouteOptions {
  audit: AuditEmitter;
  rpName: string;
  rpID: string;
  origin: string;
  trustedProxies: string[];
}

/**
 * Fills the defaults once for both frameworks: the RP ID is the origin's host
 * (WebAuthn §5.1.4.1: an RP ID must be a registrable suffix of the origin's
 * effective domain) and no proxy is trusted unless listed.
 */
export function routeOptions(options: ExampleAppOptions, rpName: string): ExampleRouteOptions {
  return {
    audit: options.audit,
    rpName,
    rpID: options.rpID ?? new URL(options.origin).hostname,
    origin: options.origin,
    trustedProxies: options.trustedProxies ?? [],
  };
}
