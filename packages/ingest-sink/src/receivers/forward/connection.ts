import { countBadFrame, type ReceiverCounters } from '../counters.js';
import { ReceiverError } from '../errors.js';
import { MsgpackReader } from '../msgpack/decode.js';
import { freshScan, scanValue } from '../msgpack/scan.js';
import type { EventSink, ReceiverLog, SinkItem } from '../types.js';
import type { ThrottledWarn } from '../throttled-warn.js';
import type { LineOutcome, Normalized } from '../../normalize/classify-line.js';
import type { PartialDurability, PartialPiece } from '../../normalize/partial-journal.js';
import type { RecordNormalizer } from '../../normalize/record.js';
import { gunzipWithin } from './gunzip-within.js';
import { checkPing, encodeHelo, newHandshake, type ForwardSecurity, type HandshakeState } from './handshake.js';
import type { ForwardLimits } from './options.js';
import { decodePackedEntries, decodeRequest, encodeAck, type ForwardEntry, type ForwardOptions } from './request.js';

/** Largest PING accepted (spec v1: six short strings; 4 KiB leaves room for long hostnames and user names). */
const MAX_PING_BYTES = 4096;
const INITIAL_BUFFER = 64 * 1024;

/** The byte pipe under a connection: a net/tls socket in production, a recorder in tests and fuzzing. */
export interface ConnectionTransport {
  /** Writes (an ack, a PONG); false when the peer is gone and nothing was written. */
  write(bytes: Uint8Array): boolean;
  /** Closes after pending writes. */
  end(): void;
  pause(): void;
  resume(): void;
}

/** What a connection shares with its server. */
export interface ConnectionContext {
  sink: EventSink;
  counters: ReceiverCounters;
  normalizer: RecordNormalizer;
  /** Where pieces of split lines are kept until their line is stored. */
  partials: PartialDurability;
  log: ReceiverLog;
  limits: ForwardLimits;
  security?: ForwardSecurity;
  keepalive: boolean;
  /** Peer address and port, for logs. */
  peer: string;
  /**
   * Peer address without the port, for the `source` of what it sends: a
   * client resends an unacked chunk on a new connection, from a new port,
   * and the same refusal must keep the same source (its reject_key).
   */
  address: string;
  /** Byte budget shared by every connection of a server (see ForwardLimits.maxBufferedBytes). */
  budget?: { used: number };
  /**
   * The server's log of connections closed because the sink could not store
   * (shared, throttled: while the spool's disk is full every request of
   * every sender closes its connection, and one line each flooded a log that
   * may sit on that disk; found by a probe). Without it, each is logged.
   */
  sinkFailures?: ThrottledWarn;
}

/**
 * One forward-protocol connection (spec v1, "Connection"): optional handshake
 * (HELO, PING, PONG), then a stream of requests. Bytes are accumulated until
 * a complete msgpack value is present (partial TCP reads are normal), each
 * request is stored through the sink and acked with `{"ack": chunk}` only
 * after the sink reports it durable. Requests are stored concurrently but
 * acked in arrival order. Any malformed or over-limit input closes the
 * connection with a logged reason, a counted code and no ack.
 */
export class ForwardConnection {
  /**
   * Bytes received and not yet consumed, at the start of a buffer that grows
   * by doubling: a request arriving in many small reads is copied O(n) times
   * in total, not once per read. Nothing decoded keeps a view into it
   * (ack ids, compressed payloads and bin values are copied out).
   */
  private acc: Buffer = Buffer.alloc(0);
  private buffered = 0;
  private need = 1;
  /** Resumable scan of the request being received (no rescans from its start on every read). */
  private readonly scan = freshScan();
  private state: 'ping' | 'transport' | 'closed' = 'transport';
  private handshake?: HandshakeState;
  private tail: Promise<void> = Promise.resolve();
  /** Resolves once the last request stored in order (storeInOrder) has been handed to the sink; undefined when none is pending. */
  private handedOver: Promise<void> | undefined;
  private inflight = 0;
  private paused = false;
  private seenData = false;
  private askedForAcks = false;
  /** When bytes last arrived or a request was last stored (Date.now()), or when the connection started. */
  lastActiveAt = Date.now();

  constructor(
    private readonly transport: ConnectionTransport,
    private readonly ctx: ConnectionContext,
  ) {}

