import { startWith, type RunningExample, type StartOptions } from '@audit-trail/example-webauthn-page';
import { createApp } from './app.js';

export type { RunningExample, StartOptions } from '@audit-trail/example-webauthn-page';

/**
 * Starts the Fastify example: listens first (port 0 picks a free port), then
 * builds {@link createApp} on that server through Fastify's `serverFactory`
 * for origin `http://localhost:<port>` unless `origin` is given. Fastify
 * closes a factory-made server only if it listened itself, so `close()`
 * closes the app first and then the server.
 */
export function startExample(options: StartOptions): Promise<RunningExample> {
  return startWith(async (server, appOptions) => {
    const app = await createApp({ ...appOptions, serverFactory: (handler) => server.on('request', handler) });
    await app.ready();
    return () => app.close();
  }, options);
}
