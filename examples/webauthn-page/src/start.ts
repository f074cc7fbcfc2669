import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExampleAppOptions } from './app-options.js';

/** Options of an example's `startExample`. */
export interface StartOptions extends Omit<ExampleAppOptions, 'origin'> {
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
 * How a framework puts its app on a server that already listens. It may
 * resolve to a cleanup (e.g. Fastify's `app.close()`), run before the server closes.
 */
export type MountApp = (server: Server, options: ExampleAppOptions) => void | (() => Promise<void>) | Promise<void | (() => Promise<void>)>;

/** The function each example exports as `startExample`. */
export type StartExample = (options: StartOptions) => Promise<RunningExample>;

/**
 * Listens first, then mounts the app: with port 0 the origin (and so the
 * WebAuthn expected origin, WebAuthn §7.1 step 9) is only known once the
 * port is. Used by `npm start`, the tests and demos of both examples.
 */
export async function startWith(mount: MountApp, options: StartOptions): Promise<RunningExample> {
  const { port: wanted, host, origin: fixedOrigin, ...appOptions } = options;
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(wanted ?? 0, host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = fixedOrigin ?? `http://localhost:${port}`;
  let cleanup: void | (() => Promise<void>);
  try {
    cleanup = await mount(server, { ...appOptions, origin });
  } catch (err) {
    // A framework that fails to start must not leave the port taken.
    server.close();
    throw err;
  }
  return {
    origin,
    port,
    server,
    close: async () => {
      if (cleanup) await cleanup();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
