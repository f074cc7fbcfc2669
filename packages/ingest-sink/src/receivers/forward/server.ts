import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { countBadFrame, type ReceiverCounters } from '../counters.js';
import { createTlsReceiverServer } from '../tls-server.js';
import type { EventSink, ReceiverLog } from '../types.js';
import { MEMORY_ONLY, type PartialDurability } from '../../normalize/partial-journal.js';
import type { RecordNormalizer } from '../../normalize/record.js';
import { checkLimits } from '../check-limits.js';
import { listenTcpAndUdp } from '../listen.js';
import { ThrottledWarn } from '../throttled-warn.js';
import { settleWithin } from '../../sink/settle-within.js';
import { ForwardConnection } from './connection.js';
import { checkSecurity } from './handshake.js';
import { DEFAULT_FORWARD_LIMITS, type ForwardServerOptions } from './options.js';

/** A running forward receiver. */
export interface ForwardServer {
  /** Where it listens (TCP; UDP heartbeat on the same port). */
  address: { host: string; port: number };
  /** Stops accepting, lets every in-flight request finish and be acked, then closes sockets. */
  close(): Promise<void>;
}

/** What the server needs besides its options. */
export interface ForwardServerDeps {
  sink: EventSink;
  counters: ReceiverCounters;
  normalizer: RecordNormalizer;
  /** Where pieces of split lines are kept until their line is stored (default: memory only). */
  partials?: PartialDurability;
  log: ReceiverLog;
}

/**
 * Bytes of acks and PONGs a peer may leave unread before its connection stops
 * being read: a client that never reads its acks cannot grow the server's
 * memory with them.
 */
const MAX_UNREAD_WRITE_BYTES = 1024 * 1024;

/**
 * While closing, a connection whose sender does not ask for acks, with
 * nothing read, buffered or being stored for this long, is done: what its
 * sender wrote before our FIN has arrived by then (as in the syslog receiver).
 */
const CLOSE_QUIET_MS = 1_000;

/**
 * Starts a Fluent forward protocol v1 server on TCP (or TLS, optionally
 * mutual) with the UDP heartbeat on the same port (spec v1, "Heartbeat
 * Message": a single 0x00 byte, answered with 0x00).
 */
