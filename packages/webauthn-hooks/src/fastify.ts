/**
 * Fastify 5 adapter: a plugin (fastify-plugin) serving the four WebAuthn
 * endpoints. Import from `@audit-trail/webauthn-hooks/fastify`; fastify is an
 * optional peer dependency loaded only by this entry.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { CeremonySuccess } from './ceremony/ceremony-result.js';
import type { WebAuthnHooksOptions } from './config.js';
import { createWebAuthnHooks, type WebAuthnHooks } from './hooks.js';
import { DEFAULT_BODY_LIMIT, parseJsonBody } from './http/parse-body.js';
import { handleRoute, ROUTES, type RouteName } from './http/routes.js';

/** Options of {@link webauthnPlugin}. */
export interface WebAuthnPluginOptions extends WebAuthnHooksOptions {
  /** Path the four routes are served under. Default `/webauthn`. */
  routePrefix?: string;
  /** Largest request body in bytes. Default 256 KiB. */
  bodyLimit?: number;
  /** Runs after a verification succeeded and was audited, before the answer is sent. */
  onVerified?: (result: CeremonySuccess, request: FastifyRequest, reply: FastifyReply) => void | Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The audited WebAuthn core behind the routes (stores, options). */
    webauthn: WebAuthnHooks;
  }
}

const plugin: FastifyPluginAsync<WebAuthnPluginOptions> = async (fastify, options) => {
  const hooks = createWebAuthnHooks(options);
  // fastify-plugin makes the decorator visible to the app; the routes and
  // their body parser stay in an encapsulated child so they do not change
  // how the rest of the app parses bodies.
  fastify.decorate('webauthn', hooks);
  await fastify.register(
    async (child) => {
      child.removeAllContentTypeParsers();
      child.addContentTypeParser('*', { parseAs: 'string', bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT }, (_req, body, done) => {
        done(null, parseJsonBody(body));
      });
      const parts = (request: FastifyRequest) => ({ peer: request.raw.socket.remoteAddress, headers: request.headers, requestId: request.id });
      // A body the content-type parser could not read (FST_ERR_CTP_*: too
      // large, bad length...) never reaches the route: answer it here, so a
      // verification request is still audited (handleRoute's `unreadable`).
      child.setErrorHandler(async (err: FastifyError, request, reply) => {
        const name = (request.routeOptions.config as { webauthnRoute?: RouteName }).webauthnRoute;
        const status = err.statusCode;
        if (!name || !err.code?.startsWith('FST_ERR_CTP_') || status === undefined || status < 400 || status >= 500) throw err;
        const answer = await handleRoute(hooks, name, parts(request), undefined, status);
        return reply.code(answer.status).send(answer.body);
      });
      for (const [name, path] of Object.entries(ROUTES) as [RouteName, string][]) {
        child.post(path, { config: { webauthnRoute: name } }, async (request, reply) => {
          const answer = await handleRoute(hooks, name, parts(request), request.body);
          if (answer.success && options.onVerified) await options.onVerified(answer.success, request, reply);
          // onVerified may have answered itself (a redirect, say).
          if (reply.sent) return reply;
          return reply.code(answer.status).send(answer.body);
        });
      }
    },
    { prefix: options.routePrefix ?? '/webauthn' },
  );
};

/**
 * The plugin: `await app.register(webauthnPlugin, { audit, rpName, rpID, origin })`.
 * The client IP comes from the socket peer, and from X-Forwarded-For only
 * through `trustedProxies`; Fastify's `trustProxy` is not consulted.
 */
export const webauthnPlugin = fp(plugin, { fastify: '5.x', name: '@audit-trail/webauthn-hooks' });

export default webauthnPlugin;
export type { CeremonySuccess } from './ceremony/ceremony-result.js';
export type { WebAuthnHooksOptions } from './config.js';
