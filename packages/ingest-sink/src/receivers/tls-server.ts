import { X509Certificate } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { ConfigError } from './config-error.js';
import type { ReceiverCounters } from './counters.js';
import type { ReceiverLog } from './types.js';

/** TLS settings of a receiver: PEM text. With `ca`, clients must present a certificate signed by it (mutual TLS). */
export interface ReceiverTls {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer | undefined;
}

/** How long a TLS client may take to complete its handshake. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The error of TLS settings OpenSSL refuses (a key that is not the certificate's, a PEM it cannot parse). */
function unusableTls(what: 'forward' | 'syslog', err: Error): ConfigError {
  // OpenSSL's "PEM routines::no start line" names neither the receiver nor the setting.
  return new ConfigError('CONFIG_INVALID', `the ${what} receiver's TLS certificate, key or CA cannot be used (${err.message}): tls.cert must be the PEM certificate, tls.key its private key`);
}

/**
 * Checks a receiver's TLS settings before anything is opened: settings
 * OpenSSL refuses throw a ConfigError (they used to be found once the sink
 * had opened, and created, its database and spool). Returns why the
 * certificate cannot be trusted now (expired, or not yet valid), else
 * undefined: a client that verifies it refuses every connection with an
 * alert this side never logs, so the caller says it at start.
 */
export function checkReceiverTls(what: 'forward' | 'syslog', tls: ReceiverTls, now = Date.now()): string | undefined {
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) });
  } catch (err) {
    throw unusableTls(what, err as Error);
  }
  let cert: X509Certificate;
  try {
    // The first certificate of the PEM: the server's own, before its chain.
    cert = new X509Certificate(tls.cert);
  } catch {
    return undefined;
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (to < now) return `the ${what} receiver's TLS certificate (${cert.subject.replace(/\n/g, ', ')}) expired on ${new Date(to).toISOString()}: clients that verify it refuse every connection; renew it`;
  if (from > now) return `the ${what} receiver's TLS certificate (${cert.subject.replace(/\n/g, ', ')}) is not valid before ${new Date(from).toISOString()}: clients that verify it refuse every connection until then (is this host's clock right?)`;
  return undefined;
}

/** A receiver's TLS listener, from {@link createTlsReceiverServer}. */
export interface TlsReceiverServer {
  server: Server;
  /** Destroys every TCP connection, those still in their handshake too (which server.close() would wait for). */
  destroyAll(): void;
}

/**
 * The TLS server of a receiver (forward, syslog RFC 5425): TLS 1.2 or later,
 * mutual when `tls.ca` is given, a handshake cut off after 10 s (Node's
 * default is 120 s). Connections still in their handshake count against
 * `maxConnections` from their first byte, or clients that never send a
 * ClientHello would be held without limit; a failed handshake is counted in
 * `authFailures` and logged. `onSocket` gets each connection once it is secure.
 */
export function createTlsReceiverServer(
  tls: ReceiverTls,
  onSocket: (socket: Socket) => void,
  guard: {
    what: 'forward' | 'syslog';
    maxConnections: number;
    counters: ReceiverCounters;
    log: ReceiverLog;
    /** At the limit: closes an idle secure connection to let a new one in, and says whether it did. */
    makeRoom?: () => boolean;
  },
): TlsReceiverServer {
  const { what, maxConnections, counters, log, makeRoom } = guard;
  const raw = new Set<Socket>();
  const mutual = tls.ca !== undefined;
  let server: Server;
  try {
    server = createTlsServer(
      {
        allowHalfOpen: true,
        cert: tls.cert,
        key: tls.key,
        ...(mutual ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
        minVersion: 'TLSv1.2',
        handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
      },
      onSocket,
    );
  } catch (err) {
    throw unusableTls(what, err as Error);
  }
  server.on('connection', (socket: Socket) => {
    if (raw.size >= maxConnections && !makeRoom?.()) {
      counters.refusedConnections++;
      log({ level: 'warn', msg: `refusing ${what} connection`, peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, code: 'TOO_MANY_CONNECTIONS', limit: maxConnections });
      socket.destroy();
      return;
    }
    raw.add(socket);
    socket.on('close', () => raw.delete(socket));
  });
  server.on('tlsClientError', (err, s) => {
    counters.authFailures++;
    log({ level: 'warn', msg: 'TLS handshake failed', receiver: what, peer: `${s.remoteAddress}:${s.remotePort}`, error: err.message });
  });
  return { server, destroyAll: () => raw.forEach((s) => s.destroy()) };
}
