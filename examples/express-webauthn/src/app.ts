import { loadAssets, routeOptions, SECURITY_HEADERS, type ExampleAppOptions } from '@audit-trail/example-webauthn-page';
import { createWebAuthnRouter } from '@audit-trail/webauthn-hooks/express';
import express, { type Express } from 'express';

/** Options of {@link createApp}: the shared example options, nothing Express-specific. */
export type AppOptions = ExampleAppOptions;

/**
 * The example service on Express: the shared passkey page and the audited
 * WebAuthn routes under /webauthn. Importable, so tests and the demo can
 * start it on port 0 with their own logger and origin.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use('/webauthn', createWebAuthnRouter(routeOptions(options, 'audit-trail Express example')));
  for (const [path, asset] of loadAssets()) {
    app.get(path, (_req, res) => void res.set(SECURITY_HEADERS).type(asset.type).send(asset.body));
  }
  return app;
}
