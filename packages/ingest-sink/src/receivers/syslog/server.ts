import { isUtf8 } from 'node:buffer';
import { createServer, type Server, type Socket } from 'node:net';
import { classifyLine, type Normalized } from '../../normalize/classify-line.js';
import { syslogMeta } from '../../normalize/transport-meta.js';
import type { TagFilter } from '../../normalize/tag-patterns.js';
import { listenTcpAndUdp } from '../listen.js';
import { syslogLimits } from './limits.js';
import { createTlsReceiverServer, type ReceiverTls } from '../tls-server.js';
import { countBadFrame, type ReceiverCounters } from '../counters.js';
import { ReceiverError } from '../errors.js';
import type { EventSink, ReceiverLog, SinkItem } from '../types.js';
import { ThrottledWarn } from '../throttled-warn.js';
import { SyslogFramer, type RefusedFrame } from './framing.js';
import { parseSyslog } from './parse.js';
import { settleWithin } from '../../sink/settle-within.js';

/** Options of the syslog receiver. */
export interface SyslogServerOptions {
  host?: string | undefined;
  /** 0 picks a free port; UDP listens on the same port number (not with `tls`). */
  port?: number | undefined;
  /**
   * Syslog over TLS (RFC 5425; port 6514 by convention): TCP connections must
   * speak TLS (mutual with `ca`), and no UDP socket is opened, since UDP
   * would carry the same messages in clear text (DTLS, RFC 6012, is not
   * supported).
   */
  tls?: ReceiverTls | undefined;
  /** Longest message accepted, bytes (TCP frames and UDP datagrams; default 256 KiB). */
  maxFrameBytes?: number | undefined;
  /** Open TCP connections at most (default 1024); more are closed at once, counted and logged. */
  maxConnections?: number | undefined;
  /**
   * Bytes of UDP datagrams held at once, waiting for or in a sink write
   * (default 32 MiB), each counted 256 bytes more than its length (what
   * holding it costs besides its bytes). UDP has no flow control: past this,
   * datagrams are dropped and counted (`SERVER_BUSY`) instead of piling up in
   * memory while the database is slow.
   */
  maxUdpBufferedBytes?: number | undefined;
  /**
   * Bytes of unfinished TCP frames held by all connections together (default
   * 32 MiB). A connection whose read takes them past it is closed
   * (`SERVER_BUSY`, logged), what came of its frame kept as a reject when it
   * holds an audit line: memory stays bounded whatever the number of
   * connections, as the forward receiver's `maxBufferedBytes` keeps it.
   */
  maxBufferedBytes?: number | undefined;
  /**
   * How long close() keeps reading open TCP connections, ms (default 10 000).
   * Syslog has no ack, so what a sender already sent exists only in our
   * socket buffers: close() reads it (at the pace the sink stores it) up to
   * the sender's FIN; what is still unread at this deadline is dropped,
   * counted and logged.
   */
  closeTimeoutMs?: number | undefined;
  /**
   * A TCP connection that sends nothing, with nothing being stored, for this
   * long is closed, ms (default 300 000); a frame it left unfinished is kept
   * as on any close.
   */
  idleTimeoutMs?: number | undefined;
}

/** UDP sink writes outstanding at once; later datagrams join the next batch (as a TCP connection's 4). */
const MAX_UDP_WRITES = 4;
/**
 * What one held UDP datagram costs beyond its bytes (its Buffer and its place
 * in a batch, some hundred bytes of heap), charged against
 * maxUdpBufferedBytes. Counted by their bytes alone, empty datagrams cost
 * nothing: 3.8 million of them grew the receiver by 580 MB while the sink
 * waited, none dropped (found by a probe), and 1-byte ones were held 200
 * times over the budget.
 */
const UDP_DATAGRAM_OVERHEAD = 256;
/** Sink writes in flight per TCP connection before it stops being read. */
const MAX_TCP_INFLIGHT = 4;
/**
 * While closing, a connection with nothing read, buffered or being stored
 * for this long is closed before the deadline: what its sender wrote before
 * our FIN has arrived by then (it is not paused), and an idle rsyslog
 * connection would otherwise hold shutdown for the whole deadline.
 */
