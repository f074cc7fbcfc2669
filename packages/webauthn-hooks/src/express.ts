/**
 * Express 5 adapter: a router serving the four WebAuthn endpoints.
 * Import from `@audit-trail/webauthn-hooks/express`; express is an optional
 * peer dependency loaded only by this entry.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { CeremonySuccess } from './ceremony/ceremony-result.js';
import type { WebAuthnHooksOptions } from './config.js';
import { createWebAuthnHooks, type WebAuthnHooks } from './hooks.js';
import { DEFAULT_BODY_LIMIT, parseJsonBody } from './http/parse-body.js';
import { handleRoute, ROUTES, type RouteName } from './http/routes.js';

/** Options of {@link createWebAuthnRouter}. */
export interface WebAuthnRouterOptions extends WebAuthnHooksOptions {
  /** Largest request body in bytes. Default 256 KiB. */
  bodyLimit?: number;
  /** Runs after a verification succeeded and was audited, before the answer is sent (e.g. to start a session). */
  onVerified?: (result: CeremonySuccess, req: Request, res: Response) => void | Promise<void>;
}

/** An Express router with the audited core it runs on. */
export type WebAuthnRouter = Router & { webauthn: WebAuthnHooks };

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
  const hooks = createWebAuthnHooks(options);
  const router = express.Router() as WebAuthnRouter;
  router.webauthn = hooks;
  // Any content type is read as text and parsed here (see parseJsonBody).
  const text = express.text({ type: () => true, limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT });
  // A body express.text cannot read (too large, unknown charset, bad
  // encoding) is not handed to Express's error page: the route still runs,
  // so a verification request is audited (handleRoute's `unreadable`).
  const unreadable = new WeakMap<Request, number>();
  const readBody = (req: Request, res: Response, next: NextFunction) =>
    text(req, res, (err?: unknown) => {
      const status = (err as { status?: unknown } | undefined)?.status;
      if (err && typeof status === 'number' && status >= 400 && status < 500) unreadable.set(req, status);
      else if (err) return next(err);
      next();
    });
  for (const [name, path] of Object.entries(ROUTES) as [RouteName, string][]) {
    router.post(path, readBody, async (req: Request, res: Response) => {
      const answer = await handleRoute(
        hooks,
        name,
        { peer: req.socket.remoteAddress, headers: req.headers },
        parseJsonBody(req.body),
        unreadable.get(req),
      );
      if (answer.success && options.onVerified) await options.onVerified(answer.success, req, res);
      // onVerified may have answered itself (a redirect, say).
      if (!res.headersSent) res.status(answer.status).json(answer.body);
    });
  }
  return router;
}

export type { CeremonySuccess } from './ceremony/ceremony-result.js';
export type { WebAuthnHooksOptions } from './config.js';