  /** Starts the connection: sends HELO first when a shared key is configured. */
  start(): void {
    if (this.ctx.security) {
      this.handshake = newHandshake(this.ctx.security);
      this.state = 'ping';
      this.transport.write(encodeHelo(this.handshake, this.ctx.keepalive));
    }
  }

  /** True once closed (after an error, an auth failure or {@link close}). */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** True until a connection that must log in has sent a valid PING. */
  get awaitingLogin(): boolean {
    return this.state === 'ping';
  }

  /** Requests being stored. */
  get pending(): number {
    return this.inflight;
  }

  /**
   * True once a request asked for an ack (`chunk`): its sender reads our
   * replies, and resends what we did not ack.
   */
  get asksForAcks(): boolean {
    return this.askedForAcks;
  }

  /** True while part of a request has been received and the rest has not. */
  get midRequest(): boolean {
    return this.state !== 'closed' && this.buffered > 0;
  }

  /** Resolves when every request received so far has been stored and acked (or failed). */
  async drain(): Promise<void> {
    // Requests held back by maxInflightRequests join the tail only when an
    // earlier one completes (track), so the tail of this moment may not hold
    // them yet: wait until it stops growing.
    for (let tail = this.tail; ; tail = this.tail) {
      await tail;
      if (tail === this.tail) return;
    }
  }

  /** Feeds bytes read from the socket. */
  feed(data: Buffer): void {
    if (this.state === 'closed') return;
    this.lastActiveAt = Date.now();
    if (!this.seenData && data.length > 0) {
      this.seenData = true;
      // in_forward reads a connection starting with '{' or '[' as JSON (spec v1 note); we speak msgpack only.
      if (this.state === 'transport' && (data[0] === 0x7b || data[0] === 0x5b)) {
        this.fail(new ReceiverError('BAD_REQUEST', 'JSON forward connections are not supported; send msgpack'));
        return;
      }
    }
    this.ctx.counters.bytes += data.length;
    if (!this.reserve(data.length)) return;
    this.append(data);
    this.pump();
  }

  /**
   * Handles the complete requests buffered, while fewer than
   * `maxInflightRequests` are being stored: one read can hold many requests,
   * and pausing the socket only stops further reads. The rest stays buffered
   * until a request in flight completes (track).
   */
  private pump(ending = false): void {
    if (this.state === 'closed' || this.buffered < this.need) return;
    const buf = this.acc;
    const len = this.buffered;
    let pos = 0;
    try {
      while (pos < len && !this.closed && (ending || this.inflight < this.ctx.limits.maxInflightRequests)) {
        // Before authentication only a PING may come, and it is small: a
        // client that has not logged in cannot hold the shared byte budget.
        const limit = this.state === 'ping' ? MAX_PING_BYTES : this.ctx.limits.maxRequestBytes;
        const end = scanValue(buf, pos, len, this.scan);
        if (end < 0) {
          if (-end > limit) throw new ReceiverError('REQUEST_TOO_LARGE', `${this.state === 'ping' ? 'PING' : 'request'} needs at least ${-end} bytes; the limit is ${limit}`);
          this.need = -end;
          break;
        }
        if (end - pos > limit) throw new ReceiverError('REQUEST_TOO_LARGE', `${this.state === 'ping' ? 'PING' : 'request'} is ${end - pos} bytes; the limit is ${limit}`);
        this.need = 1;
        this.handleValue(buf, pos, end, end - pos);
        pos = end;
      }
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.closed) {
      // Closed while handling a value (failed handshake): nothing more will be read.
      this.release(this.buffered);
      this.buffered = 0;
      return;
    }
    // Move the unconsumed tail (an incomplete request) to the front.
    this.release(pos);
    if (pos >= len) {
      this.buffered = 0;
      if (this.acc.length > 4 * INITIAL_BUFFER) this.acc = Buffer.allocUnsafe(INITIAL_BUFFER);
    } else if (pos > 0) {
      const tail = len - pos;
      // A large request leaves a large buffer; a tail of the next one must
      // not keep it (a client sending 30 MiB, then one byte, then nothing
      // held 30 MiB per connection outside maxBufferedBytes, found by a probe).
      if (this.acc.length > 4 * INITIAL_BUFFER && tail * 4 <= this.acc.length) {
        const smaller = Buffer.allocUnsafe(Math.max(INITIAL_BUFFER, tail * 2));
        this.acc.copy(smaller, 0, pos, len);
        this.acc = smaller;
      } else {
        this.acc.copyWithin(0, pos, len);
      }
      this.buffered = tail;
    }
  }

