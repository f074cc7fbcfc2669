import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running health endpoint. */
export interface HealthServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz` with the JSON returned by `report()` (status, sink
 * and receiver counters): 200 while events are accepted, "ok" or "degraded"
 * (the database failing, events spooled); 503 when the status is "failing"
 * (a spool nearly full: senders should hold their data, so a readiness probe
 * takes this instance out of service) or the report could not be made.
 * `GET /livez` answers 200 while the process serves requests at all: for a
 * liveness probe, since a restart mends neither a database outage nor a full
 * spool. Anything else is 404. Plain HTTP on loopback by default: it carries
 * counters, no data.
 */
export async function startHealthServer(host: string, port: number, report: () => Promise<Record<string, unknown>>): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = req.url?.replace(/\/$/, '');
    if (req.method === 'GET' && path === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"alive"}');
      return;
    }
    if (req.method !== 'GET' || path !== '/healthz') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    report().then(
      (body) => {
        res.writeHead(body.status === 'ok' || body.status === 'degraded' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
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
