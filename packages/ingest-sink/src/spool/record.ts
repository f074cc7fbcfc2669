import { crc32 } from 'node:zlib';
import type { TransportMeta } from '@audit-trail/schema';
import { SinkError } from '../sink/errors.js';

/**
 * One item as the spool keeps it: the line exactly as received plus what the
 * transport knew about it. Enough to redo the database write after a crash.
 */
export interface SpoolEntry {
  line: string;
  meta?: Omit<TransportMeta, 'raw'>;
  source?: string;
  /**
   * Set when the item was longer than the sink keeps whole: its length in
   * characters. `line` then holds only its start, and the entry becomes a
   * reject (prepare.ts).
   */
  overLong?: number;
  /**
   * Set when whoever handed the item over already knows it cannot be an
   * event (a receiver's verdict): the reason it is stored under in the
   * rejects table, without validation.
   */
  reject?: string;
}

/** Bytes in front of every payload: u32 length, u32 CRC-32 of the payload (both big-endian). */
export const FRAME_HEADER_BYTES = 8;
const PAYLOAD_VERSION = 1;

/** The meta JSON of an entry (`$source`, `$overLong` and `$reject` inside), or undefined when it has none of them. */
function metaJson(e: SpoolEntry): string | undefined {
  if (!e.meta && e.source === undefined && e.overLong === undefined && e.reject === undefined) return undefined;
  return JSON.stringify({
    ...e.meta,
    ...(e.source !== undefined ? { $source: e.source } : {}),
    ...(e.overLong !== undefined ? { $overLong: e.overLong } : {}),
    ...(e.reject !== undefined ? { $reject: e.reject } : {}),
  });
}

/** True when two entries carry the same meta and source (receivers give every record of a request equal meta). */
function sameMeta(a: SpoolEntry, b: SpoolEntry): boolean {
  if (a.source !== b.source || a.overLong !== b.overLong || a.reject !== b.reject) return false;
  const x = a.meta as Record<string, unknown> | undefined;
  const y = b.meta as Record<string, unknown> | undefined;
  if (x === y) return true;
  if (!x || !y) return false;
  let n = 0;
  for (const k in x) {
    if (x[k] !== y[k]) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}

/**
 * Frames entries for the spool: `[len u32][crc32 u32][payload]` per record,
 * payload `[version u8][metaLen u32][meta JSON][line UTF-8]`. The length
 * prefix finds record boundaries, the CRC-32 (ISO-HDLC, zlib's) detects a torn
 * or corrupt record on replay. Returns one buffer and each frame's size.
 *
 * One pass (no separate byte count), and the meta JSON is reused while
 * consecutive entries carry equal meta: this runs on the thread that acks,
 * for every event (bench/receiver-stages.ts).
 */
export function encodeFrames(entries: readonly SpoolEntry[]): { buffer: Buffer; sizes: number[] } {
  // Sized for ASCII (the usual case) plus slack; grown when a record might not fit.
  let estimate = 64;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    estimate += FRAME_HEADER_BYTES + 5 + e.line.length + (e.meta || e.source !== undefined || e.overLong !== undefined || e.reject !== undefined ? 256 : 0);
  }
  let buffer = Buffer.allocUnsafe(estimate + (estimate >> 3));
  const sizes: number[] = new Array(entries.length);
  let off = 0;
  let prev: SpoolEntry | undefined;
  let meta: string | undefined;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (prev === undefined || !sameMeta(prev, e)) meta = metaJson(e);
    prev = e;
    const p = off + FRAME_HEADER_BYTES;
    // Buffer#write never writes past the end (it would cut the text): check
    // against the worst case (3 UTF-8 bytes per UTF-16 unit), then exactly.
    let need = FRAME_HEADER_BYTES + 5 + ((meta?.length ?? 0) + e.line.length) * 3;
    if (off + need > buffer.length) need = FRAME_HEADER_BYTES + 5 + (meta ? Buffer.byteLength(meta, 'utf8') : 0) + Buffer.byteLength(e.line, 'utf8');
    if (off + need > buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buffer.length * 2, off + need));
      buffer.copy(bigger, 0, 0, off);
      buffer = bigger;
    }
    buffer[p] = PAYLOAD_VERSION;
    const metaLen = meta === undefined ? 0 : buffer.write(meta, p + 5, 'utf8');
    buffer.writeUInt32BE(metaLen, p + 1);
    const lineLen = buffer.write(e.line, p + 5 + metaLen, 'utf8');
    const payloadLen = 5 + metaLen + lineLen;
    // Replay refuses a longer record as corruption: it must never be written.
    if (payloadLen > MAX_RECORD_BYTES) throw new SinkError('SINK_BAD_ITEM', `an item of ${payloadLen} bytes (line and meta) exceeds the spool's record limit of ${MAX_RECORD_BYTES}`);
    buffer.writeUInt32BE(payloadLen, off);
    buffer.writeUInt32BE(crc32(buffer.subarray(p, p + payloadLen)), off + 4);
    sizes[i] = FRAME_HEADER_BYTES + payloadLen;
    off += sizes[i]!;
  }
  // A copy when the estimate was far off, so the spool does not hold the slack.
  return { buffer: off < buffer.length >> 1 ? Buffer.from(buffer.subarray(0, off)) : buffer.subarray(0, off), sizes };
}