export async function startForwardServer(options: ForwardServerOptions, deps: ForwardServerDeps): Promise<ForwardServer> {
  const limits = checkLimits('forward.limits', options.limits, DEFAULT_FORWARD_LIMITS);
  checkSecurity(options.security);
  const keepalive = options.keepalive ?? true;
  const { counters, log } = deps;
  const connections = new Map<Socket, ForwardConnection>();
  const budget = { used: 0 };
  const sinkFailures = new ThrottledWarn(log, 'closing forward connection');

  /**
   * At the connection limit, closes the connection quiet longest (nothing
   * read, buffered or being stored) if it has been quiet for idleTimeoutMs,
   * and says whether it did. Such a connection has had our idle FIN but is
   * kept, for a sender that never reads (see the 'timeout' handler); one
   * whose peer never closes its side held its slot for good, so silent
   * connections (a quiet container's, or anyone's when no shared key is
   * set) refused every new sender once maxConnections of them stood (found
   * by a probe). It is closed only to make room for a new connection.
   */
  const makeRoom = (): boolean => {
    const now = Date.now();
    let quietest: [Socket, ForwardConnection] | undefined;
    for (const entry of connections) {
      const [s, c] = entry;
      if (s.destroyed || c.pending > 0 || c.midRequest || now - c.lastActiveAt < limits.idleTimeoutMs) continue;
      if (!quietest || c.lastActiveAt < quietest[1].lastActiveAt) quietest = entry;
    }
    if (!quietest) return false;
    const [s, c] = quietest;
    log({ level: 'info', msg: 'closing idle forward connection to make room for a new one', peer: `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`, idleMs: now - c.lastActiveAt, limit: limits.maxConnections });
    c.close();
    s.destroy();
    // Gone from the count now, not at its 'close' event: the next connection of this turn must not take it again.
    connections.delete(s);
    return true;
  };

  const onSocket = (socket: Socket): void => {
    const address = socket.remoteAddress ?? '?';
    const peer = `${address}:${socket.remotePort ?? 0}`;
    if (connections.size >= limits.maxConnections && !makeRoom()) {
      counters.refusedConnections++;
      log({ level: 'warn', msg: 'refusing forward connection', peer, code: 'TOO_MANY_CONNECTIONS', limit: limits.maxConnections });
      socket.destroy();
      return;
    }
    counters.connections++;
    counters.activeConnections++;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    let ended = false;
    // Reading stops while the connection has too many requests in flight
    // (its own pause) or while the peer leaves our writes unread; it resumes
    // only when neither holds.
    let heldByConnection = false;
    let heldByUnreadAcks = false;
    const holdReading = () => (heldByConnection || heldByUnreadAcks ? socket.pause() : socket.resume());
    const conn = new ForwardConnection(
      {
        write: (b) => {
          if (socket.destroyed || !socket.writable) return false;
          socket.write(b);
          if (!heldByUnreadAcks && socket.writableLength > MAX_UNREAD_WRITE_BYTES) {
            heldByUnreadAcks = true;
            holdReading();
            socket.once('drain', () => {
              heldByUnreadAcks = false;
              holdReading();
            });
          }
          return true;
        },
        end: () => {
          if (ended) return;
          ended = true;
          socket.end();
          // A peer that never reads must not hold the socket open.
          setTimeout(() => socket.destroy(), 2_000).unref();
        },
        pause: () => {
          heldByConnection = true;
          holdReading();
        },
        resume: () => {
          heldByConnection = false;
          holdReading();
        },
      },
      { ...deps, partials: deps.partials ?? MEMORY_ONLY, limits, keepalive, peer, address, budget, sinkFailures, ...(options.security ? { security: options.security } : {}) },
    );
    connections.set(socket, conn);
    socket.on('data', (d: Buffer) => conn.feed(d));
    socket.on('error', (err) => log({ level: 'debug', msg: 'forward socket error', peer, error: err.message }));
    socket.on('end', () => conn.close());
    // A listener of its own, not setTimeout's callback (registered once): the
    // timer must still work after it fired while a request was being stored,
    // and it is armed again then, since storing may end without a write.
    socket.setTimeout(limits.idleTimeoutMs);
    let idleEnded = false;
    socket.on('timeout', () => {
      if (conn.pending > 0) {
        socket.setTimeout(limits.idleTimeoutMs);
        return;
      }
      if (conn.midRequest) {
        // Stalled inside a request: never acked, so the sender resends it.
        // After our idle FIN too: returning there first held such a
        // connection, its slot and its bytes of the shared maxBufferedBytes
        // for as long as the peer stayed silent (found by a review).
        log({ level: 'info', msg: 'closing idle forward connection', peer });
        conn.close();
        socket.end();
        return;
      }
      if (idleEnded) return;
      log({ level: 'info', msg: 'closing idle forward connection', peer });
      // Only our FIN, and what the peer sends after it is still read and
      // stored: a sender that never reads (the Docker driver without
      // fluentd-request-ack) does not see the FIN, and its next records went
      // into a socket that dropped them, then into a reset, each reported
      // sent (found by a probe). A sender that reads closes its side, and
      // the connection with it.
      idleEnded = true;
      socket.end();
    });
    const login = options.security
      ? setTimeout(() => {
          if (!conn.awaitingLogin || socket.destroyed) return;
          countBadFrame(counters, 'HANDSHAKE_TIMEOUT');
          log({ level: 'warn', msg: 'closing forward connection that did not log in', peer, code: 'HANDSHAKE_TIMEOUT', limitMs: limits.handshakeTimeoutMs });
          conn.close();
          socket.destroy();
        }, limits.handshakeTimeoutMs)
      : undefined;
    socket.on('close', () => {
      clearTimeout(login);
      conn.close();
      counters.activeConnections--;
      connections.delete(socket);
    });
    conn.start();
  };

  let server: Server;
  let destroyHandshaking = () => {};
  if (options.tls) {
    ({ server, destroyAll: destroyHandshaking } = createTlsReceiverServer(options.tls, onSocket, { what: 'forward', maxConnections: limits.maxConnections, counters, log, makeRoom }));
  } else {
    server = createNetServer({ allowHalfOpen: true }, onSocket);
  }
  const host = options.host ?? '127.0.0.1';
  const bound = await listenTcpAndUdp(server, host, options.port ?? 0, options.udpHeartbeat ?? true);
  const port = bound.port;
  const udp = bound.udp;
  if (udp) {
    const u = udp;
    u.on('message', (_msg, rinfo) => {
      counters.heartbeats++;
      u.send(Buffer.from([0]), rinfo.port, rinfo.address);
    });
    u.on('error', (err) => log({ level: 'warn', msg: 'UDP heartbeat socket error', error: err.message }));
  }

  /**
   * close() for a connection whose sender never asked for an ack: it learns
   * nothing of what is stored and may never read (the Docker driver without
   * fluentd-request-ack), so what it wrote before it saw the close was
   * dropped unread and uncounted (about a second of a busy container's lines
   * at every restart, found by a probe). Our FIN goes now, and the
   * connection is read and stored on, up to the peer's FIN or until it has
   * been quiet (nothing read, buffered or stored) for CLOSE_QUIET_MS, within
   * closeTimeoutMs.
   */
  const readToEnd = (socket: Socket, c: ForwardConnection): Promise<void> => {
    socket.end();
    return new Promise<void>((resolve) => {
      const check = setInterval(() => {
        const quiet = c.pending === 0 && !c.midRequest && socket.readableLength === 0 && Date.now() - c.lastActiveAt >= CLOSE_QUIET_MS;
        if (!c.closed && !quiet && !socket.destroyed) return;
        clearInterval(check);
        c.close();
        resolve(c.drain());
      }, 100);
    });
  };

  return {
    address: { host, port },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      udp?.close();
      const drains = [...connections].map(([socket, c]) => {
        if (!c.asksForAcks) return readToEnd(socket, c);
        c.close();
        return c.drain();
      });
      // Bounded: a request still being stored after it is not acked (its
      // connection is destroyed below); its write settles when the sink
      // closes, and what it spooled comes back as duplicates of the resend.
      if (!(await settleWithin(Promise.all(drains), limits.closeTimeoutMs))) {
        log({ level: 'warn', msg: 'forward connections still storing or sending at the close deadline: closed without acks; senders that ask for acks resend, the others lose what was not stored', connections: connections.size });
        for (const [s, c] of connections) {
          c.abandon();
          s.destroy();
        }
      }
      for (const s of connections.keys()) s.end();
      // server.close() waits for every TCP connection, a TLS handshake that
      // never completes too: those are destroyed with the rest. Not unref'd:
      // a connection paused by backpressure, its acks written, is no active
      // handle, so with nothing else running (no health endpoint, no syslog)
      // the event loop emptied while close() waited for it, and `serve` exited
      // 0 on SIGTERM without closing its sink (found by a probe). Cleared once
      // the server is closed, so it never holds a process up longer.
      const destroyRest = setTimeout(() => {
        for (const s of connections.keys()) s.destroy();
        destroyHandshaking();
      }, 1_000);
      await closed;
      clearTimeout(destroyRest);
      sinkFailures.flush();
    },
  };
}
