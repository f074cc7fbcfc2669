import { crc32 } from 'node:zlib';
import type { TransportMeta } from '@audit-trail/schema';

/**
 * One item as the spool keeps it: the line exactly as received plus what the
 * transport knew about it. Enough to redo the database write after a crash.
 */
export interface SpoolEntry {
  line: string;
  meta?: Omit<TransportMeta, 'raw'>;
  source?: string;
}

/** Bytes in front of every payload: u32 length, u32 CRC-32 of the payload (both big-endian). */
export const FRAME_HEADER_BYTES = 8;
const PAYLOAD_VERSION = 1;

/**
 * Frames entries for the spool: `[len u32][crc32 u32][payload]` per record,
 * payload `[version u8][metaLen u32][meta JSON][line UTF-8]`. The length
 * prefix finds record boundaries, the CRC-32 (ISO-HDLC, zlib's) detects a torn
 * or corrupt record on replay. Returns one buffer and each frame's size.
 */
export function encodeFrames(entries: readonly SpoolEntry[]): { buffer: Buffer; sizes: number[] } {
  const metas: (string | undefined)[] = new Array(entries.length);
  let total = 0;
  const lineBytes: number[] = new Array(entries.length);
  const metaBytes: number[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const m = e.meta || e.source !== undefined ? JSON.stringify({ ...e.meta, ...(e.source !== undefined ? { $source: e.source } : {}) }) : undefined;
    metas[i] = m;
    lineBytes[i] = Buffer.byteLength(e.line, 'utf8');
    metaBytes[i] = m ? Buffer.byteLength(m, 'utf8') : 0;
    total += FRAME_HEADER_BYTES + 5 + metaBytes[i]! + lineBytes[i]!;
  }
  const buffer = Buffer.allocUnsafe(total);
  const sizes: number[] = new Array(entries.length);
  let off = 0;
  for (let i = 0; i < entries.length; i++) {
    const payloadLen = 5 + metaBytes[i]! + lineBytes[i]!;
    const p = off + FRAME_HEADER_BYTES;
    buffer[p] = PAYLOAD_VERSION;
    buffer.writeUInt32BE(metaBytes[i]!, p + 1);
    if (metas[i]) buffer.write(metas[i]!, p + 5, 'utf8');
    buffer.write(entries[i]!.line, p + 5 + metaBytes[i]!, 'utf8');
    buffer.writeUInt32BE(payloadLen, off);
    buffer.writeUInt32BE(crc32(buffer.subarray(p, p + payloadLen)), off + 4);
    sizes[i] = FRAME_HEADER_BYTES + payloadLen;
    off += sizes[i]!;
  }
  return { buffer, sizes };
}

/** Decodes one payload (already checksum-verified) back into an entry. */
export function decodePayload(payload: Buffer): SpoolEntry {
  if (payload[0] !== PAYLOAD_VERSION || payload.length < 5) throw new Error(`unknown spool payload version ${payload[0]}`);
  const metaLen = payload.readUInt32BE(1);
  const line = payload.toString('utf8', 5 + metaLen);
  if (metaLen === 0) return { line };
  const { $source, ...meta } = JSON.parse(payload.toString('utf8', 5, 5 + metaLen)) as Record<string, string>;
  return { line, ...(Object.keys(meta).length ? { meta } : {}), ...($source !== undefined ? { source: $source } : {}) };
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
 * Walks the frames of a segment. Stops at the first frame whose header runs
 * past the end, whose length is absurd, or whose CRC-32 does not match: that
 * frame and everything after it is the bad tail (it is never decoded).
 */
export function scanSegment(buf: Buffer): SegmentScan {
  const records: SegmentScan['records'] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < FRAME_HEADER_BYTES) return { records, badAt: off, badReason: 'torn frame header' };
    const len = buf.readUInt32BE(off);
    if (len < 5 || len > MAX_RECORD_BYTES) return { records, badAt: off, badReason: `implausible record length ${len}` };
    const end = off + FRAME_HEADER_BYTES + len;
    if (end > buf.length) return { records, badAt: off, badReason: 'torn record (shorter than its length)' };
    const payload = buf.subarray(off + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32BE(off + 4)) return { records, badAt: off, badReason: 'checksum mismatch' };
    records.push({ payload, end, size: end - off });
    off = end;
  }
  return { records };
}
