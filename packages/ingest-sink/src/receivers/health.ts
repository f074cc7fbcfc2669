import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running health endpoint. */
export interface HealthServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz` with the JSON returned by `report()` (sink and
 * receiver counters); 503 when `report().status` is not "ok". Anything else
 * is 404. Plain HTTP on loopback by default: it carries counters, no data.
 */
export async function startHealthServer(host: string, port: number, report: () => Promise<Record<string, unknown>>): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/healthz' && req.url !== '/healthz/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    report().then(
      (body) => {
        res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      (err: Error) => {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: err.message }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    address: { host, port: (server.address() as AddressInfo).port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
