import { gzipSync } from 'node:zlib';
import { encode } from '@msgpack/msgpack';

/** Golden wire frames built from the byte-level facts in shared/reference (pipeline-anchors §1, observed-clients). */

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** EventTime as fixext8: D7 00 seconds nanoseconds (spec v1, "EventTime Ext Format"). */
export function fixext8Time(sec: number, nsec = 0): Buffer {
  return Buffer.concat([Buffer.from([0xd7, 0x00]), u32(sec), u32(nsec)]);
}

/** EventTime as ext8: C7 08 00 seconds nanoseconds. */
export function ext8Time(sec: number, nsec = 0): Buffer {
  return Buffer.concat([Buffer.from([0xc7, 0x08, 0x00]), u32(sec), u32(nsec)]);
}

/** One Entry `[time, record]` with raw time bytes. */
export function entry(time: Buffer, record: unknown): Buffer {
  return Buffer.concat([Buffer.from([0x92]), time, Buffer.from(encode(record))]);
}

const mp = (v: unknown): Buffer => Buffer.from(encode(v));

/** msgpack str of these bytes as they are (fixstr, str8, str16 or str32 by length). */
function strOf(bytes: Buffer): Buffer {
  const n = bytes.length;
  const head = n < 32 ? Buffer.from([0xa0 | n]) : n < 256 ? Buffer.from([0xd9, n]) : n < 65536 ? Buffer.from([0xda, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([0xdb]), u32(n)]);
  return Buffer.concat([head, bytes]);
}

/**
 * A record of str values, a Buffer value sent as the bytes it holds (which
 * may be invalid UTF-8, as a piece the Docker driver cut inside a character
 * is, and as Fluentd relays it), as one Entry `[time, record]`.
 */
export function rawStrEntry(time: Buffer, fields: Record<string, string | Buffer>): Buffer {
  const keys = Object.keys(fields);
  if (keys.length > 15) throw new Error('rawStrEntry: at most 15 fields');
  const parts = keys.flatMap((k) => {
    const v = fields[k]!;
    return [strOf(Buffer.from(k)), strOf(Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'))];
  });
  return Buffer.concat([Buffer.from([0x92]), time, Buffer.from([0x80 | keys.length]), ...parts]);
}

/** msgpack str32 header + bytes (out_forward "always uses str32 type for entries"). */
export function str32(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xdb]), u32(bytes.length), bytes]);
}

/** msgpack bin32 header + bytes. */
export function bin32(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xc6]), u32(bytes.length), bytes]);
}

/** Fluentd out_forward: PackedForward, entries as str32, options {size, compressed:"text", chunk} (chunk ends in "\n"). */
export function fluentdPackedForward(tag: string, entries: Buffer[], chunk?: string, compress = false): Buffer {
  const body = Buffer.concat(entries);
  const payload = compress ? gzipSync(body) : body;
  const options: Record<string, unknown> = { size: entries.length, compressed: compress ? 'gzip' : 'text' };
  if (chunk !== undefined) options.chunk = chunk;
  return Buffer.concat([Buffer.from([0x93]), mp(tag), str32(payload), mp(options)]);
}

/** Fluent Bit out_forward: Forward mode (array of entries), options {chunk, size, fluent_signal:0}. */
export function fluentBitForward(tag: string, entries: Buffer[], chunk: string, signal = 0): Buffer {
  const header = entries.length < 16 ? Buffer.from([0x90 | entries.length]) : Buffer.concat([Buffer.from([0xdd]), u32(entries.length)]);
  return Buffer.concat([Buffer.from([0x93]), mp(tag), header, ...entries, mp({ chunk, size: entries.length, fluent_signal: signal })]);
}

/** Fluent Bit with `compress gzip`: CompressedPackedForward, entries as bin, several gzip members allowed. */
export function fluentBitCompressed(tag: string, entries: Buffer[], chunk: string, members = 1): Buffer {
  const parts: Buffer[] = [];
  const per = Math.ceil(entries.length / members);
  for (let i = 0; i < entries.length; i += per) parts.push(gzipSync(Buffer.concat(entries.slice(i, i + per))));
  return Buffer.concat([
    Buffer.from([0x93]),
    mp(tag),
    bin32(Buffer.concat(parts)),
    mp({ chunk, size: entries.length, compressed: 'gzip', fluent_signal: 0 }),
  ]);
}

/** Docker fluentd driver (fluent-logger-golang): Message mode, always 4 elements, integer seconds, {chunk} or {}. */
export function dockerMessage(tag: string, sec: number, record: Record<string, string>, chunk?: string): Buffer {
  return Buffer.concat([Buffer.from([0x94]), mp(tag), mp(sec), mp(record), mp(chunk === undefined ? {} : { chunk })]);
}

/** The Docker driver record for one application line. */
export function dockerRecord(log: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    container_id: 'a'.repeat(64),
    container_name: '/svc.1.abcdef',
    source: 'stdout',
    log,
    ...extra,
  };
}
