import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { FluentClient, FluentSocketEvent } from '@fluent-org/logger';
import type { Forwarder } from '../sink/delivery.js';
import { ForwardError } from '../sink/errors.js';
import type { QueuedItem } from '../sink/queue.js';
import { decodeServerStreamByteSafe } from './byte-safe-decoder.js';
import type { ForwardFallbackOptions } from './forward-options.js';

/** The private parts of FluentSocket used here (not in its .d.ts): the decoding replaced, and the connection ended. */
interface SocketInternals {
  passThroughStream: Readable | null;
  processMessages(iterable: AsyncIterable<unknown>): Promise<void>;
  /** The open connection (null once closed). */
  socket: Socket | null;
}

/**
 * Ends the client's connection for good. FluentClient.shutdown() only half-closes
 * it (socket.end()): a server that stops reading (a full TCP window: Fluentd
 * blocking on a full buffer) or never closes its side kept each attempt's
 * connection open, with the batch's bytes still queued, after the attempt had
 * failed; during an outage that leaked a socket and up to a batch of memory per
 * attempt, and kept the process alive after close() (found by a probe).
 */
function destroyConnection(client: FluentClient): void {
  (client as unknown as { socket: SocketInternals }).socket.socket?.destroy();
}

/**
 * Makes one client decode server messages byte-safely. FluentSocket.openSocket
 * calls `this.processMessages(decodeServerStream(this.passThroughStream))`;
 * that generator is lazy, so ignoring it and iterating our own decoder over
 * the same stream replaces the decoding for this instance only — nothing in
 * node_modules or in the shared module object is modified.
 */
export function useByteSafeDecoding(client: FluentClient): void {
  const socket = (client as unknown as { socket: SocketInternals }).socket;
  const original = socket.processMessages;
  socket.processMessages = function (this: SocketInternals) {
    const stream = this.passThroughStream;
    return original.call(this, stream ? decodeServerStreamByteSafe(stream) : (async function* () {})());
  };
}

/** `p`, or SINK_FORWARD_TIMEOUT with the message `timedOut()` gives once `ms` have passed. */
function withTimeout<T>(p: Promise<T>, ms: number, timedOut: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ForwardError('SINK_FORWARD_TIMEOUT', timedOut())), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** What an attempt that timed out in `phase` was still waiting for. */
function stalled(phase: 'connect' | 'handshake' | 'ack', acked: number, total: number): string {
  if (phase === 'connect') return 'no connection (TCP, then TLS when set)';
  if (phase === 'handshake') return 'no shared_key handshake (no HELO, or no PONG to our PING: is the server without a shared_key, or TLS?)';
  return `no ack (${acked} of ${total} acked)`;
}

/** The record of a reject the fallback forwards (the receivers take it back as a reject: normalize/record.ts). */
export interface ForwardedReject {
  raw_payload: string;
  reason: string;
  source: string;
}

/** The record forwarded for a queued item: the event as parsed JSON (what Fluentd would have read), or the reject. */
function recordOf(it: QueuedItem): Record<string, unknown> {
  if (it.row.kind === 'reject') return { raw_payload: it.row.raw, reason: it.row.reason, source: it.row.source } satisfies ForwardedReject;
  return JSON.parse(it.row.raw) as Record<string, unknown>;
}

/**
 * The Fluent forward fallback: sends a batch with `@fluent-org/logger`
 * (ack required, shared_key, TLS) and resolves only when every record is
 * acked. Never hangs: connect, handshake and acks share one deadline, and a
 * socket error before any ack (refused login, wrong key) fails the attempt
 * at once. A server that closes (or resets) the connection after acking part
 * of the batch gets the rest on a new connection, within the same deadline: Fluentd with
 * `deny_keepalive` acks one request (one tag: the client packs a request
 * per tag) and closes, so a batch of several tags never got past its first,
 * whose events were sent again at every retry (found by a probe). A close
 * with nothing acked fails the attempt at once rather than at the deadline.
 * The sink releases the spool only after this resolves, and aborts `signal`
 * at its close deadline: an ack that came after close() had resolved was
 * counted as forwarded while the spool, already closed, kept the records,
 * which the next start delivered again (found by a probe).
 */
