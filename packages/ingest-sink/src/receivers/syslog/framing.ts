import { ReceiverError } from '../errors.js';
import { ByteList } from './byte-list.js';

/** A frame over the size limit: why, and its first bytes (the limit's worth, or what arrived before the stream ended). */
export interface RefusedFrame {
  error: ReceiverError;
  head: Buffer;
}

/** What one read of the stream yielded. */
export interface FramerOutput {
  /** Complete messages, in stream order. */
  frames: Buffer[];
  /** Frames over the size limit, skipped (the stream goes on after them). */
  refused: RefusedFrame[];
}

/**
 * Splits a syslog TCP stream into messages (RFC 6587): octet-counting
 * (`MSG-LEN SP SYSLOG-MSG`, §3.4.1) when a frame starts with a digit,
 * otherwise non-transparent framing ending in LF (§3.4.2; a trailing CR and
 * NUL are dropped).
 *
 * A frame longer than `maxFrameBytes` is skipped, not fatal: an octet-counted
 * one by its count, an LF-framed one up to its LF, so the messages around it
 * are kept (syslog has no ack: a message dropped here is gone, but for the
 * first bytes handed back with it, which the server keeps as a reject when
 * they hold an audit line). A frame that starts with a digit but no octet
 * count (`2026-12-06 10:00 ...`, `05 x`: a line some sender did not frame as
 * syslog) is read as a line up to its LF, which the server then refuses as not
 * syslog and keeps as evidence. Before, it ended the stream, and every later
 * message of the connection was dropped uncounted (found by a probe).
 *
 * An unfinished frame is kept as a list of reads and joined once complete:
 * joining on every read made a long line cost quadratic time in the number of
 * reads it arrived in. Short reads are copied together ({@link ByteList}), so
 * a frame sent a byte per read does not cost a Buffer per byte.
 */
export class SyslogFramer {
  /** Reads holding the start of an unfinished frame. */
  private pending = new ByteList();
  /** The unfinished frame is LF-framed and its pending reads hold no LF. */
  private waitingForLf = false;
  /** Bytes the unfinished frame needs in all (octet counting), 0 when unknown. */
  private waitingForBytes = 0;
  /** Bytes still to discard of an oversized octet-counted frame. */
  private skipBytes = 0;
  /**
   * An oversized octet-counted frame whose first `maxFrameBytes` are still
   * arriving: they are kept (as an LF-framed line's are), not just what the
   * read that announced the frame held (64 KiB of a 300 KB frame, found by a
   * probe), then the rest is skipped.
   */
  private head: { error: ReceiverError; len: number; parts: ByteList; have: number } | undefined;
  /** Discarding an oversized LF-framed line up to its LF. */
  private skipToLf = false;

  constructor(private readonly maxFrameBytes: number) {}

  /**
   * True when an LF-framed line still waiting for its LF, `n` bytes so far,
   * is over the limit: more than `maxFrameBytes + 1`, since its last byte may
   * be the CR of a CR LF ending, which is not part of the message. At
   * `maxFrameBytes`, a line of exactly the limit whose CR and LF arrived in
   * different reads was refused, while the same bytes in one read passed.
   */
  private unterminatedTooLong(n: number): boolean {
    return n > this.maxFrameBytes + 1;
  }

