import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions } from './app.js';

/** Options of {@link startExample}. */
export interface StartOptions extends Omit<AppOptions, 'origin'> {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Origin of the page; default `http://localhost:<actual port>`. */
  origin?: string;
}

/** A started example service. */
export interface RunningExample {
  origin: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/**
 * Listens first, then builds the app: with port 0 the origin (and so the
 * WebAuthn expected origin) is only known once the port is. Used by
 * `npm start`, the browser tests and demos.
 */
export async function startExample(options: StartOptions): Promise<RunningExample> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = options.origin ?? `http://localhost:${port}`;
  server.on('request', createApp({ ...options, origin }));
  return {
    origin,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
