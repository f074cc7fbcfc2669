import { ReceiverError } from '../errors.js';

/**
 * Where an incomplete scan stopped: the offset (from the value's start) of
 * the next header to read and how many values are still to be read. Passing
 * it back resumes the scan, so a large request arriving in many TCP reads is
 * scanned once in total, not once per read (no quadratic rescans).
 */
export interface ScanState {
  offset: number;
  remaining: number;
}

/** A state that scans one value from its start. */
export function freshScan(): ScanState {
  return { offset: 0, remaining: 1 };
}

/**
 * Finds where the msgpack value starting at `start` ends, without decoding it
 * (msgpack spec, "formats"). Iterative: a single counter of values still to
 * read replaces recursion, so a hostile frame nested 1 000 000 deep costs
 * nothing but bytes. Returns the end offset when the value is complete in
 * `buf[start, end)`, or `-need` where `need` is the smallest total length
 * (counted from `start`) that could complete it (a byte at least for each
 * element an array or map header announced), so a caller on a TCP stream
 * can wait for that many bytes before scanning again. With `state`, the scan
 * resumes where the previous incomplete scan of the same value stopped, and
 * `state` is updated when it stops again.
 */
export function scanValue(buf: Uint8Array, start: number, end: number, state?: ScanState): number {
  let pos = start + (state?.offset ?? 0);
  let remaining = state?.remaining ?? 1;
  const incomplete = (header: number): number => {
    // Stopped before the header at `pos`: it and everything after it are still to read.
    if (state) {
      state.offset = pos - start;
      state.remaining = remaining;
    }
    // Every value still to read after this one takes a byte at least: an
    // array or map header announcing 4 G elements needs 4 GB, as a str
    // header's length says at once (a caller's size limit refuses it now).
    return -(pos - start + header + remaining - 1);
  };
  while (remaining > 0) {
    if (pos >= end) return incomplete(1);
    const b = buf[pos]!;
    let more = 0; // values added by an array or map header
    let size: number; // header bytes + payload bytes of this value
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) size = 1;
    else if (b <= 0x8f) {
      more = (b & 0x0f) * 2;
      size = 1;
    } else if (b <= 0x9f) {
      more = b & 0x0f;
      size = 1;
    } else if (b <= 0xbf) size = 1 + (b & 0x1f);
    else {
      switch (b) {
        case 0xc4: case 0xd9: size = lenAt(buf, pos, end, 1); if (size < 0) return incomplete(2); size += 2; break;
        case 0xc5: case 0xda: size = lenAt(buf, pos, end, 2); if (size < 0) return incomplete(3); size += 3; break;
        case 0xc6: case 0xdb: size = lenAt(buf, pos, end, 4); if (size < 0) return incomplete(5); size += 5; break;
        case 0xc7: size = lenAt(buf, pos, end, 1); if (size < 0) return incomplete(3); size += 3; break;
        case 0xc8: size = lenAt(buf, pos, end, 2); if (size < 0) return incomplete(4); size += 4; break;
        case 0xc9: size = lenAt(buf, pos, end, 4); if (size < 0) return incomplete(6); size += 6; break;
        case 0xca: case 0xce: case 0xd2: size = 5; break;
        case 0xcb: case 0xcf: case 0xd3: size = 9; break;
        case 0xcc: case 0xd0: size = 2; break;
        case 0xcd: case 0xd1: size = 3; break;
        case 0xd4: size = 3; break;
        case 0xd5: size = 4; break;
        case 0xd6: size = 6; break;
        case 0xd7: size = 10; break;
        case 0xd8: size = 18; break;
        case 0xdc: case 0xde: {
          const n = lenAt(buf, pos, end, 2);
          if (n < 0) return incomplete(3);
          more = b === 0xde ? n * 2 : n;
          size = 3;
          break;
        }
        case 0xdd: case 0xdf: {
          const n = lenAt(buf, pos, end, 4);
          if (n < 0) return incomplete(5);
          more = b === 0xdf ? n * 2 : n;
          size = 5;
          break;
        }
        default:
          // 0xc1 is "never used" in the msgpack spec.
          throw new ReceiverError('MSGPACK_INVALID', `byte 0x${b.toString(16)} at offset ${pos - start} is not a msgpack type`);
      }
    }
    remaining += more - 1;
    pos += size;
  }
  if (pos > end) {
    // The last value's payload is still arriving; nothing is left to scan after it.
    if (state) {
      state.offset = pos - start;
      state.remaining = 0;
    }
    return -(pos - start);
  }
  if (state) {
    state.offset = 0;
    state.remaining = 1;
  }
  return pos;
}

/** Big-endian length of `bytes` bytes after the type byte at `pos`, or -1 when not yet received. */
function lenAt(buf: Uint8Array, pos: number, end: number, bytes: number): number {
  if (pos + 1 + bytes > end) return -1;
  if (bytes === 1) return buf[pos + 1]!;
  if (bytes === 2) return (buf[pos + 1]! << 8) | buf[pos + 2]!;
  return buf[pos + 1]! * 0x1000000 + ((buf[pos + 2]! << 16) | (buf[pos + 3]! << 8) | buf[pos + 4]!);
}
