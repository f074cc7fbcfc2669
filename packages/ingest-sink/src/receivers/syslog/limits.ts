import { checkLimits } from '../check-limits.js';
import type { SyslogServerOptions } from './server.js';

/** Limits of the syslog receiver, all positive whole numbers (see SyslogServerOptions). */
export interface SyslogLimits {
  /** Longest message accepted, bytes (TCP frames and UDP datagrams). */
  maxFrameBytes: number;
  /** Open TCP connections at most; more are closed at once, counted and logged. */
  maxConnections: number;
  /** Bytes of UDP datagrams held at once (each counted 256 bytes more than its length), waiting for or in a sink write; beyond it datagrams are dropped and counted. */
  maxUdpBufferedBytes: number;
  /**
   * Bytes of unfinished TCP frames held by all connections together (a frame
   * arriving in several reads, the head of one over maxFrameBytes). A
   * connection whose read takes them past it is closed (SERVER_BUSY), what
   * came of its frame kept as a reject when it holds an audit line: bounded
   * per connection only, 1000 connections each holding 256 KiB of a line
   * without its LF grew the receiver by 270 MB (found by a probe).
   */
  maxBufferedBytes: number;
  /** How long close() keeps reading open TCP connections, ms. */
  closeTimeoutMs: number;
  /**
   * A TCP connection that sends nothing, with nothing being stored, for this
   * long is closed, ms (a frame it left unfinished is kept as on a close).
   * Without it, idle connections held every slot (found by a probe).
   */
  idleTimeoutMs: number;
}

/** Defaults of {@link SyslogLimits}. */
export const DEFAULT_SYSLOG_LIMITS: SyslogLimits = {
  maxFrameBytes: 256 * 1024,
  maxConnections: 1024,
  maxUdpBufferedBytes: 32 * 1024 * 1024,
  maxBufferedBytes: 32 * 1024 * 1024,
  closeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
};

/** The limits among a syslog receiver's options, checked ({@link checkLimits}), defaults filled in. */
export function syslogLimits(options: SyslogServerOptions): SyslogLimits {
  const { host: _host, port: _port, tls: _tls, ...given } = options;
  return checkLimits('syslog', given, DEFAULT_SYSLOG_LIMITS);
}