export function createForwarder(opts: ForwardFallbackOptions): Forwarder {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const tag = opts.tag ?? 'audit.sink.fallback';
  const rejectTag = opts.rejectTag ?? `${tag}.rejects`;
  const where = `${opts.host}:${opts.port}`;
  /**
   * Sends `items` on one fresh connection until `deadline`; returns those
   * acked when the server closed or reset the connection first (all of them
   * once every ack came). Throws on a socket error before any ack, at the
   * deadline, or when `signal` aborts.
   */
  async function sendOnce(items: readonly QueuedItem[], deadline: number, signal: AbortSignal | undefined): Promise<Set<QueuedItem>> {
    const ms = Math.max(1, deadline - Date.now());
    const tls = opts.tls === true ? {} : opts.tls || undefined;
    const client = new FluentClient(undefined, {
      eventMode: 'PackedForward',
      milliseconds: true,
      ack: { ackTimeout: ms },
      disableAutoconnect: true,
      socket: { host: opts.host, port: opts.port, timeout: ms, disableReconnect: true, ...(tls ? { tls } : {}) },
      ...(opts.sharedKey !== undefined
        ? { security: { clientHostname: opts.clientHostname ?? hostname(), sharedKey: opts.sharedKey, username: opts.username ?? '', password: opts.password ?? '' } }
        : {}),
      disconnect: { waitForPending: false, waitForPendingDelay: 0, socketDisconnectDelay: 0 },
    });
    useByteSafeDecoding(client);
    // The connection ends with a close or a socket error, whichever comes first.
    let socketError: Error | undefined;
    let ended: () => void = () => undefined;
    const socketEnded = new Promise<'ended'>((resolve) => (ended = () => resolve('ended')));
    client.socketOn(FluentSocketEvent.ERROR, (err: Error) => {
      socketError ??= err;
      ended();
    });
    client.socketOn(FluentSocketEvent.CLOSE, () => ended());
    // How far the attempt got, for the timeout's message: it said "no ack" whatever was missing,
    // though a server that never started the shared_key handshake (one with no key, or TLS
    // while we spoke plain TCP) or a connection never made had been sent nothing (found by a probe).
    let phase: 'connect' | 'handshake' | 'ack' = 'connect';
    client.socketOn(FluentSocketEvent.CONNECTED, () => (phase = 'handshake'));
    client.socketOn(FluentSocketEvent.ESTABLISHED, () => (phase = 'ack'));
    let onAbort: () => void = () => undefined;
    const abandoned = new Promise<'abandoned'>((resolve) => (onAbort = () => resolve('abandoned')));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const acked = new Set<QueuedItem>();
    const sends: Promise<void>[] = [];
    try {
      const outcome = await withTimeout(
        Promise.race([
          (async () => {
            await client.connect();
            // An empty tag (a forward request may arrive with one) is the default:
            // @fluent-org/logger refuses to emit under "" ("tag is missing"), which
            // failed every attempt of its batch, and the fallback forwarded nothing.
            for (const it of items) sends.push(client.emit(it.row.kind === 'reject' ? rejectTag : it.tag || tag, recordOf(it)).then(() => void acked.add(it)));
            await Promise.all(sends);
            return 'acked' as const;
          })(),
          socketEnded,
          abandoned,
        ]),
        ms,
        () => `forward of ${items.length} records to ${where}: ${stalled(phase, acked.size, items.length)} within ${ms} ms`,
      );
      // forward() says what this means for the batch.
      if (outcome === 'abandoned') throw new ForwardError('SINK_FORWARD_FAILED', 'abandoned');
      if (outcome === 'ended') {
        // Acks read just before the close or the error settle their emits in a later tick.
        await new Promise((resolve) => setImmediate(resolve));
        // A socket error before any ack fails the attempt at once with its cause (a refused login, a
        // wrong key). After an ack it ends the connection as a close does: a server that acks a
        // request and resets (closing with the next requests unread sends an RST) failed the whole
        // batch with ECONNRESET, and every retry resent its first tag only (found by a review).
        if (socketError && acked.size === 0) throw socketError;
      }
      return acked;
    } catch (err) {
      throw err instanceof ForwardError ? err : new ForwardError('SINK_FORWARD_FAILED', `forward to ${where} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const s of sends) s.catch(() => undefined);
      await withTimeout(client.shutdown(), 500, () => 'fluent client shutdown').catch(() => undefined);
      // Every record is acked, or the attempt has failed: nothing more is owed on this connection.
      destroyConnection(client);
    }
  }
  return {
    async forward(items, signal) {
      // The whole batch: records acked on an earlier connection stay in the spool too, and are sent again.
      const abandoned = () => new ForwardError('SINK_FORWARD_FAILED', `forward of ${items.length} records to ${where} abandoned: the sink is closing; they stay in the spool`);
      const deadline = Date.now() + timeoutMs;
      let left: readonly QueuedItem[] = items;
      while (left.length > 0) {
        if (signal?.aborted) throw abandoned();
        if (Date.now() >= deadline) throw new ForwardError('SINK_FORWARD_TIMEOUT', `forward of ${items.length} records to ${where}: no ack within ${timeoutMs} ms (${items.length - left.length} acked)`);
        const acked = await sendOnce(left, deadline, signal).catch((err: unknown) => {
          throw signal?.aborted ? abandoned() : err;
        });
        if (acked.size === 0) throw new ForwardError('SINK_FORWARD_FAILED', `forward to ${where} failed: the server closed the connection before acking anything`);
        left = left.filter((it) => !acked.has(it));
      }
    },
    async close() {},
  };
}
