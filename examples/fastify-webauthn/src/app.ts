import { loadAssets, routeOptions, SECURITY_HEADERS, type ExampleAppOptions } from '@audit-trail/example-webauthn-page';
import { webauthnPlugin } from '@audit-trail/webauthn-hooks/fastify';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';

/** Options of {@link createApp}: the shared example options, plus a Fastify server factory. */
export interface AppOptions extends ExampleAppOptions {
  /** Fastify `serverFactory`: lets `startExample` attach the app to a server that already listens on port 0. */
  serverFactory?: FastifyServerFactory;
}

/**
 * The example service on Fastify: the shared passkey page and the audited
 * WebAuthn routes under /webauthn. Importable, so tests and the demo can
 * start it on port 0 with their own logger and origin. Fastify's own request
 * log is off: stdout carries audit lines only.
 */
export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}) });
  await app.register(webauthnPlugin, routeOptions(options, 'audit-trail Fastify example'));
  for (const [path, asset] of loadAssets()) {
    app.get(path, async (_request, reply) => reply.headers(SECURITY_HEADERS).type(asset.type).send(asset.body));
  }
  return app;
}
