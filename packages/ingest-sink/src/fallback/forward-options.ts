import type { ConnectionOptions } from 'node:tls';

/** Fluent forward fallback: where pending batches go when the database stays unreachable. */
export interface ForwardFallbackOptions {
  host: string;
  port: number;
  /** Start forwarding once the database has failed for this long (default 60 s). */
  afterMs?: number | undefined;
  /** Tag of forwarded events when the item had no `meta.source_tag`, or an empty one (default `audit.sink.fallback`). */
  tag?: string | undefined;
  /** Tag of forwarded rejects (default `<tag>.rejects`). */
  rejectTag?: string | undefined;
  /** shared_key handshake (forward protocol v1, HELO/PING/PONG). */
  sharedKey?: string | undefined;
  /** Our hostname in PING (default os.hostname()); must differ from the server's. */
  clientHostname?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** TLS: `true`, or node:tls connect options (ca, cert, key, servername...). */
  tls?: boolean | ConnectionOptions | undefined;
  /** Time allowed for connect + handshake + all acks of one batch (default 10 s); past it the attempt fails, never hangs. */
  timeoutMs?: number | undefined;
}
