import { startWith, type RunningExample, type StartOptions } from '@audit-trail/example-webauthn-page';
import { createApp } from './app.js';

export type { RunningExample, StartOptions } from '@audit-trail/example-webauthn-page';

/**
 * Starts the Express example: listens first (port 0 picks a free port), then
 * handles the server's requests with {@link createApp} for origin
 * `http://localhost:<port>` unless `origin` is given.
 */
export function startExample(options: StartOptions): Promise<RunningExample> {
  return startWith((server, appOptions) => void server.on('request', createApp(appOptions)), options);
}
