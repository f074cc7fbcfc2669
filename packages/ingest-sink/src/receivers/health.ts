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
 * spool. HEAD answers as GET without a body, another method 405, another
 * path 404; a query string is ignored. Plain HTTP on loopback by default: it
 * carries counters, no data.
 */
export async function startHealthServer(host: string, port: number, report: () => Promise<Record<string, unknown>>): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    // The query string is not part of the resource (monitors add cache busters).
    const path = req.url?.split('?', 1)[0]!.replace(/\/$/, '');
    if (path !== '/healthz' && path !== '/livez') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    // HEAD as GET without a body (RFC 9110 §9.3.2): uptime monitors use it.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' }).end('{"error":"method not allowed"}');
      return;
    }
    const answer = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : body);
    if (path === '/livez') return void answer(200, '{"status":"alive"}');
    report().then(
      (body) => answer(body.status === 'ok' || body.status === 'degraded' ? 200 : 503, JSON.stringify(body)),
      (err: Error) => answer(503, JSON.stringify({ status: 'error', error: err.message })),
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
