import type { Socket as UdpSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { classifyLine } from '../../normalize/classify-line.js';
import { listenTcpAndUdp } from '../listen.js';
import { countBadFrame, type ReceiverCounters } from '../counters.js';
import { ReceiverError } from '../errors.js';
import type { EventSink, ReceiverLog, SinkItem } from '../types.js';
import { SyslogFramer } from './framing.js';
import { parseSyslog } from './parse.js';

/** Options of the syslog receiver. */
export interface SyslogServerOptions {
  host?: string;
  /** 0 picks a free port; UDP listens on the same port number. */
  port?: number;
  /** Longest message accepted, bytes (TCP frames and UDP datagrams). */
  maxFrameBytes?: number;
  maxConnections?: number;
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
}

/**
 * Starts a syslog receiver on TCP (RFC 6587 octet-counting or LF framing,
 * detected per frame) and UDP (RFC 5426, one message per datagram), for
 * RFC 5424 and RFC 3164 messages. The MSG part is the audit line; non-audit
 * messages are counted and skipped. Syslog has no acknowledgement, so TCP
 * backpressure is the only flow control: a connection is paused while its
 * messages are being stored.
 */
export async function startSyslogServer(options: SyslogServerOptions, deps: SyslogServerDeps): Promise<SyslogServer> {
  const { sink, counters, log } = deps;
  const maxFrame = options.maxFrameBytes ?? 256 * 1024;
  const maxConnections = options.maxConnections ?? 1024;
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const writes = new Set<Promise<unknown>>();

  /** Turns frames into sink items (counting everything else) and stores them. */
  const store = (frames: Buffer[], source: string): Promise<void> => {
    const items: SinkItem[] = [];
    for (const frame of frames) {
      counters.events++;
      let text: string;
      try {
        text = frame.toString('utf8');
        const msg = parseSyslog(text);
        const meta = { source_tag: (msg.appName ?? 'syslog').slice(0, 256) };
        const n = classifyLine(msg.msg, meta, source);
        if (n.kind === 'sink') {
          items.push(n.item);
          if (n.container) counters.containerEvents++;
        } else counters.nonAudit++;
      } catch (err) {
        const code = err instanceof ReceiverError ? err.code : 'SYSLOG_INVALID';
        countBadFrame(counters, code);
        log({ level: 'warn', msg: 'dropping invalid syslog message', source, code, reason: (err as Error).message });
      }
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

  const tcp = createServer((socket) => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (sockets.size >= maxConnections) {
      counters.refusedConnections++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    counters.connections++;
    counters.activeConnections++;
    const framer = new SyslogFramer(maxFrame);
    const source = `syslog-tcp:${peer}`;
    let chain: Promise<void> = Promise.resolve();
    let inflight = 0;
    const fail = (err: unknown): void => {
      const code = err instanceof ReceiverError ? err.code : 'SYSLOG_INVALID';
      if (code !== 'SINK_FAILED') countBadFrame(counters, code);
      log({ level: 'warn', msg: 'closing syslog connection', peer, code, reason: (err as Error).message });
      socket.destroy();
    };
    const submit = (frames: Buffer[]): void => {
      if (frames.length === 0) return;
      inflight++;
      if (inflight >= 4) socket.pause();
      const p = store(frames, source);
      chain = chain.then(() => p).catch(fail).finally(() => {
        inflight--;
        if (inflight < 4 && !socket.destroyed) socket.resume();
      });
    };
    let lost = false;
    socket.on('data', (d: Buffer) => {
      counters.bytes += d.length;
      // Past an unreadable octet count the stream cannot be followed: nothing after it is a frame.
      if (lost) return;
      const { frames, refused, fatal } = framer.push(d);
      // The messages before a bad frame are stored whatever follows them.
      submit(frames);
      for (const r of refused) {
        countBadFrame(counters, r.code);
        log({ level: 'warn', msg: 'skipping syslog frame', peer, code: r.code, reason: r.message });
      }
      if (fatal) {
        lost = true;
        socket.pause();
        void chain.then(() => fail(fatal));
      }
    });
    socket.on('end', () => {
      const rest = framer.rest();
      if (rest.length > 0) submit([rest]);
      void chain.then(() => socket.end());
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      counters.activeConnections--;
    });
  });
  const bound = await listenTcpAndUdp(tcp, host, options.port ?? 0, true);
  const port = bound.port;
  const udp: UdpSocket = bound.udp!;
  let pending: Buffer[] = [];
  udp.on('message', (msg) => {
    counters.bytes += msg.length;
    if (msg.length > maxFrame) {
      countBadFrame(counters, 'FRAME_TOO_LARGE');
      return;
    }
    // Datagrams of one event-loop turn are stored in one write.
    if (pending.length === 0) {
      setImmediate(() => {
        const frames = pending;
        pending = [];
        store(frames, 'syslog-udp').catch((err: Error) =>
          log({ level: 'error', msg: 'syslog UDP messages could not be stored', count: frames.length, reason: err.message }),
        );
      });
    }
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x00)) end--;
    pending.push(msg.subarray(0, end));
  });
  return {
    address: { host, port },
    async close() {
      // Stop accepting; let open connections deliver what they already sent
      // (read until the peer's FIN, at most 2 s), then wait for those writes.
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      udp.close();
      for (const s of sockets) s.end();
      setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 2_000).unref();
      await closed;
      await Promise.allSettled([...writes]);
    },
  };
}