/**
 * Frames one payload the way {@link encodeFrames} frames each record
 * (`[len u32][crc32 u32][payload]`), for other append-only files that
 * {@link frameAt} reads back (the partial-line journal).
 */
export function encodeFrame(payload: Buffer): Buffer {
  if (payload.length < 5 || payload.length > MAX_RECORD_BYTES) throw new SinkError('SINK_BAD_ITEM', `a record of ${payload.length} bytes is outside the frame limits (5 to ${MAX_RECORD_BYTES})`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Decodes one payload (already checksum-verified) back into an entry. */
export function decodePayload(payload: Buffer): SpoolEntry {
  if (payload[0] !== PAYLOAD_VERSION || payload.length < 5) throw new Error(`unknown spool payload version ${payload[0]}`);
  const metaLen = payload.readUInt32BE(1);
  const line = payload.toString('utf8', 5 + metaLen);
  if (metaLen === 0) return { line };
  const { $source, $overLong, $reject, ...meta } = JSON.parse(payload.toString('utf8', 5, 5 + metaLen)) as Record<string, string> & { $overLong?: number };
  return {
    line,
    ...(Object.keys(meta).length ? { meta } : {}),
    ...($source !== undefined ? { source: $source } : {}),
    ...($overLong !== undefined ? { overLong: $overLong } : {}),
    ...($reject !== undefined ? { reject: $reject } : {}),
  };
}

/** Outcome of scanning one segment. */
export interface SegmentScan {
  /** Valid records in order, each with the offset just past it. */
  records: { payload: Buffer; end: number; size: number }[];
  /** Offset of the first bad byte (torn or corrupt tail), when there is one. */
  badAt?: number;
  /** Why the tail is bad. */
  badReason?: string;
}

/** Largest payload accepted on replay; a larger length prefix means corruption. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * The frame starting at `off` of `buf`, or why there is none: a header that
 * runs past the end, an absurd length, a payload shorter than its length, a
 * payload `precheck` refuses (checked before the CRC, which it can spare),
 * or a CRC-32 that does not match. Nothing is decoded.
 */
export function frameAt(buf: Buffer, off: number, precheck?: (payload: Buffer) => boolean): { payload: Buffer; end: number } | { bad: string } {
  if (buf.length - off < FRAME_HEADER_BYTES) return { bad: 'torn frame header' };
  const len = buf.readUInt32BE(off);
  if (len < 5 || len > MAX_RECORD_BYTES) return { bad: `implausible record length ${len}` };
  const end = off + FRAME_HEADER_BYTES + len;
  if (end > buf.length) return { bad: 'torn record (shorter than its length)' };
  const payload = buf.subarray(off + FRAME_HEADER_BYTES, end);
  if (precheck && !precheck(payload)) return { bad: 'payload header does not fit its length' };
  if (crc32(payload) !== buf.readUInt32BE(off + 4)) return { bad: 'checksum mismatch' };
  return { payload, end };
}

/** True when a payload starts as {@link encodeFrames} writes one: this version, and a meta length within the payload. */
export function payloadHeaderFits(payload: Buffer): boolean {
  return payload[0] === PAYLOAD_VERSION && payload.readUInt32BE(1) <= payload.length - 5;
}

/**
 * Walks the frames of a segment. Stops at the first frame whose header runs
 * past the end, whose length is absurd, or whose CRC-32 does not match: that
 * frame and everything after it is the bad tail (it is never decoded).
 */
export function scanSegment(buf: Buffer): SegmentScan {
  const records: SegmentScan['records'] = [];
  let off = 0;
  while (off < buf.length) {
    const f = frameAt(buf, off);
    if ('bad' in f) return { records, badAt: off, badReason: f.bad };
    records.push({ payload: f.payload, end: f.end, size: f.end - off });
    off = f.end;
  }
  return { records };
}
