import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ThrottledWarn } from './throttled-warn.js';
import { silentLog, type ReceiverLog } from './types.js';

/**
 * Connections the health endpoint holds at once; more are closed unanswered
 * (a probe or a monitor needs one or two). Unbounded, whoever reached the
 * port (0.0.0.0:9880 in the operations guide) could hold the process's file
 * descriptors with idle connections, and the forward receiver's clients were
 * then accepted and closed at once by libuv, unlogged and uncounted (found
 * by a probe).
 */
export const MAX_HEALTH_CONNECTIONS = 64;

/**
 * How long a health connection may take to send its request (headers, and a
 * body, which nothing here reads), ms: a slot is not held for Node's default
 * minute (headers) or five (request). Node checks it every 1 s here.
 */
const HEALTH_REQUEST_TIMEOUT_MS = 10_000;

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
 * carries counters, no data. At most {@link MAX_HEALTH_CONNECTIONS} at once,
 * refusals logged to `log` at most once per 10 s.
 */
export async function startHealthServer(host: string, port: number, report: () => Promise<Record<string, unknown>>, log: ReceiverLog = silentLog): Promise<HealthServer> {
  const server: Server = createServer({ headersTimeout: HEALTH_REQUEST_TIMEOUT_MS, requestTimeout: HEALTH_REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 }, (req, res) => {
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
  server.maxConnections = MAX_HEALTH_CONNECTIONS;
  const refused = new ThrottledWarn(log, 'refusing health connection');
  server.on('drop', (d) => refused.warn({ peer: `${d?.remoteAddress ?? '?'}:${d?.remotePort ?? 0}`, code: 'TOO_MANY_CONNECTIONS', limit: MAX_HEALTH_CONNECTIONS }));
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
        refused.flush();
      }),
  };
}
