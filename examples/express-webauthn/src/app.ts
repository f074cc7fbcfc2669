import type { AuditEmitter } from '@audit-trail/webauthn-hooks';
import { createWebAuthnRouter } from '@audit-trail/webauthn-hooks/express';
import express, { type Express } from 'express';
import { loadAssets, SECURITY_HEADERS } from './assets.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Where audit lines go; the server passes `createAuditLogger()` (stdout). */
  audit: AuditEmitter;
  /** Exact origin the page is opened at, e.g. `http://localhost:3000`. */
  origin: string;
  /** RP ID; default: the origin's host name. */
  rpID?: string;
  /** Reverse proxies allowed to set X-Forwarded-For (IPs, CIDRs, `loopback`, `private`). Default none. */
  trustedProxies?: string[];
}

/**
 * The example service: a page to register and sign in with a passkey, and
 * the audited WebAuthn routes under /webauthn. Importable, so tests and the
 * demo can start it on port 0 with their own logger and origin.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    '/webauthn',
    createWebAuthnRouter({
      audit: options.audit,
      rpName: 'audit-trail Express example',
      rpID: options.rpID ?? new URL(options.origin).hostname,
      origin: options.origin,
      trustedProxies: options.trustedProxies ?? [],
    }),
  );
  const assets = loadAssets();
  app.get(/^\/(app\.js|style\.css|vendor\/[a-z.-]+\.js)?$/, (req, res, next) => {
    const asset = assets.get(req.path);
    if (!asset) return next();
    res.set(SECURITY_HEADERS).type(asset.type).send(asset.body);
  });
  return app;
}
