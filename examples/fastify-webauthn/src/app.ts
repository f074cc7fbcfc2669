import type { AuditEmitter } from '@audit-trail/webauthn-hooks';
import { webauthnPlugin } from '@audit-trail/webauthn-hooks/fastify';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
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
  /** Fastify `serverFactory`: lets a test attach the app to a server that already listens on port 0. */
  serverFactory?: FastifyServerFactory;
}

/**
 * The example service: a page to register and sign in with a passkey, and
 * the audited WebAuthn routes under /webauthn. Importable, so tests and the
 * demo can start it on port 0 with their own logger and origin. Fastify's
 * own request log is off: stdout carries audit lines only.
 */
export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}) });
  await app.register(webauthnPlugin, {
    audit: options.audit,
    rpName: 'audit-trail Fastify example',
    rpID: options.rpID ?? new URL(options.origin).hostname,
    origin: options.origin,
    trustedProxies: options.trustedProxies ?? [],
  });
  for (const [path, asset] of loadAssets()) {
    app.get(path, async (_request, reply) => reply.headers(SECURITY_HEADERS).type(asset.type).send(asset.body));
  }
  return app;
}
