import { ReceiverError } from '../errors.js';

/**
 * Splits a syslog TCP stream into messages (RFC 6587): octet-counting
 * (`MSG-LEN SP SYSLOG-MSG`, §3.4.1) when a frame starts with a digit,
 * otherwise non-transparent framing ending in LF (§3.4.2; a trailing CR and
 * NUL are dropped). Frames longer than `maxFrameBytes` are an error.
 */
export class SyslogFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds bytes and returns the complete frames now available. */
  push(data: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    const frames: Buffer[] = [];
    let pos = 0;
    const b = this.buf;
    while (pos < b.length) {
      const c = b[pos]!;
      if (c === 0x0a || c === 0x0d || c === 0x00) {
        pos++;
        continue;
      }
      if (c >= 0x30 && c <= 0x39) {
        const sp = b.indexOf(0x20, pos);
        if (sp < 0 || sp - pos > 10) {
          if (sp < 0 && b.length - pos <= 10) break;
          throw new ReceiverError('SYSLOG_INVALID', 'octet count is not followed by a space');
        }
        const lenText = b.toString('latin1', pos, sp);
        if (!/^[1-9]\d*$/.test(lenText)) throw new ReceiverError('SYSLOG_INVALID', 'octet count is not a number');
        const len = Number(lenText);
        if (len > this.maxFrameBytes) throw new ReceiverError('FRAME_TOO_LARGE', `frame of ${len} bytes exceeds ${this.maxFrameBytes}`);
        if (sp + 1 + len > b.length) break;
        frames.push(b.subarray(sp + 1, sp + 1 + len));
        pos = sp + 1 + len;
      } else {
        const lf = b.indexOf(0x0a, pos);
        if (lf < 0) {
          if (b.length - pos > this.maxFrameBytes) throw new ReceiverError('FRAME_TOO_LARGE', `line exceeds ${this.maxFrameBytes} bytes`);
          break;
        }
        let end = lf;
        if (end > pos && b[end - 1] === 0x0d) end--;
        if (end - pos > this.maxFrameBytes) throw new ReceiverError('FRAME_TOO_LARGE', `line exceeds ${this.maxFrameBytes} bytes`);
        frames.push(b.subarray(pos, end));
        pos = lf + 1;
      }
    }
    this.buf = pos >= b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(pos));
    return frames;
  }

  /** Bytes of an unterminated frame left at end of stream (a final LF-less line is still a message). */
  rest(): Buffer {
    return this.buf;
  }
}
