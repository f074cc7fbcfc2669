import { isUtf8 } from 'node:buffer';
import { setOwnMember } from '@audit-trail/schema';
import { ReceiverError } from '../errors.js';
import { EventTime, ExtValue } from './event-time.js';

/** Limits applied while decoding one value. */
export interface DecodeLimits {
  /** Deepest array/map nesting accepted (the value itself is depth 1). */
  maxDepth: number;
  /**
   * Most keys in one map. A record has a few dozen; two million keys in a
   * 19 MiB request held the event loop for 6.6 s, building the object and
   * then its event (found by a probe). Default: no limit.
   */
  maxMapKeys?: number;
  /**
   * Most array elements and map keys in all the values one reader decodes
   * (one request), counted before each array or map is built; a bin decoded
   * as bytes or an ext value counts as {@link OBJECT_ITEMS}. Bytes alone
   * do not bound what they decode to: a 58 KB gzip request of 64 MiB of
   * one-byte empty arrays decoded to 1.5-2.9 GB and held the event loop for
   * over a minute (found by a probe). Default: no limit.
   */
  maxItems?: number;
}

/** What {@link MsgpackReader} counts while decoding (for the `invalidUtf8` counter). */
export interface DecodeStats {
  invalidUtf8: number;
}

/**
 * Key of a hidden (non-enumerable) property of a decoded map: for each of
 * its values that was a str of invalid UTF-8, the bytes as sent. Text has
 * U+FFFD in their place, which cannot be undone; the Docker log driver cuts
 * long lines into pieces every 16 KiB of bytes (moby daemon/logger/copier.go,
 * `bufSize`), through the middle of a character as often as not, and only the
 * bytes of the pieces joined give the line back.
 */
export const INVALID_UTF8_BYTES = Symbol('invalidUtf8Bytes');

/** The bytes of `record[key]` as sent when they were not valid UTF-8 (see {@link INVALID_UTF8_BYTES}). */
export function invalidUtf8Bytes(record: object, key: string): Buffer | undefined {
  return (record as { [INVALID_UTF8_BYTES]?: Record<string, Buffer> })[INVALID_UTF8_BYTES]?.[key];
}

/**
 * What a bin (as bytes) or ext value counts against `maxItems`: each becomes
 * an object and a Buffer, about 220 bytes of heap against the tens of an
 * empty array, from as little as 2 bytes on the wire (`c4 00`, `c7 00 05`):
 * counted as one item each, 100 000 entries of 48 ext values decoded to
 * 1.27 GB (found by a review).
 */
const OBJECT_ITEMS = 8;

/** Node's undocumented-in-types Buffer slicers; `toString` adds argument checks on the hot path. */
type FastSlices = Buffer & { latin1Slice(s: number, e: number): string; utf8Slice(s: number, e: number): string };

/**
 * A small msgpack decoder over one complete buffer (msgpack spec "formats").
 * Recursion is bounded by `maxDepth`, so deeply nested hostile frames fail
 * with MSGPACK_TOO_DEEP instead of overflowing the stack. `str` is decoded as
 * UTF-8 (invalid sequences become U+FFFD and are counted); `bin` stays bytes
 * unless `binAsString`; ext type 0 with 8 bytes becomes {@link EventTime}.
 * Map keys of other types (msgpack allows any) become their text; `__proto__` keys stay plain data keys.
 */
