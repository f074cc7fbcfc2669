import type { ForwardSecurity } from './handshake.js';
import type { GivenLimits } from '../check-limits.js';
import type { ReceiverTls } from '../tls-server.js';

/** Limits of the forward receiver; an over-limit request closes its connection with no ack. */
export interface ForwardLimits {
  /** Largest request on the wire, bytes (Fluentd `chunk_size_limit`). */
  maxRequestBytes: number;
  /** Largest decompressed PackedForward payload, bytes (zip-bomb guard; Fluentd `decompression_size_limit`). */
  maxDecompressedBytes: number;
  /** Most events in one request. */
  maxEntries: number;
  /** Deepest msgpack nesting in a record. */
  maxDepth: number;
  /** Most keys in one msgpack map (a record, or a map inside it). */
  maxMapKeys: number;
  /**
   * Most array elements and map keys in one request, all records together:
   * what bounds the memory a request decodes to (an empty array is one byte
   * on the wire and tens in the heap). 100 000 Fluent Bit records with
   * Kubernetes metadata hold about 4 million.
   */
  maxItems: number;
  /** Concurrent connections; more are refused and counted. */
  maxConnections: number;
  /**
   * Bytes held by all connections together (partial requests being received
   * plus requests being stored). A connection that would exceed it is closed
   * with SERVER_BUSY (no ack; the sender retries), so memory stays bounded
   * whatever the number of connections.
   */
  maxBufferedBytes: number;
  /** Requests of one connection being stored at once before the socket is paused (backpressure). */
  maxInflightRequests: number;
  /**
   * A connection with no traffic and nothing in flight for this long gets our
   * FIN; what its peer still sends is read and stored until the peer closes
   * (one idle in the middle of a request is closed).
   */
  idleTimeoutMs: number;
  /**
   * With shared keys or users, a connection must log in (send its PING)
   * within this long of connecting, ms, or it is closed. A deadline, not an
   * idle timer: a PING trickled byte by byte, which kept resetting the idle
   * timer, held a slot for days (found by a probe).
   */
  handshakeTimeoutMs: number;
  /**
   * How long close() waits for the requests being stored, ms; then their
   * connections are closed without their acks, and the sender resends them.
   * A write waiting for spool room (the database down, the spool full)
   * waits for a commit: unbounded, SIGTERM never ended `serve` (found by a
   * probe).
   */
  closeTimeoutMs: number;
}

/** Defaults: generous for Fluentd's 8 MiB memory chunks, bounded for the 150 MB RSS target. */
export const DEFAULT_FORWARD_LIMITS: ForwardLimits = {
  maxRequestBytes: 32 * 1024 * 1024,
  maxDecompressedBytes: 64 * 1024 * 1024,
  maxEntries: 100_000,
  maxDepth: 64,
  maxMapKeys: 10_000,
  maxItems: 5_000_000,
  maxConnections: 1024,
  maxBufferedBytes: 128 * 1024 * 1024,
  maxInflightRequests: 2,
  idleTimeoutMs: 300_000,
  handshakeTimeoutMs: 10_000,
  closeTimeoutMs: 10_000,
};

/** TLS settings of the forward receiver (see {@link ReceiverTls}). */
export type ForwardTls = ReceiverTls;

/** Options of the forward receiver. */
export interface ForwardServerOptions {
  host?: string | undefined;
  /** 0 picks a free port. UDP heartbeat listens on the same port number. */
  port?: number | undefined;
  tls?: ForwardTls | undefined;
  security?: ForwardSecurity | undefined;
  limits?: GivenLimits<ForwardLimits> | undefined;
  /** Offer keepalive in HELO and keep connections open after acks (default true). */
  keepalive?: boolean | undefined;
  /** Answer UDP heartbeats on the same port (default true). */
  udpHeartbeat?: boolean | undefined;
}