const CLOSE_QUIET_MS = 1_000;

/** What close() needs of one TCP connection. */
interface ConnectionControl {
  /** Ms since this connection last read or stored anything, 0 while it holds or stores something. */
  idleFor(now: number): number;
  /** The close deadline passed: counts and logs what was read but not stored, and destroys the socket. */
  abandon(): void;
}

/** A running syslog receiver. */
export interface SyslogServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** What the syslog receiver needs besides its options. */
export interface SyslogServerDeps {
  sink: EventSink;
  counters: ReceiverCounters;
  log: ReceiverLog;
  /** APP-NAMEs Docker events and Falco alerts may arrive with (normalize/tag-patterns.ts); any when undefined. */
  containerEventTags?: TagFilter;
}

/**
 * Starts a syslog receiver on TCP (RFC 6587 octet-counting or LF framing,
 * detected per frame) and UDP (RFC 5426, one message per datagram), or on
 * TLS alone (RFC 5425, octet-counting; LF framing is accepted too), for
 * RFC 5424 and RFC 3164 messages. The MSG part is the audit line; non-audit
 * messages are counted and skipped. Syslog has no acknowledgement, so TCP
 * backpressure is the only flow control: a connection is paused while its
 * messages are being stored.
 */
export async function startSyslogServer(options: SyslogServerOptions, deps: SyslogServerDeps): Promise<SyslogServer> {
  const { sink, counters, log, containerEventTags } = deps;
  const { maxFrameBytes: maxFrame, maxConnections, maxUdpBufferedBytes: maxUdpBuffered, maxBufferedBytes, closeTimeoutMs, idleTimeoutMs } = syslogLimits(options);
  const host = options.host ?? '127.0.0.1';
  const sockets = new Map<Socket, ConnectionControl>();
  const writes = new Set<Promise<unknown>>();
  /** Bytes of unfinished TCP frames held by all connections (against maxBufferedBytes). */
  let tcpHeld = 0;
  // One log line per invalid frame let two bytes of input ("x\n") write a
  // hundred of log (found by a probe): at most one line per 10 s each, with
  // how many were not logged; the counters count them all.
  const invalidKept = new ThrottledWarn(log, 'invalid syslog message; its audit content is kept');
  const sinkFailures = new ThrottledWarn(log, 'closing syslog connection');
  const invalidDropped = new ThrottledWarn(log, 'dropping invalid syslog message');

  /**
   * Turns frames into sink items (counting everything else) and stores them,
   * with the first bytes of oversized frames that hold an audit line as
   * rejects: syslog has no ack, so nothing else would keep them.
   */
  const store = (frames: Buffer[], source: string, refused: readonly RefusedFrame[] = []): Promise<void> => {
    /**
     * What text that is not a syslog message still carries: its audit line,
     * as a reject under `reason`; with `bare`, a frame that is a JSON line
     * is validated as any other line.
     */
    const salvage = (text: string, reason: string, bare: boolean): Normalized => {
      const n = classifyLine(text, { source_tag: 'syslog' }, source, containerEventTags);
      if (n.kind !== 'sink' || (bare && text.startsWith('{'))) return n;
      return { ...n, item: { ...n.item, reject: n.item.reject ?? reason } };
    };
    const items: SinkItem[] = [];
    for (const frame of frames) {
      counters.events++;
      const text = frame.toString('utf8');
      // Decoding replaced invalid bytes with U+FFFD: counted as the forward receiver does
      // (RFC 5424 §6.4 wants UTF-8 in MSG; a U+FFFD sent as such is valid and not counted).
      if (text.includes('\uFFFD') && !isUtf8(frame)) counters.invalidUtf8++;
      let n: Normalized;
      try {
        const msg = parseSyslog(text);
        n = classifyLine(msg.msg, syslogMeta(msg.appName, msg.hostname), source, containerEventTags);
      } catch (err) {
        const code = err instanceof ReceiverError ? err.code : 'SYSLOG_INVALID';
        countBadFrame(counters, code);
        // Not syslog, but what it carries is not dropped: the whole frame is
        // the content (as RFC 3164 §4.3.3 has a relay treat a message with no
        // or an unidentifiable PRI). A bare audit line is validated as any
        // other; a frame that only holds one is a reject naming the syslog error.
        n = salvage(text, `${code}: ${(err as Error).message}`, true);
        (n.kind === 'sink' ? invalidKept : invalidDropped).warn({ source, code, reason: (err as Error).message });
      }
      if (n.kind === 'sink') {
        items.push(n.item);
        if (n.container) counters.containerEvents++;
      } else counters.nonAudit++;
    }
    // A frame over the limit is an event too, in `toSink` or `nonAudit` as
    // any other (as a frame refused as not syslog now is): it was in neither,
    // and one refused as not syslog in `events` alone, so the buckets did not
    // add up to `events` as the forward receiver's do (found by a probe).
    for (const r of refused) {
      counters.events++;
      const n = salvage(r.head.toString('utf8'), `${r.error.code}: ${r.error.message}; its first ${r.head.length} bytes are kept`, false);
      if (n.kind === 'sink') items.push(n.item);
      else counters.nonAudit++;
    }
    if (items.length === 0) return Promise.resolve();
    counters.toSink += items.length;
    const p = sink.write(items).then(
      (r) => {
        counters.accepted += r.accepted;
        counters.rejected += r.rejected;
      },
      (err: unknown) => {
        counters.sinkFailures++;
        throw new ReceiverError('SINK_FAILED', (err as Error)?.message ?? String(err));
      },
    );
    writes.add(p);
    void p.finally(() => writes.delete(p)).catch(() => {});
    return p;
  };

  const onSocket = (socket: Socket): void => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (sockets.size >= maxConnections) {
      counters.refusedConnections++;
      log({ level: 'warn', msg: 'refusing syslog connection', peer, code: 'TOO_MANY_CONNECTIONS', limit: maxConnections });
      socket.destroy();
      return;
    }
    counters.connections++;
    counters.activeConnections++;
    const framer = new SyslogFramer(maxFrame);
    // The address without the port: a sender reconnecting to resend keeps its source (reject_key).
    const source = `syslog-tcp:${socket.remoteAddress}`;
    let chain: Promise<void> = Promise.resolve();
    let inflight = 0;
    /** When this connection last read bytes or finished storing some. */
    let lastActivity = Date.now();
    const fail = (err: unknown): void => {
      const code = err instanceof ReceiverError ? err.code : 'SYSLOG_INVALID';
      if (code !== 'SINK_FAILED') countBadFrame(counters, code);
      // Throttled for the sink's failures: while it cannot store, every
      // sender's every reconnect ends here (as in the forward receiver).
      if (code === 'SINK_FAILED') sinkFailures.warn({ peer, code, reason: (err as Error).message });
      else log({ level: 'warn', msg: 'closing syslog connection', peer, code, reason: (err as Error).message });
      socket.destroy();
    };
    const submit = (frames: Buffer[], refused: RefusedFrame[] = []): void => {
      if (frames.length === 0 && refused.length === 0) return;
      inflight++;
      if (inflight >= MAX_TCP_INFLIGHT) socket.pause();
      const p = store(frames, source, refused);
      chain = chain.then(() => p).catch(fail).finally(() => {
        inflight--;
        lastActivity = Date.now();
        if (inflight < MAX_TCP_INFLIGHT && !socket.destroyed) socket.resume();
      });
    };
    /** Set at the close deadline: what is read from then on is counted as dropped, not stored. */
    let abandoned = false;
    let droppedFrames = 0;
    let droppedBytes = 0;
    /** What this connection adds to tcpHeld: the unfinished frame its framer held when last counted. */
    let held = 0;
    socket.on('data', (d: Buffer) => {
      counters.bytes += d.length;
      lastActivity = Date.now();
      const { frames, refused } = framer.push(d);
      if (abandoned) {
        droppedBytes += d.length;
        droppedFrames += frames.length + refused.length;
        return;
      }
      // The messages before a bad frame are stored whatever follows them.
      submit(frames, refused);
      for (const { error } of refused) {
        countBadFrame(counters, error.code);
        log({ level: 'warn', msg: 'skipping syslog frame', peer, code: error.code, reason: error.message });
      }
      tcpHeld += framer.pendingLength - held;
      held = framer.pendingLength;
      if (held > 0 && tcpHeld > maxBufferedBytes) closeBusy();
    });
    /** What the framer holds of frames not finished: the refused ones (a head over the limit, a cut octet-counted frame) and a last line without its LF. */
    const takeUnfinished = (): { refused: RefusedFrame[]; rest: Buffer } => ({
      refused: [framer.takeHead(), framer.takeCut()].filter((r): r is RefusedFrame => r !== undefined),
      rest: framer.rest(),
    });
    /**
     * Stores what the stream leaves unfinished when it ends: a last line
     * without its LF, the head of a frame over the limit that came in part,
     * and what came of an octet-counted frame it cut short.
     */
    const submitUnfinished = (): void => {
      const { refused, rest } = takeUnfinished();
      for (const { error } of refused) {
        countBadFrame(counters, error.code);
        log({ level: 'warn', msg: 'syslog stream ended inside a frame', peer, code: error.code, reason: error.message });
      }
      if (rest.length > 0 || refused.length > 0) submit(rest.length > 0 ? [rest] : [], refused);
    };
    /**
     * This read took the unfinished frames of all connections past
     * maxBufferedBytes: the connection is closed, as a forward connection
     * whose bytes would pass the forward budget is, and what came of its
     * frame is kept as on a reset (a reject when it holds an audit line).
     */
    const closeBusy = (): void => {
      const partialBytes = framer.pendingLength;
      const { refused, rest } = takeUnfinished();
      const error = new ReceiverError('SERVER_BUSY', `unfinished syslog frames of all connections passed ${maxBufferedBytes} bytes; this connection was closed ${partialBytes} bytes into a frame`);
      countBadFrame(counters, 'SERVER_BUSY');
      log({ level: 'warn', msg: 'closing syslog connection', peer, code: 'SERVER_BUSY', limit: maxBufferedBytes, partialBytes });
      // Given back now, not at 'close': other reads of this turn must not find them still held.
      tcpHeld -= held;
      held = 0;
      socket.destroy();
      const heads = [...refused.map((r) => r.head), ...(rest.length > 0 ? [rest] : [])];
      submit([], heads.map((head) => ({ error, head })));
    };
    socket.on('end', () => {
      submitUnfinished();
      void chain.then(() => socket.end());
    });
    // Re-armed while messages are being stored: storing may end without a read.
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => {
      if (inflight > 0) return void socket.setTimeout(idleTimeoutMs);
      log({ level: 'info', msg: 'closing idle syslog connection', peer, idleMs: idleTimeoutMs });
      // Nothing more is read: bytes after the flushed frame would start a false one.
      socket.pause();
      submitUnfinished();
      void chain.then(() => socket.destroy());
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset cuts the frame being received: that message is lost, so it is
      // counted, under the code its reject is stored with (the head of a frame
      // over the limit stays FRAME_TOO_LARGE). What came of it is evidence all
      // the same, as what a FIN cuts short is (submitUnfinished): kept as a
      // reject when it holds an audit line. Only counted, a whole audit line
      // whose LF a sender killed mid-write never sent was lost (found by a
      // probe). A line without its LF is not taken for a message here, as at
      // a FIN: a reset says the sender stopped writing, not that it had finished.
      const partialBytes = framer.pendingLength;
      const { refused: cut, rest } = partialBytes > 0 ? takeUnfinished() : { refused: [], rest: Buffer.alloc(0) };
      if (rest.length > 0) cut.push({ error: new ReceiverError('REQUEST_TRUNCATED', `connection reset after ${rest.length} bytes of a line, before its LF`), head: rest });
      for (const { error } of cut) countBadFrame(counters, error.code);
      log({ level: 'warn', msg: 'syslog connection error', peer, error: err.code ?? err.message, ...(cut.length > 0 ? { code: cut[0]!.error.code, partialBytes } : {}) });
      if (cut.length > 0) submit([], cut);
    });
    socket.on('close', () => {
      tcpHeld -= held;
      held = 0;
      sockets.delete(socket);
      counters.activeConnections--;
    });
    sockets.set(socket, {
      idleFor: (now) => (inflight > 0 || framer.pendingLength > 0 || socket.readableLength > 0 ? 0 : now - lastActivity),
      abandon: () => {
        if (socket.destroyed) return;
        abandoned = true;
        // read() hands over what Node already took from the kernel (emitting 'data', counted
        // above as dropped); bytes still in the kernel buffer cannot be known.
        while (socket.read() !== null);
        const partialBytes = framer.pendingLength;
        for (let i = 0; i < droppedFrames; i++) countBadFrame(counters, 'SERVER_BUSY');
        if (partialBytes > 0) countBadFrame(counters, 'REQUEST_TRUNCATED');
        if (droppedFrames > 0 || partialBytes > 0) {
          log({ level: 'warn', msg: 'syslog close deadline passed: dropping messages read but not stored', peer, code: 'SERVER_BUSY', frames: droppedFrames, bytes: droppedBytes, partialBytes });
        }
        socket.destroy();
      },
    });
  };
  let tcp: Server;
  let destroyHandshaking = () => {};
  if (options.tls) {
    ({ server: tcp, destroyAll: destroyHandshaking } = createTlsReceiverServer(options.tls, onSocket, { what: 'syslog', maxConnections, counters, log }));
  } else {
    tcp = createServer(onSocket);
  }
  const bound = await listenTcpAndUdp(tcp, host, options.port ?? 0, !options.tls);
  const port = bound.port;
  const udp = bound.udp;
  udp?.on('error', (err) => log({ level: 'warn', msg: 'syslog UDP socket error', error: err.message }));
  const udpTooLarge = new ThrottledWarn(log, 'skipping syslog UDP datagram');
  const udpFull = new ThrottledWarn(log, 'syslog UDP buffer full, dropping datagrams');
  // Throttled as the TCP connections closed for SINK_FAILED are: while the
  // spool's disk is full every UDP write fails, and one error line each (a
  // steady sender makes one write per datagram) flooded a log that may sit
  // on that disk (found by a review). Error, not warn: UDP has no resend.
  const udpSinkFailures = new ThrottledWarn(log, 'syslog UDP messages could not be stored', 10_000, 'error');
  /**
   * Datagrams waiting for a write slot, with the heads of oversized ones, by
   * sender address: each sender's are stored under its own source
   * (`syslog-udp:<address>`, what a reject records), all in one write.
   */
  let pending = new Map<string, { frames: Buffer[]; refused: RefusedFrame[] }>();
  let pendingBytes = 0;
  /** Bytes of the datagrams pending or in a sink write: what UDP holds in memory. */
  let udpHeld = 0;
  let udpWrites = 0;
  let flushScheduled = false;
  /** Starts a write of the pending datagrams when fewer than MAX_UDP_WRITES are outstanding. */
  const flushUdp = (): void => {
    if (pending.size === 0 || udpWrites >= MAX_UDP_WRITES) return;
    const groups = pending;
    const bytes = pendingBytes;
    pending = new Map();
    pendingBytes = 0;
    udpWrites++;
    Promise.all(
      [...groups].map(([address, { frames, refused }]) =>
        store(frames, `syslog-udp:${address}`, refused).catch((err: Error) =>
          udpSinkFailures.warn({ code: 'SINK_FAILED', count: frames.length + refused.length, reason: err.message }, frames.length + refused.length),
        ),
      ),
    )
      .finally(() => {
        udpWrites--;
        udpHeld -= bytes;
        flushUdp();
      });
  };
  udp?.on('message', (msg, rinfo) => {
    counters.bytes += msg.length;
    const tooLarge = msg.length > maxFrame;
    if (tooLarge) {
      countBadFrame(counters, 'FRAME_TOO_LARGE');
      udpTooLarge.warn({ peer: `${rinfo.address}:${rinfo.port}`, code: 'FRAME_TOO_LARGE', bytes: msg.length, limit: maxFrame });
    }
    // What is held: the datagram, or the first maxFrame bytes of an oversized
    // one, which store() keeps as a reject when they hold an audit line (as a
    // TCP frame's head: syslog has no ack, so nothing else keeps it).
    const held = (tooLarge ? maxFrame : msg.length) + UDP_DATAGRAM_OVERHEAD;
    // No flow control on UDP (RFC 5426: datagrams may be lost): while the sink is
    // slow, datagrams beyond the budget are dropped and counted, not held without bound.
    // With nothing held, one is always taken: a budget under a datagram's charge
    // (the 256 added to its length) would otherwise drop every one (found by a review).
    if (udpHeld > 0 && udpHeld + held > maxUdpBuffered) {
      countBadFrame(counters, 'SERVER_BUSY');
      udpFull.warn({ peer: `${rinfo.address}:${rinfo.port}`, code: 'SERVER_BUSY', limit: maxUdpBuffered });
      return;
    }
    let group = pending.get(rinfo.address);
    if (!group) pending.set(rinfo.address, (group = { frames: [], refused: [] }));
    if (tooLarge) {
      // A copy: the head must not keep the whole datagram's memory alive.
      group.refused.push({ error: new ReceiverError('FRAME_TOO_LARGE', `datagram of ${msg.length} bytes exceeds ${maxFrame}`), head: Buffer.from(msg.subarray(0, maxFrame)) });
    } else {
      let end = msg.length;
      while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x00)) end--;
      group.frames.push(end === msg.length ? msg : msg.subarray(0, end));
    }
    pendingBytes += held;
    udpHeld += held;
    // Datagrams of one event-loop turn (or that waited for a write slot) are stored in one write.
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        flushUdp();
      });
    }
  });
  return {
    address: { host, port },
    async close() {
      // Stop accepting. Syslog over TCP has no ack (RFC 6587): what a sender already
      // sent is stored only if we read it, so open connections go on being read,
      // at the pace of the sink (paused ones resume as their writes complete), up
      // to the sender's FIN, until idle, or until the deadline. Our FIN tells a
      // sender we are going, so it keeps what it has not sent yet.
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      udp?.close();
      for (const s of sockets.keys()) s.end();
      const started = Date.now();
      const watch = setInterval(() => {
        const now = Date.now();
        for (const [s, c] of sockets) {
          if (now - started >= closeTimeoutMs) c.abandon();
          else if (Math.min(c.idleFor(now), now - started) >= CLOSE_QUIET_MS) s.destroy();
        }
      }, 100);
      // tcp.close() calls back before the sockets' 'close' events: wait for those too, so the counters are final.
      const socketsClosed = [...sockets.keys()].map((s) => new Promise((r) => s.once('close', r)));
      await Promise.all(socketsClosed);
      clearInterval(watch);
      // TLS connections still in their handshake would hold tcp.close() until their handshake timeout.
      destroyHandshaking();
      await closed;
      // UDP batches may be waiting for a write slot: wait until none is left,
      // within the same deadline. A write waiting for spool room (the
      // database down, the spool full) waits for a commit, and close() never
      // returned (found by a probe); it settles when the sink closes.
      while ((writes.size > 0 || pending.size > 0) && Date.now() - started < closeTimeoutMs) {
        await settleWithin(Promise.allSettled([...writes]), Math.max(0, closeTimeoutMs - (Date.now() - started)));
        await new Promise((r) => setImmediate(r));
      }
      if (writes.size > 0 || pending.size > 0) log({ level: 'warn', msg: 'syslog messages still being stored at close; they are stored only if the sink can still take them', writes: writes.size + pending.size });
      udpTooLarge.flush();
      udpFull.flush();
      udpSinkFailures.flush();
      invalidKept.flush();
      invalidDropped.flush();
      sinkFailures.flush();
    },
  };
}
