/**
 * Express 5 adapter: a router serving the four WebAuthn endpoints.
 * Import from `@audit-trail/webauthn-hooks/express`; express is an optional
 * peer dependency loaded only by this entry.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { CeremonySuccess } from './ceremony/ceremony-result.js';
import { HOOKS_OPTION_KEYS, type WebAuthnHooksOptions } from './config.js';
import { createWebAuthnHooks, type WebAuthnHooks } from './hooks.js';
import { checkAdapterOptions, resolveBodyLimit } from './http/adapter-options.js';
import { connectionPeer } from './http/connection-peer.js';
import { errorAnswer } from './http/error-answer.js';
import { parseJsonBody } from './http/parse-body.js';
import { handleRoute, ROUTES, type HttpAnswer, type RouteName } from './http/routes.js';

/** Options of {@link createWebAuthnRouter}. */
export interface WebAuthnRouterOptions extends WebAuthnHooksOptions {
  /** Largest request body in bytes, a positive integer. Default 256 KiB. */
  bodyLimit?: number | undefined;
  /**
   * Runs after a verification succeeded and was audited, before the answer
   * is sent (e.g. to start a session). What it throws is the app's: it goes
   * to Express's error handling like any route's error.
   */
  onVerified?: ((result: CeremonySuccess, req: Request, res: Response) => void | Promise<void>) | undefined;
}

/** Every option of {@link WebAuthnRouterOptions}; an unknown key is refused (see HOOKS_OPTION_KEYS). */
const ROUTER_OPTION_KEYS = {
  ...HOOKS_OPTION_KEYS,
  bodyLimit: true,
  onVerified: true,
} as const satisfies Record<keyof WebAuthnRouterOptions, true>;

/** An Express router with the audited core it runs on. */
export type WebAuthnRouter = Router & { webauthn: WebAuthnHooks };

/**
 * The request's `correlation.request_id`, as Fastify gives every request
 * `request.id`: the id a logging middleware set on `req.id` (pino-http,
 * express-request-id), so the audit line meets the app's own log lines,
 * else a fresh UUID. An X-Request-Id header is not taken as it is: any
 * client could write another request's id into its own audit line; an app
 * whose proxy sets one can adopt it in such a middleware.
 */
function requestIdOf(req: Request): string {
  const id = (req as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? String(id) : randomUUID();
}

/**
 * Creates the router. Mount it where the page expects it:
 * `app.use('/webauthn', createWebAuthnRouter({...}))` serves
 * `POST /webauthn/registration/options`, `/registration/verify`,
 * `/authentication/options` and `/authentication/verify`.
 *
 * The client IP comes from the socket peer, and from X-Forwarded-For only
 * through `trustedProxies`; Express's own `trust proxy` setting is not
 * consulted, so `trust proxy: true` elsewhere in the app cannot make the
 * audit trail trust a spoofed header.
 */
export function createWebAuthnRouter(options: WebAuthnRouterOptions): WebAuthnRouter {
  checkAdapterOptions(options, ROUTER_OPTION_KEYS);
  const { bodyLimit, onVerified: _onVerified, ...core } = options;
  const hooks = createWebAuthnHooks(core);
  const limit = resolveBodyLimit(bodyLimit);
  // The four paths exactly as written, as Fastify serves them: Express's
  // defaults also matched `/Authentication/Verify` and a trailing slash, so
  // the same request was an audited verification on one adapter and an
  // unaudited 404 on the other.
  const router = express.Router({ caseSensitive: true, strict: true }) as WebAuthnRouter;
  router.webauthn = hooks;
  // Any content type is read as text, so that handleRoute, not the parser,
  // decides: it refuses all but application/json (415, audited on the
  // verify routes), as it does for Fastify (see checkRequestHeaders).
  const text = express.text({ type: () => true, limit });
  // A body express.text cannot read (too large, unknown charset, bad
  // encoding) is not handed to Express's error page: the route still runs,
  // so a verification request is audited (handleRoute's `unreadable`).
  const unreadable = new WeakMap<Request, number>();
  // The peer as the request arrived, before its body is read: a client that
  // stops halfway through the body (a reset, or a half-close short of
  // Content-Length) has left no address to read once the route runs, and
  // its verification was audited without one (see connectionPeer).
  const peers = new WeakMap<Request, ReturnType<typeof connectionPeer>>();
  const readBody = (req: Request, res: Response, next: NextFunction) => {
    peers.set(req, connectionPeer(req.socket));
    text(req, res, (err?: unknown) => {
      const status = (err as { status?: unknown } | undefined)?.status;
      if (err && typeof status === 'number' && status >= 400 && status < 500) unreadable.set(req, status);
      else if (err) return next(err);
      next();
    });
  };
  for (const [name, path] of Object.entries(ROUTES) as [RouteName, string][]) {
    router.post(path, readBody, async (req: Request, res: Response) => {
      let answer: HttpAnswer;
      try {
        answer = await handleRoute(hooks, name, { ...(peers.get(req) ?? connectionPeer(req.socket)), headers: req.headers, requestId: requestIdOf(req) }, parseJsonBody(req.body), unreadable.get(req));
      } catch (err) {
        // A store or the audit logger failed. Express's default handler would
        // log the stack (outside env "test") and, outside production, also
        // send it to the client as an HTML page: keep the log, answer JSON.
        if (req.app.get('env') !== 'test') console.error(err);
        answer = errorAnswer(name, err);
      }
      if (answer.success && options.onVerified) await options.onVerified(answer.success, req, res);
      // onVerified may have answered itself (a redirect, say).
      if (!res.headersSent) res.status(answer.status).json(answer.body);
    });
  }
  return router;
}

export type { CeremonySuccess } from './ceremony/ceremony-result.js';
export type { WebAuthnHooksOptions } from './config.js';
