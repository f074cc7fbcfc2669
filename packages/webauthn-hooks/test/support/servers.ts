import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { createWebAuthnRouter, type WebAuthnRouterOptions } from '../../src/express.js';
import { webauthnPlugin, type WebAuthnPluginOptions } from '../../src/fastify.js';
import type { CeremonySuccess, WebAuthnHooks } from '../../src/index.js';

/** A running server on 127.0.0.1 with an ephemeral port. */
export interface RunningServer {
  name: string;
  /** Base URL of the four routes, e.g. http://127.0.0.1:40123/webauthn */
  base: string;
  hooks: WebAuthnHooks;
  verified: CeremonySuccess[];
  close(): Promise<void>;
}

type Options = WebAuthnRouterOptions & WebAuthnPluginOptions;

/** Express app with the router at /webauthn. `appTrustsAllProxies` sets Express's own `trust proxy` to true. */
export async function startExpress(options: Options, appTrustsAllProxies = false): Promise<RunningServer> {
  const verified: CeremonySuccess[] = [];
  const app = express();
  if (appTrustsAllProxies) app.set('trust proxy', true);
  const router = createWebAuthnRouter({ ...options, onVerified: (r) => void verified.push(r) });
  app.use('/webauthn', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  return {
    name: 'express',
    base: `http://127.0.0.1:${port}/webauthn`,
    hooks: router.webauthn,
    verified,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Fastify app with the plugin at /webauthn. `appTrustsAllProxies` sets Fastify's own `trustProxy` to true. */
export async function startFastify(options: Options, appTrustsAllProxies = false): Promise<RunningServer> {
  const verified: CeremonySuccess[] = [];
  const app = Fastify({ trustProxy: appTrustsAllProxies });
  await app.register(webauthnPlugin, { ...options, onVerified: (r) => void verified.push(r) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    name: 'fastify',
    base: `http://127.0.0.1:${port}/webauthn`,
    hooks: app.webauthn,
    verified,
    close: () => app.close(),
  };
}

/** POSTs JSON (or raw text) and returns status and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'adapter-test/1.0', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