export class MsgpackReader {
  pos: number;
  /** The bytes of the last str read when they were invalid UTF-8 (readMap keeps them for its value). */
  private invalidBytes: Buffer | undefined;
  /**
   * Array elements and map keys decoded so far (against `limits.maxItems`).
   * Settable so that a reader decoding the rest of one request (a
   * PackedForward payload) goes on from the envelope's count.
   */
  items = 0;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    readonly limits: DecodeLimits,
    readonly stats: DecodeStats,
    /** Whether `bin` decodes to text (UTF-8, as `str`); settable between values (forward/request.ts). */
    public binAsString = false,
  ) {
    this.pos = start;
  }

  /** Decodes the next value. */
  read(depth = 1): unknown {
    const buf = this.buf;
    if (this.pos >= this.end) throw truncated();
    const b = buf[this.pos++]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.readMap(b & 0x0f, depth);
    if (b <= 0x9f) return this.readArray(b & 0x0f, depth);
    if (b <= 0xbf) return this.readStr(b & 0x1f);
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.readBin(this.len(1));
      case 0xc5: return this.readBin(this.len(2));
      case 0xc6: return this.readBin(this.len(4));
      case 0xc7: return this.readExt(this.len(1));
      case 0xc8: return this.readExt(this.len(2));
      case 0xc9: return this.readExt(this.len(4));
      case 0xca: this.need(4); this.pos += 4; return buf.readFloatBE(this.pos - 4);
      case 0xcb: this.need(8); this.pos += 8; return buf.readDoubleBE(this.pos - 8);
      case 0xcc: return this.len(1);
      case 0xcd: return this.len(2);
      case 0xce: return this.len(4);
      case 0xcf: this.need(8); this.pos += 8; return Number(buf.readBigUInt64BE(this.pos - 8));
      case 0xd0: this.need(1); this.pos += 1; return buf.readInt8(this.pos - 1);
      case 0xd1: this.need(2); this.pos += 2; return buf.readInt16BE(this.pos - 2);
      case 0xd2: this.need(4); this.pos += 4; return buf.readInt32BE(this.pos - 4);
      case 0xd3: this.need(8); this.pos += 8; return Number(buf.readBigInt64BE(this.pos - 8));
      case 0xd4: return this.readExt(1);
      case 0xd5: return this.readExt(2);
      case 0xd6: return this.readExt(4);
      case 0xd7: return this.readExt(8);
      case 0xd8: return this.readExt(16);
      case 0xd9: return this.readStr(this.len(1));
      case 0xda: return this.readStr(this.len(2));
      case 0xdb: return this.readStr(this.len(4));
      case 0xdc: return this.readArray(this.len(2), depth);
      case 0xdd: return this.readArray(this.len(4), depth);
      case 0xde: return this.readMap(this.len(2), depth);
      case 0xdf: return this.readMap(this.len(4), depth);
      default:
        throw new ReceiverError('MSGPACK_INVALID', `byte 0x${b.toString(16)} is not a msgpack type`);
    }
  }

  /** Reads the type and length of a str or bin value and returns its raw byte range. */
  readBytesRange(): [number, number] {
    if (this.pos >= this.end) throw truncated();
    const b = this.buf[this.pos++]!;
    let n: number;
    if (b >= 0xa0 && b <= 0xbf) n = b & 0x1f;
    else if (b === 0xc4 || b === 0xd9) n = this.len(1);
    else if (b === 0xc5 || b === 0xda) n = this.len(2);
    else if (b === 0xc6 || b === 0xdb) n = this.len(4);
    else {
      this.pos--;
      throw new ReceiverError('BAD_REQUEST', `expected str or bin, found type byte 0x${b.toString(16)}`);
    }
    this.need(n);
    this.pos += n;
    return [this.pos - n, this.pos];
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw truncated();
  }

  private len(bytes: number): number {
    this.need(bytes);
    const buf = this.buf;
    const p = this.pos;
    this.pos += bytes;
    if (bytes === 1) return buf[p]!;
    if (bytes === 2) return (buf[p]! << 8) | buf[p + 1]!;
    return buf[p]! * 0x1000000 + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!);
  }

  private readStr(n: number): string {
    this.need(n);
    const start = this.pos;
    this.pos += n;
    return this.utf8(start, this.pos);
  }

  /** UTF-8 text of a byte range; ASCII fast path for short keys and values. */
  utf8(start: number, end: number): string {
    const buf = this.buf;
    if (end - start < 24) {
      let ascii = true;
      for (let i = start; i < end; i++) if (buf[i]! > 0x7f) { ascii = false; break; }
      if (ascii) return (buf as FastSlices).latin1Slice(start, end);
    }
    // utf8Slice replaces invalid sequences with U+FFFD, so text without one
    // was valid; only text with one needs the byte check that tells a
    // replacement from an encoded U+FFFD (and a Buffer view for it, which the
    // usual case no longer allocates).
    const text = (buf as FastSlices).utf8Slice(start, end);
    if (text.includes('\uFFFD') && !isUtf8(buf.subarray(start, end))) {
      this.stats.invalidUtf8++;
      this.invalidBytes = Buffer.from(buf.subarray(start, end));
    }
    return text;
  }

  private readBin(n: number): Uint8Array | string {
    this.need(n);
    this.pos += n;
    if (this.binAsString) return this.utf8(this.pos - n, this.pos);
    this.count(OBJECT_ITEMS);
    // A copy, not a view: callers may reuse the buffer being decoded.
    return Buffer.from(this.buf.subarray(this.pos - n, this.pos));
  }

  private readExt(n: number): EventTime | ExtValue {
    this.need(n + 1);
    const type = this.buf.readInt8(this.pos);
    const p = this.pos + 1;
    this.pos = p + n;
    this.count(OBJECT_ITEMS);
    if (type === 0 && n === 8) return new EventTime(this.buf.readUInt32BE(p), this.buf.readUInt32BE(p + 4));
    return new ExtValue(type, Buffer.from(this.buf.subarray(p, p + n)));
  }

  private readArray(n: number, depth: number): unknown[] {
    if (depth >= this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    // Every element takes at least one byte: refuse counts the buffer cannot hold
    // before allocating (a 5-byte frame must not allocate 4 billion slots).
    if (n > this.end - this.pos) throw truncated();
    this.count(n);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.read(depth + 1);
    return out;
  }

  private readMap(n: number, depth: number): Record<string, unknown> {
    if (depth >= this.limits.maxDepth) throw tooDeep(this.limits.maxDepth);
    const maxKeys = this.limits.maxMapKeys;
    if (maxKeys !== undefined && n > maxKeys) throw new ReceiverError('MSGPACK_TOO_LARGE', `msgpack map of ${n} keys; the limit is ${maxKeys}`);
    if (n * 2 > this.end - this.pos) throw truncated();
    this.count(n);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = this.readKey(depth);
      this.invalidBytes = undefined;
      const value = this.read(depth + 1);
      setOwnMember(out, key, value);
      if (this.invalidBytes !== undefined && typeof value === 'string') keepInvalidBytes(out, key, this.invalidBytes);
    }
    return out;
  }

  /** Counts `n` more items against `limits.maxItems`. */
  private count(n: number): void {
    this.items += n;
    const max = this.limits.maxItems;
    if (max !== undefined && this.items > max) throw new ReceiverError('MSGPACK_TOO_LARGE', `msgpack request holds more than ${max} array elements and map keys`);
  }

  /**
   * A map key as text. Keys are usually str (bin is read as its text), but
   * msgpack allows any value as a key and Fluentd and Fluent Bit pass such
   * records on (a Python or Ruby app's `{404: "..."}`, a map decoded from
   * YAML): one is given the text Fluentd writes for it in JSON (`"404"`).
   * Refused, it closed the connection unacked, and the sender resent the
   * chunk forever, every audit event in it with it (found by a probe).
   */
  private readKey(depth: number): string {
    const b = this.buf[this.pos];
    if (b !== undefined && b >= 0xa0 && b <= 0xbf) {
      this.pos++;
      return this.readStr(b & 0x1f);
    }
    if (b === 0xc4 || b === 0xc5 || b === 0xc6 || b === 0xd9 || b === 0xda || b === 0xdb) {
      const [s, e] = this.readBytesRange();
      return this.utf8(s, e);
    }
    return keyText(this.read(depth + 1));
  }
}

/** The text of a map key that is not a str or bin: as Ruby's to_s gives it (nil is ""), a nested value as JSON with bytes in base64. */
function keyText(key: unknown): string {
  if (key === null) return '';
  if (typeof key !== 'object') return String(key);
  return JSON.stringify(key, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k];
    return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : v;
  });
}

function keepInvalidBytes(map: Record<string, unknown>, key: string, bytes: Buffer): void {
  const holder = map as { [INVALID_UTF8_BYTES]?: Record<string, Buffer> };
  if (!holder[INVALID_UTF8_BYTES]) Object.defineProperty(map, INVALID_UTF8_BYTES, { value: Object.create(null), enumerable: false });
  holder[INVALID_UTF8_BYTES]![key] = bytes;
}

function truncated(): ReceiverError {
  return new ReceiverError('MSGPACK_INVALID', 'msgpack value is truncated');
}

function tooDeep(max: number): ReceiverError {
  return new ReceiverError('MSGPACK_TOO_DEEP', `msgpack nesting deeper than ${max}`);
}
