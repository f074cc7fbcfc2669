import { randomFillSync } from 'node:crypto';

// Random bytes drawn in bulk: one randomFillSync per 409 ids instead of a
// typed-array allocation (and slice) per id, which made the `uuid` package's
// v7() the largest single cost of an unsigned logger event (bench/logger.ts).
const pool = Buffer.alloc(4096);
let next = pool.length;
const BYTES_PER_ID = 10;
// ASCII of the lowercase hex digits of a byte, high then low.
const HEX_HI = Uint8Array.from({ length: 256 }, (_, i) => '0123456789abcdef'.charCodeAt(i >> 4));
const HEX_LO = Uint8Array.from({ length: 256 }, (_, i) => '0123456789abcdef'.charCodeAt(i & 15));
// The text is written into this buffer and read out once as a flat string
// (a chain of 20 concatenations would be flattened again by JSON.stringify).
const text = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');
const bytes = new Uint8Array(16);

let lastMs = -Infinity;
let seq = 0;

/**
 * A new event id: UUIDv7 (RFC 9562 §5.7), lowercase, monotonic within this
 * process: 48-bit Unix milliseconds; a 32-bit counter, seeded with 31 random
 * bits each new millisecond and incremented within one (RFC 9562 §6.2
 * method 1), spread over rand_a and the top of rand_b (if it wraps, the
 * timestamp moves on by one); the remaining 34 bits random. Time-ordered ids keep the unique index
 * on `event_id` append-only (random v4 ids halve SQLite insert speed there).
 * Allocates nothing but the string.
 */
export function newEventId(): string {
  let r = next;
  if (r + BYTES_PER_ID > pool.length) {
    randomFillSync(pool);
    r = 0;
  }
  next = r + BYTES_PER_ID;
  const now = Date.now();
  if (now > lastMs) {
    // 31 random bits, the top one clear: 2^31 increments of headroom in the
    // millisecond before the 32-bit counter wraps (RFC 9562 §6.2 method 1).
    seq = ((pool[r]! & 0x7f) << 24) | (pool[r + 1]! << 16) | (pool[r + 2]! << 8) | pool[r + 3]!;
    lastMs = now;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs++;
  }
  const ms = lastMs;
  const hi = Math.floor(ms / 0x100000000); // top 16 of the 48 bits
  const lo = ms >>> 0; // low 32 bits
  bytes[0] = (hi >>> 8) & 0xff;
  bytes[1] = hi & 0xff;
  bytes[2] = lo >>> 24;
  bytes[3] = (lo >>> 16) & 0xff;
  bytes[4] = (lo >>> 8) & 0xff;
  bytes[5] = lo & 0xff;
  bytes[6] = 0x70 | ((seq >>> 28) & 0x0f); // version 7, counter bits 30..28
  bytes[7] = (seq >>> 20) & 0xff;
  bytes[8] = 0x80 | ((seq >>> 14) & 0x3f); // variant 10, counter bits 19..14
  bytes[9] = (seq >>> 6) & 0xff;
  bytes[10] = ((seq << 2) & 0xff) | (pool[r + 4]! & 0x03);
  bytes[11] = pool[r + 5]!;
  bytes[12] = pool[r + 6]!;
  bytes[13] = pool[r + 7]!;
  bytes[14] = pool[r + 8]!;
  bytes[15] = pool[r + 9]!;
  let o = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) o++; // the '-' already in `text`
    text[o++] = HEX_HI[bytes[i]!]!;
    text[o++] = HEX_LO[bytes[i]!]!;
  }
  return text.toString('latin1');
}

/** The Unix-millisecond timestamp embedded in a UUIDv7 (first 48 bits). */
export function eventIdTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
