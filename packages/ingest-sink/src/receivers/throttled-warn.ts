import type { ReceiverLog } from './types.js';

/**
 * A warn log for refusals that can come in floods (UDP needs no handshake and
 * can be spoofed; every request while the sink cannot store): the first at
 * once, then at most one line per interval, carrying how many were not
 * logged in between. The counters count them all. Logged at `level`, warn
 * unless the refusal loses data the sender cannot resend (UDP: error).
 */
export class ThrottledWarn {
  private last = -Infinity;
  private suppressed = 0;
  constructor(
    private readonly log: ReceiverLog,
    private readonly msg: string,
    private readonly intervalMs = 10_000,
    private readonly level: 'warn' | 'error' = 'warn',
  ) {}

  /**
   * Logs a refusal of `count` things (one by default: a connection, a
   * frame; a UDP write holds every datagram that waited for it), or counts
   * them in the next line's `notLogged` within the interval.
   */
  warn(fields: Record<string, unknown>, count = 1): void {
    const now = Date.now();
    if (now - this.last < this.intervalMs) {
      this.suppressed += count;
      return;
    }
    this.log({ level: this.level, msg: this.msg, ...fields, ...(this.suppressed > 0 ? { notLogged: this.suppressed } : {}) });
    this.last = now;
    this.suppressed = 0;
  }

  /** Logs the count of refusals not logged yet (at close). */
  flush(): void {
    if (this.suppressed > 0) this.log({ level: this.level, msg: this.msg, notLogged: this.suppressed });
    this.suppressed = 0;
  }
}