  private append(data: Buffer): void {
    const needed = this.buffered + data.length;
    if (needed > this.acc.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.acc.length * 2, INITIAL_BUFFER));
      this.acc.copy(grown, 0, 0, this.buffered);
      this.acc = grown;
    }
    data.copy(this.acc, this.buffered);
    this.buffered = needed;
  }

  /** Stops reading; in-flight requests still finish and are acked. */
  close(): void {
    if (this.state === 'closed') return;
    // Requests already read but held back by the in-flight limit are still
    // handled: no more reads can come, so there is nothing left to slow down.
    if (this.buffered > 0) this.pump(true);
    // pump() may have failed the connection (a bad request): that closed it.
    if (this.closed) return;
    // The peer closed in the middle of a request: never acked, so the sender resends it.
    this.stopDropping('REQUEST_TRUNCATED', 'forward connection closed mid-request');
    void this.tail.then(() => this.transport.end());
  }

  /**
   * The close deadline passed: stops reading, and drops what is buffered
   * instead of handing it to a sink that is closing, counted (SERVER_BUSY)
   * and logged. Requests being stored are left to settle.
   */
  abandon(): void {
    if (this.state === 'closed') return;
    this.stopDropping('SERVER_BUSY', 'forward close deadline passed: dropping bytes read but not stored');
  }

  /** Stops reading and releases what is buffered, counted as `code` and logged when there is any. */
  private stopDropping(code: 'REQUEST_TRUNCATED' | 'SERVER_BUSY', msg: string): void {
    if (this.buffered > 0) {
      countBadFrame(this.ctx.counters, code);
      this.ctx.log({ level: 'warn', msg, peer: this.ctx.peer, code, bytes: this.buffered });
    }
    this.state = 'closed';
    this.release(this.buffered);
    this.buffered = 0;
  }

  private reader(buf: Buffer, start: number, end: number, binAsString = true): MsgpackReader {
    return new MsgpackReader(buf, start, end, { maxDepth: this.ctx.limits.maxDepth, maxMapKeys: this.ctx.limits.maxMapKeys, maxItems: this.ctx.limits.maxItems }, this.ctx.counters, binAsString);
  }

  /** Takes `n` bytes from the server-wide budget; fails the connection (SERVER_BUSY) when it is exhausted. */
  private reserve(n: number, force = false): boolean {
    const budget = this.ctx.budget;
    if (!budget) return true;
    if (!force && budget.used + n > this.ctx.limits.maxBufferedBytes) {
      this.fail(new ReceiverError('SERVER_BUSY', `server buffers ${budget.used} bytes; the limit is ${this.ctx.limits.maxBufferedBytes}`));
      return false;
    }
    budget.used += n;
    return true;
  }

  private release(n: number): void {
    if (this.ctx.budget) this.ctx.budget.used -= n;
  }

  private handleValue(buf: Buffer, start: number, end: number, size: number): void {
    const r = this.reader(buf, start, end, false);
    if (this.state === 'ping') {
      const outcome = checkPing(r, this.handshake!, this.ctx.security!);
      this.transport.write(outcome.pong);
      if (outcome.ok) this.state = 'transport';
      else {
        this.ctx.counters.authFailures++;
        this.ctx.log({ level: 'warn', msg: 'forward authentication failed', peer: this.ctx.peer, reason: outcome.reason });
        this.state = 'closed';
        this.transport.end();
      }
      return;
    }
    const req = decodeRequest(r, this.ctx.limits.maxEntries);
    if (req.kind === 'heartbeat') return void this.ctx.counters.heartbeats++;
    if (req.kind === 'ignored') return void this.ctx.counters.ignoredValues++;
    this.ctx.counters.requests++;
    // The request's bytes stay reserved until it is stored (decoded records
    // live that long), and so does a compressed request's decompressed size.
    let reserved = size;
    const stored =
      req.kind === 'events' && this.handedOver === undefined
        ? this.store(req.tag, req.entries, req.options)
        : this.storeInOrder(req.tag, req.kind === 'events' ? req.entries : this.unpack(req.packed, req.options, r.items, (n) => (reserved += n)), req.options);
    this.reserve(size, true);
    this.track(stored, req.options, () => reserved);
  }

  /**
   * Decompresses (gzip, several members allowed) and decodes PackedForward
   * entries. The decompressed bytes are charged to the server-wide budget
   * (`onReserved` learns how many, to release them with the request): charged
   * only their wire size, a few KiB of gzip could hold up to
   * `maxDecompressedBytes` each, hundreds of times the budget in all.
   */
  private async unpack(packed: Buffer, options: ForwardOptions, envelopeItems: number, onReserved: (n: number) => void): Promise<ForwardEntry[]> {
    let bytes = packed;
    const c = options.compressed;
    if (c !== undefined && c !== 'text') {
      if (c !== 'gzip') throw new ReceiverError('BAD_COMPRESSION', `compression "${c.slice(0, 16)}" is not supported (gzip only)`);
      const { maxDecompressedBytes, maxBufferedBytes } = this.ctx.limits;
      const budget = this.ctx.budget;
      let charged = 0;
      // Each decompressed chunk is charged as it appears, so a gzip bomb stops at the budget.
      const charge = (n: number) => {
        if (!budget) return;
        if (budget.used + n > maxBufferedBytes) {
          throw new ReceiverError('SERVER_BUSY', `server buffers ${budget.used} bytes; this request, decompressing past ${charged + n} bytes, passes the limit of ${maxBufferedBytes}`);
        }
        budget.used += n;
        charged += n;
        onReserved(n);
      };
      const tooLarge = () => new ReceiverError('DECOMPRESSED_TOO_LARGE', `decompressed payload exceeds ${maxDecompressedBytes} bytes`);
      try {
        // The payload is a view into the receive buffer, which is reused: zlib gets a copy.
        bytes = await gunzipWithin(Buffer.from(packed), maxDecompressedBytes, charge, tooLarge);
      } catch (err) {
        if (err instanceof ReceiverError) throw err;
        throw new ReceiverError('BAD_COMPRESSION', `gzip payload is invalid: ${(err as Error).message.slice(0, 80)}`);
      }
    }
    const r = this.reader(bytes, 0, bytes.length);
    // maxItems bounds the whole request: the payload's entries go on from
    // the envelope's count (its options map), or one request could decode
    // to twice the limit (found by a review).
    r.items = envelopeItems;
    return decodePackedEntries(r, this.ctx.limits.maxEntries);
  }

  /**
   * {@link store} for a request whose entries are not ready yet (gzip), or
   * that came after one of those: the sink gets requests in the order they
   * arrived, as the sender wrote them (Docker's partial messages are joined
   * in that order too), while a later plain request would otherwise overtake
   * one still being decompressed. (A request that completes a split line
   * calls write() only once its last piece is journaled, see store(): the
   * order of the normaliser is kept, not always that of the writes.)
   * Resolves when the items are durable.
   */
  private storeInOrder(tag: string, entries: ForwardEntry[] | Promise<ForwardEntry[]>, options: ForwardOptions): Promise<void> {
    const previous = this.handedOver;
    let handed!: () => void;
    const mine = new Promise<void>((resolve) => (handed = resolve));
    this.handedOver = mine;
    return (async () => {
      let stored: Promise<void> | void;
      try {
        const ready = await entries;
        await previous;
        // Handed over once write() is called, not once it is durable: requests are still stored concurrently.
        stored = this.store(tag, ready, options);
      } finally {
        handed();
        // None pending after this one: a later plain request may store at once again.
        if (this.handedOver === mine) this.handedOver = undefined;
      }
      await stored;
    })();
  }

  /**
   * Normalises the entries, journals the pieces of split lines and writes
   * the sink items; resolves when all of them are durable.
   */
  private store(tag: string, entries: ForwardEntry[], options: ForwardOptions): Promise<void> | void {
    const { counters, normalizer, partials } = this.ctx;
    counters.events += entries.length;
    const results: Normalized[] = [];
    const source = `forward:${this.ctx.address}`;
    for (const e of entries) normalizer.normalize(tag, e.record, options.signal, source, results);
    const items: SinkItem[] = [];
    const pieces: PartialPiece[] = [];
    const settles: string[] = [];
    const completed: LineOutcome[] = [];
    for (const n of results) {
      if (n.kind === 'sink') {
        items.push(n.item);
        if (n.container) counters.containerEvents++;
      } else if (n.kind === 'partial') {
        if (n.piece) pieces.push(n.piece);
        for (const k of n.settles) settles.push(k);
        if (n.completed) completed.push(n.completed);
      } else if (n.kind === 'non_audit') counters.nonAudit++;
      else if (n.kind === 'not_logs') counters.nonLogSignals++;
    }
    const recorded = pieces.length > 0 ? partials.record(pieces) : undefined;
    // The ack waits for the pieces of lines still open after this request;
    // a piece whose line completed here needs only its line stored.
    const owed = recorded && pieces.some((p) => !settles.includes(p.key)) ? recorded : undefined;
    if (items.length === 0) {
      // Lines closed here that were not audit lines: nothing to store, their pieces are done with.
      const stored = completed.flatMap((c) => c.stored() ?? []);
      if (settles.length > 0) void partials.settle(settles, stored);
      recorded?.catch(() => undefined);
      return owed?.catch(sinkFailed(counters));
    }
    counters.toSink += items.length;
    // A line this request completes is stored only once its last piece is
    // journaled too (or failed to be): else a crash after the line is stored
    // and before its pieces are settled would bring its first pieces back
    // without their last, and release them on expiry as an incomplete line.
    const write = () => this.ctx.sink.write(items);
    const journaled = recorded && settles.length > 0 ? recorded.then(() => undefined, () => undefined) : undefined;
    // A sink whose database falls behind makes write() wait (its memory
    // budget); the request stays in flight, which pauses the socket.
    const written = (journaled ? journaled.then(write) : write()).then(
      (receipt) => {
        counters.accepted += receipt.accepted;
        counters.rejected += receipt.rejected;
        const stored = completed.flatMap((c) => c.stored() ?? []);
        if (settles.length > 0) void partials.settle(settles, stored);
      },
      (err: unknown) => {
        // Not stored, not acked: the sender resends the piece that completed
        // each line, which must find the line's other pieces again.
        for (const c of completed) c.failed();
        throw err;
      },
    );
    return (owed ? Promise.all([owed, written]) : written).then(() => undefined, sinkFailed(counters));
  }

  /** Chains the ack after the store and after every earlier request's ack. */
  private track(stored: Promise<void> | void, options: ForwardOptions, reserved: () => number): void {
    if (options.chunkRaw) this.askedForAcks = true;
    this.inflight++;
    if (this.inflight >= this.ctx.limits.maxInflightRequests && !this.paused) {
      this.paused = true;
      this.transport.pause();
    }
    const done = Promise.resolve(stored);
    // Attach a handler now so a rejection never goes unhandled while earlier acks wait.
    done.catch(() => {});
    this.tail = this.tail.then(async () => {
      try {
        await done;
        // Also after a graceful close(): the data is durable, so the ack is still owed.
        // After a failure the socket is ending: no acks at all (the sender resends; duplicates are ignored).
        // Counted only when written: a socket already gone gets no ack.
        if (options.chunkRaw && !this.failed && this.transport.write(encodeAck(options.chunkRaw))) this.ctx.counters.acks++;
        // keepalive off (in_forward deny_keepalive): one request per connection.
        if (!this.ctx.keepalive) this.close();
      } catch (err) {
        this.fail(err);
      } finally {
        this.release(reserved());
        this.inflight--;
        // A paused socket is read again from now: not quiet yet.
        this.lastActiveAt = Date.now();
        if (this.paused && this.inflight < this.ctx.limits.maxInflightRequests && this.state !== 'closed') {
          this.paused = false;
          this.transport.resume();
        }
        // Requests that arrived in the same read as earlier ones wait here.
        if (this.buffered > 0) this.pump();
      }
    });
  }

  private failed = false;

  private fail(err: unknown): void {
    const e = err instanceof ReceiverError ? err : new ReceiverError('MSGPACK_INVALID', (err as Error)?.message ?? String(err));
    if (this.failed) return;
    this.failed = true;
    if (e.code !== 'SINK_FAILED') countBadFrame(this.ctx.counters, e.code);
    const fields = { peer: this.ctx.peer, code: e.code, reason: e.message };
    if (e.code === 'SINK_FAILED' && this.ctx.sinkFailures) this.ctx.sinkFailures.warn(fields);
    else this.ctx.log({ level: 'warn', msg: 'closing forward connection', ...fields });
    this.state = 'closed';
    this.release(this.buffered);
    this.buffered = 0;
    this.transport.end();
  }
}

/** Counts a failed store and gives the error the connection closes with (no ack: the sender resends). */
function sinkFailed(counters: ReceiverCounters): (err: unknown) => never {
  return (err) => {
    counters.sinkFailures++;
    throw new ReceiverError('SINK_FAILED', `sink could not store the request: ${(err as Error)?.message ?? String(err)}`);
  };
}
