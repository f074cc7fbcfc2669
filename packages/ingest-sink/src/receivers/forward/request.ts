import { ReceiverError } from '../errors.js';
import { MsgpackReader } from '../msgpack/decode.js';

/** Event mode of a request, detected from its second element (forward protocol v1, "Event Modes"). */
export type ForwardMode = 'message' | 'forward' | 'packed';

/** One `[time, record]` entry, decoded. `time` is an integer, an EventTime, or a v1.5 `[time, meta]`. */
export interface ForwardEntry {
  time: unknown;
  record: unknown;
}

/** The option map of a request (forward protocol v1, "Option"). */
export interface ForwardOptions {
  /** Declared number of events (`size`), if sent. */
  size?: number;
  /** `compressed`: 'gzip', or 'text' / absent for none (Fluentd sends "text"). */
  compressed?: string;
  /** v1.5 `fluent_signal`: 0 logs (default), 1 metrics, 2 traces. */
  signal: number;
  /** The `chunk` value as text (for logs) and as its raw msgpack bytes (echoed in the ack byte for byte). */
  chunk?: string;
  chunkRaw?: Buffer;
}

/** A decoded request envelope; PackedForward entries are still bytes (maybe compressed). */
export type ForwardRequest =
  | { kind: 'heartbeat' }
  | { kind: 'ignored'; type: string }
  | { kind: 'events'; mode: ForwardMode; tag: string; entries: ForwardEntry[]; options: ForwardOptions }
  | { kind: 'packed'; mode: 'packed'; tag: string; packed: Buffer; options: ForwardOptions };

/**
 * Decodes one complete request value (spec v1 grammar: `Request ::= Message |
 * Forward | PackedForward | nil`). The mode is read from the second element:
 * str or bin means (Compressed)PackedForward, array means Forward, anything
 * else Message. PackedForward entries are returned as raw bytes whether sent
 * as bin (Fluent Bit, @fluent-org/logger) or as str32 holding binary
 * (Fluentd out_forward), so no UTF-8 decoding ever touches them. A `nil`
 * request is a TCP heartbeat; other non-array values are ignored, as the
 * spec says a server SHOULD.
 */
export function decodeRequest(r: MsgpackReader, maxEntries: number): ForwardRequest {
  const buf = r.buf;
  const first = buf[r.pos]!;
  if (first === 0xc0) return { kind: 'heartbeat' };
  const n = arrayLength(r);
  if (n === undefined) {
    r.read();
    return { kind: 'ignored', type: `0x${first.toString(16)}` };
  }
  if (n < 2 || n > 4) throw new ReceiverError('BAD_REQUEST', `request array has ${n} elements; expected 2 to 4`);
  const tag = r.read(2);
  if (typeof tag !== 'string') throw new ReceiverError('BAD_REQUEST', 'tag is not a string');
  const second = buf[r.pos]!;
  if (isStrOrBin(second)) {
    const [s, e] = r.readBytesRange();
    const options = n >= 3 ? readOptions(r) : { signal: 0 };
    return { kind: 'packed', mode: 'packed', tag, packed: buf.subarray(s, e), options };
  }
  if (second >= 0x90 && second <= 0x9f || second === 0xdc || second === 0xdd) {
    const count = arrayLength(r)!;
    if (count > maxEntries) throw new ReceiverError('TOO_MANY_ENTRIES', `request has ${count} entries; the limit is ${maxEntries}`);
    const entries: ForwardEntry[] = new Array(count);
    textBins(r, () => {
      for (let i = 0; i < count; i++) entries[i] = readEntry(r);
    });
    const options = n >= 3 ? readOptions(r) : { signal: 0 };
    return { kind: 'events', mode: 'forward', tag, entries, options };
  }
  if (n < 3) throw new ReceiverError('BAD_REQUEST', 'Message mode needs [tag, time, record]');
  let time: unknown;
  let record: unknown;
  textBins(r, () => {
    time = r.read(2);
    record = r.read(2);
  });
  const options = n === 4 ? readOptions(r) : { signal: 0 };
  return { kind: 'events', mode: 'message', tag, entries: [{ time, record }], options };
}

/**
 * Runs `read` with `bin` decoded as text, as PackedForward entries are: a
 * record's values sent as bin (Go's []byte, msgpack-ruby's ASCII-8BIT
 * strings) are its text, as Fluentd reads them. The envelope around them
 * stays bytes (a PackedForward payload, a bin `chunk` echoed byte for byte).
 * Before, a `log` sent as bin in Message or Forward mode was acked and
 * counted as a non-audit line, never stored (found by a probe).
 */
function textBins(r: MsgpackReader, read: () => void): void {
  const was = r.binAsString;
  r.binAsString = true;
  try {
    read();
  } finally {
    r.binAsString = was;
  }
}