  /** Adds bytes and returns the frames now complete. */
  push(data: Buffer): FramerOutput {
    const out: FramerOutput = { frames: [], refused: [] };
    let input = data;
    if (this.head) {
      const h = this.head;
      const n = Math.min(this.maxFrameBytes - h.have, input.length);
      h.parts.push(input.subarray(0, n), true);
      h.have += n;
      input = input.subarray(n);
      if (h.have < this.maxFrameBytes) return out;
      out.refused.push(this.takeHead()!);
      this.skipBytes = h.len - h.have;
    }
    if (this.skipBytes > 0) {
      const n = Math.min(this.skipBytes, input.length);
      this.skipBytes -= n;
      input = input.subarray(n);
    }
    if (this.skipToLf) {
      const lf = input.indexOf(0x0a);
      if (lf < 0) return out;
      this.skipToLf = false;
      input = input.subarray(lf + 1);
    }
    if (input.length === 0) return out;
    // Still incomplete: keep the read, without joining or rescanning what came before.
    if (this.pending.length > 0) {
      const stillShort = this.waitingForLf ? input.indexOf(0x0a) < 0 : this.waitingForBytes > 0 && this.pending.length + input.length < this.waitingForBytes;
      if (stillShort) {
        if (this.waitingForLf && this.unterminatedTooLong(this.pending.length + input.length)) {
          const head = Buffer.concat([...this.pending.pieces(), input]).subarray(0, this.maxFrameBytes);
          out.refused.push({ error: new ReceiverError('FRAME_TOO_LARGE', `line exceeds ${this.maxFrameBytes} bytes`), head });
          this.reset();
          this.skipToLf = true;
          return out;
        }
        this.pending.push(input);
        return out;
      }
    }
    const b = this.pending.length === 0 ? input : Buffer.concat([...this.pending.pieces(), input]);
    this.reset();
    let pos = 0;
    while (pos < b.length) {
      const c = b[pos]!;
      if (c === 0x0a || c === 0x0d || c === 0x00) {
        pos++;
        continue;
      }
      const digit = c >= 0x30 && c <= 0x39;
      const sp = digit ? b.indexOf(0x20, pos) : -1;
      // A count and its space may still be arriving (at most 10 digits).
      if (digit && sp < 0 && b.indexOf(0x0a, pos) < 0 && b.length - pos <= 10) break;
      const count = sp > pos && sp - pos <= 10 ? b.toString('latin1', pos, sp) : '';
      if (/^[1-9]\d*$/.test(count)) {
        const len = Number(count);
        if (len > this.maxFrameBytes) {
          const error = new ReceiverError('FRAME_TOO_LARGE', `frame of ${len} bytes exceeds ${this.maxFrameBytes}`);
          const available = b.length - (sp + 1);
          if (available < this.maxFrameBytes) {
            // Copied: `b` is this read's, and the head outlives it.
            const parts = new ByteList();
            parts.push(b.subarray(sp + 1), true);
            this.head = { error, len, parts, have: available };
            return out;
          }
          out.refused.push({ error, head: b.subarray(sp + 1, sp + 1 + this.maxFrameBytes) });
          if (available >= len) {
            pos = sp + 1 + len;
            continue;
          }
          this.skipBytes = len - available;
          return out;
        }
        if (sp + 1 + len > b.length) {
          this.waitingForBytes = sp + 1 + len - pos;
          break;
        }
        out.frames.push(b.subarray(sp + 1, sp + 1 + len));
        pos = sp + 1 + len;
      } else {
        const lf = b.indexOf(0x0a, pos);
        if (lf < 0) {
          if (this.unterminatedTooLong(b.length - pos)) {
            out.refused.push({ error: new ReceiverError('FRAME_TOO_LARGE', `line exceeds ${this.maxFrameBytes} bytes`), head: b.subarray(pos, pos + this.maxFrameBytes) });
            this.skipToLf = true;
            return out;
          }
          this.waitingForLf = true;
          break;
        }
        // A trailing CR, and a NUL before the LF (senders that end frames in
        // NUL, RFC 6587 §3.4.2, and add a LF): dropped, as a UDP datagram's
        // trailing NUL is. Kept, it followed the JSON, and an audit line so
        // framed became a reject over TCP but an event over UDP (found by a probe).
        let end = lf;
        while (end > pos && (b[end - 1] === 0x0d || b[end - 1] === 0x00)) end--;
        if (end - pos > this.maxFrameBytes) {
          out.refused.push({ error: new ReceiverError('FRAME_TOO_LARGE', `line exceeds ${this.maxFrameBytes} bytes`), head: b.subarray(pos, pos + this.maxFrameBytes) });
        }
        else out.frames.push(b.subarray(pos, end));
        pos = lf + 1;
      }
    }
    if (pos < b.length) {
      // Copied: the frames returned above are views of `b`, and the rest outlives this read.
      this.pending.push(b.subarray(pos), true);
    }
    return out;
  }

  private reset(): void {
    this.pending = new ByteList();
    this.waitingForLf = false;
    this.waitingForBytes = 0;
  }

  /**
   * The refused frame whose head was still arriving, with what came of it:
   * for the end of the stream (the frame is cut there, but its start is
   * evidence all the same). Undefined when there is none.
   */
  takeHead(): RefusedFrame | undefined {
    const h = this.head;
    this.head = undefined;
    return h && { error: h.error, head: h.parts.join() };
  }

  /**
   * The octet-counted frame the end of the stream cut short, if any: its
   * bytes after the count, as a refused frame (REQUEST_TRUNCATED). Read as a
   * last line instead, it kept its count in front and was refused as not
   * syslog ("does not start with <PRI>"), which named neither what happened
   * nor the message (found by a probe).
   */
  takeCut(): RefusedFrame | undefined {
    if (this.waitingForBytes === 0 || this.pending.length === 0) return undefined;
    const all = this.pending.join();
    this.reset();
    const sp = all.indexOf(0x20);
    const head = all.subarray(sp + 1);
    const error = new ReceiverError('REQUEST_TRUNCATED', `octet-counted frame of ${all.toString('latin1', 0, sp)} bytes ended after ${head.length} with the stream`);
    return { error, head };
  }

  /** Bytes held of an unfinished frame (what a connection cut now would lose). */
  get pendingLength(): number {
    return this.pending.length + (this.head?.have ?? 0);
  }

  /** Bytes of an unterminated frame left at end of stream (a final LF-less line is still a message). */
  rest(): Buffer {
    return this.pending.length === 0 ? Buffer.alloc(0) : this.pending.join();
  }
}
