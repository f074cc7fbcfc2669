/**
 * Fastify 5 adapter: a plugin (fastify-plugin) serving the four WebAuthn
 * endpoints. Import from `@audit-trail/webauthn-hooks/fastify`; fastify is an
 * optional peer dependency loaded only by this entry.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { CeremonySuccess } from './ceremony/ceremony-result.js';
import { HOOKS_OPTION_KEYS, type WebAuthnHooksOptions } from './config.js';
import { createWebAuthnHooks, type WebAuthnHooks } from './hooks.js';
import { checkAdapterOptions, resolveBodyLimit, resolveRoutePrefix } from './http/adapter-options.js';
import { connectionPeer } from './http/connection-peer.js';
import { errorAnswer } from './http/error-answer.js';
import { parseJsonBody } from './http/parse-body.js';
import { handleRoute, ROUTES, type HttpAnswer, type RouteName } from './http/routes.js';

/** Options of {@link webauthnPlugin}. */
export interface WebAuthnPluginOptions extends WebAuthnHooksOptions {
  /** Path the four routes are served under: `""` or a path starting with `/`. Default `/webauthn`. */
  routePrefix?: string | undefined;
  /** Largest request body in bytes, a positive integer. Default 256 KiB. */
  bodyLimit?: number | undefined;
  /**
   * Runs after a verification succeeded and was audited, before the answer
   * is sent. What it throws is the app's: it goes to Fastify's error handling.
   */
  onVerified?: ((result: CeremonySuccess, request: FastifyRequest, reply: FastifyReply) => void | Promise<void>) | undefined;
}

/** Every option of {@link WebAuthnPluginOptions}; an unknown key is refused (see HOOKS_OPTION_KEYS). */
const PLUGIN_OPTION_KEYS = {
  ...HOOKS_OPTION_KEYS,
  routePrefix: true,
  bodyLimit: true,
  onVerified: true,
} as const satisfies Record<keyof WebAuthnPluginOptions, true>;

/**
 * register()'s own options reach the plugin too, but fastify-plugin shares
 * the parent's context and ignores them: refused, so the routes do not
 * silently stay at `/webauthn` (or at the parent's log level).
 */
const REGISTER_OPTION_HINTS = {
  prefix: 'fastify-plugin ignores register\'s prefix; use routePrefix',
  logLevel: 'fastify-plugin ignores register\'s logLevel; set it on the app',
  logSerializers: 'fastify-plugin ignores register\'s logSerializers; set them on the app',
};

declare module 'fastify' {
  interface FastifyInstance {
    /** The audited WebAuthn core behind the routes (stores, options). */
    webauthn: WebAuthnHooks;
  }
}

/**
 * The 4xx status of an error Fastify raised reading a request's body, or
 * undefined for any other: FST_ERR_CTP_* (too large, a bad length...), or
 * ECONNRESET with Fastify's 400 (the client aborted the body halfway, which
 * Express's reader reports as its own 400). What reaches the error handler
 * may be the app's (onVerified, its hooks): a code that is not a string (a
 * gRPC status), or no Error at all, is read without a TypeError.
 */
function unreadableBodyStatus(err: unknown): number | undefined {
  const { code, statusCode: status } = (err ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !(code.startsWith('FST_ERR_CTP_') || code === 'ECONNRESET')) return undefined;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

const plugin: FastifyPluginAsync<WebAuthnPluginOptions> = async (fastify, options) => {
  checkAdapterOptions(options, PLUGIN_OPTION_KEYS, REGISTER_OPTION_HINTS);
  const { routePrefix, bodyLimit, onVerified: _onVerified, ...core } = options;
  const hooks = createWebAuthnHooks(core);
  const limit = resolveBodyLimit(bodyLimit);
  const prefix = resolveRoutePrefix(routePrefix);
  // A store or the audit logger failed: logged as Fastify's default handler
  // would, answered with errorAnswer (JSON, no error message or stack).
  const answerError = (request: FastifyRequest, name: RouteName, err: unknown): HttpAnswer => {
    request.log.error({ err }, 'webauthn route failed');
    return errorAnswer(name, err);
  };
  // fastify-plugin makes the decorator visible to the app; the routes and
  // their body parser stay in an encapsulated child so they do not change
  // how the rest of the app parses bodies.
  fastify.decorate('webauthn', hooks);
  await fastify.register(
    async (child) => {
      // Every content type reaches handleRoute, which refuses all but
      // application/json (415, audited on the verify routes), as it does for
      // Express (see checkRequestHeaders).
      child.removeAllContentTypeParsers();
      child.addContentTypeParser('*', { parseAs: 'string', bodyLimit: limit }, (_req, body, done) => {
        done(null, parseJsonBody(body));
      });
      // The peer as the request arrived (onRequest runs before the body is
      // read): a client that stops halfway through the body has left no
      // address to read once the route or the error handler runs, and its
      // verification was audited without one (see connectionPeer).
      const peers = new WeakMap<FastifyRequest, ReturnType<typeof connectionPeer>>();
      child.addHook('onRequest', async (request) => {
        peers.set(request, connectionPeer(request.raw.socket));
      });
      const parts = (request: FastifyRequest) => ({ ...(peers.get(request) ?? connectionPeer(request.raw.socket)), headers: request.headers, requestId: request.id });
      // A body the content-type parser could not read never reaches the
      // route: answer it here, so a verification request is still audited
      // (handleRoute's `unreadable`). Anything else is the app's to handle.
      child.setErrorHandler(async (err: FastifyError, request, reply) => {
        const name = (request.routeOptions.config as { webauthnRoute?: RouteName }).webauthnRoute;
        const status = unreadableBodyStatus(err);
        if (!name || status === undefined) throw err;
        const answer = await handleRoute(hooks, name, parts(request), undefined, status).catch((e: unknown) => answerError(request, name, e));
        return reply.code(answer.status).send(answer.body);
      });
      for (const [name, path] of Object.entries(ROUTES) as [RouteName, string][]) {
        child.post(path, { config: { webauthnRoute: name } }, async (request, reply) => {
          const answer = await handleRoute(hooks, name, parts(request), request.body).catch((e: unknown) => answerError(request, name, e));
          if (answer.success && options.onVerified) await options.onVerified(answer.success, request, reply);
          // onVerified may have answered itself (a redirect, say).
          if (reply.sent) return reply;
          return reply.code(answer.status).send(answer.body);
        });
      }
    },
    { prefix },
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