/**
 * Decodes concatenated msgpack Entries (`<<Entry>><<Entry>>...`) of a
 * PackedForward request after decompression.
 */
export function decodePackedEntries(r: MsgpackReader, maxEntries: number): ForwardEntry[] {
  const entries: ForwardEntry[] = [];
  while (r.pos < r.end) {
    if (entries.length >= maxEntries) throw new ReceiverError('TOO_MANY_ENTRIES', `request has more than ${maxEntries} entries`);
    entries.push(readEntry(r));
  }
  return entries;
}

function readEntry(r: MsgpackReader): ForwardEntry {
  const n = arrayLength(r);
  if (n !== 2) throw new ReceiverError('BAD_REQUEST', `entry is not a [time, record] pair`);
  return { time: r.read(3), record: r.read(3) };
}

function isStrOrBin(b: number): boolean {
  return (b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb || b === 0xc4 || b === 0xc5 || b === 0xc6;
}

/** Reads an array header and returns its length, or undefined (position unchanged) if the next value is not an array. */
function arrayLength(r: MsgpackReader): number | undefined {
  const buf = r.buf;
  const b = buf[r.pos];
  if (b === undefined) throw new ReceiverError('MSGPACK_INVALID', 'msgpack value is truncated');
  if (b >= 0x90 && b <= 0x9f) {
    r.pos++;
    return b & 0x0f;
  }
  if (b === 0xdc) {
    if (r.pos + 3 > r.end) throw new ReceiverError('MSGPACK_INVALID', 'msgpack value is truncated');
    r.pos += 3;
    return buf.readUInt16BE(r.pos - 2);
  }
  if (b === 0xdd) {
    if (r.pos + 5 > r.end) throw new ReceiverError('MSGPACK_INVALID', 'msgpack value is truncated');
    r.pos += 5;
    return buf.readUInt32BE(r.pos - 4);
  }
  return undefined;
}

/** Longest `chunk` option accepted (spec v1: Base64 of a 128-bit id, 24 characters; room for other clients' ids). */
export const MAX_CHUNK_ID_LENGTH = 256;

/** Reads the option map, keeping the raw bytes of `chunk` for the ack. An empty map or nil is valid. */
function readOptions(r: MsgpackReader): ForwardOptions {
  const options: ForwardOptions = { signal: 0 };
  const b = r.buf[r.pos]!;
  if (b === 0xc0) {
    r.pos++;
    return options;
  }
  let n: number;
  if (b >= 0x80 && b <= 0x8f) {
    n = b & 0x0f;
    r.pos++;
  } else if (b === 0xde && r.pos + 3 <= r.end) {
    n = r.buf.readUInt16BE(r.pos + 1);
    r.pos += 3;
  } else if (b === 0xdf && r.pos + 5 <= r.end) {
    // map32 is a map as any other (an encoder may use it for a small map):
    // refused, its request was never acked and resent forever.
    n = r.buf.readUInt32BE(r.pos + 1);
    r.pos += 5;
  } else throw new ReceiverError('BAD_REQUEST', 'option is not a map');
  if (n > 64) throw new ReceiverError('BAD_REQUEST', `option map has ${n} keys`);
  for (let i = 0; i < n; i++) {
    const key = r.read(2);
    const start = r.pos;
    const value = r.read(2);
    switch (key) {
      case 'chunk':
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new ReceiverError('BAD_REQUEST', 'chunk is not a string');
        // Spec v1: the chunk id is the Base64 of a 128-bit id (Fluentd sends 24-25 characters). A
        // longer one is echoed in every ack, so it would let a client that never reads its acks
        // fill the server's memory with them.
        if (value.length > MAX_CHUNK_ID_LENGTH) throw new ReceiverError('BAD_REQUEST', `chunk id of ${value.length} bytes (at most ${MAX_CHUNK_ID_LENGTH})`);
        options.chunk = typeof value === 'string' ? value : Buffer.from(value).toString('latin1');
        // Copied: the receive buffer is reused before the ack is written.
        options.chunkRaw = Buffer.from(r.buf.subarray(start, r.pos));
        break;
      case 'size':
        if (typeof value === 'number') options.size = value;
        break;
      case 'compressed':
        if (typeof value === 'string') options.compressed = value;
        else if (value !== null) throw new ReceiverError('BAD_COMPRESSION', 'compressed is not a string');
        break;
      case 'fluent_signal':
        if (typeof value === 'number') options.signal = value;
        break;
      default: // `metadata` (v1.5) and unknown keys are tolerated.
    }
  }
  return options;
}

/** The ack `{"ack": <chunk>}` with the chunk's msgpack bytes copied verbatim (spec v1, "Response"). */
export function encodeAck(chunkRaw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + chunkRaw.length);
  out[0] = 0x81;
  out[1] = 0xa3;
  out.write('ack', 2, 'latin1');
  chunkRaw.copy(out, 5);
  return out;
}
