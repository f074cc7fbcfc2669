import { gzipSync } from 'node:zlib';
import { encode } from '@msgpack/msgpack';
import type { ReceiverErrorCode } from '../../../src/receivers/errors.js';
import { makeLine } from '../helpers/events.js';
import { bin32, dockerMessage, dockerRecord, entry, fixext8Time, fluentBitForward, fluentdPackedForward } from '../helpers/frames.js';

const mp = (v: unknown) => Buffer.from(encode(v));
const cat = (...parts: (Buffer | number[])[]) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));

/** What a hostile frame must lead to: a bad-frame code (connection closed, no ack) or a counted non-error outcome. */
export type Expectation = { code: ReceiverErrorCode } | { outcome: 'ignored' | 'heartbeat' | 'non_audit' | 'stored' | 'rejected' };

/** One named hostile input. */
export interface HostileFrame {
  name: string;
  bytes: Buffer;
  expect: Expectation;
}

let cached: HostileFrame[] | undefined;

/** Malformed, truncated, oversized, deeply nested, wrongly typed and badly encoded frames (built once). */
export function hostileFrames(): HostileFrame[] {
  cached ??= build();
  return cached;
}

function build(): HostileFrame[] {
  const good = dockerMessage('t', 1, dockerRecord(makeLine(1)), 'c');
  return [
    { name: 'never-used byte 0xc1', bytes: cat([0x94, 0xc1]), expect: { code: 'MSGPACK_INVALID' } },
    { name: 'empty array', bytes: cat([0x90]), expect: { code: 'BAD_REQUEST' } },
    { name: 'array of 5', bytes: cat([0x95], mp('t'), mp(1), mp({}), mp({}), mp(1)), expect: { code: 'BAD_REQUEST' } },
    { name: 'tag is an integer', bytes: cat([0x93], mp(7), [0x90], mp({})), expect: { code: 'BAD_REQUEST' } },
    { name: 'option is an array', bytes: cat([0x94], mp('t'), mp(1), mp({ log: 'x' }), [0x90]), expect: { code: 'BAD_REQUEST' } },
    { name: 'chunk is an integer', bytes: cat([0x94], mp('t'), mp(1), mp({ log: 'x' }), mp({ chunk: 5 })), expect: { code: 'BAD_REQUEST' } },
    { name: 'entry is not a pair', bytes: cat([0x93], mp('t'), [0x91, 0x93, 0x01, 0x80, 0x01], mp({})), expect: { code: 'BAD_REQUEST' } },
    { name: 'packed entries are garbage', bytes: cat([0x93], mp('t'), bin32(Buffer.from([0x92, 0x01])), mp({ chunk: 'x' })), expect: { code: 'MSGPACK_INVALID' } },
    { name: 'gzip declared, payload is not gzip', bytes: cat([0x93], mp('t'), bin32(Buffer.from('not gzip at all')), mp({ compressed: 'gzip', chunk: 'x' })), expect: { code: 'BAD_COMPRESSION' } },
    { name: 'truncated gzip member', bytes: cat([0x93], mp('t'), bin32(gzipSync(entry(fixext8Time(1), { log: 'x' })).subarray(0, 12)), mp({ compressed: 'gzip' })), expect: { code: 'BAD_COMPRESSION' } },
    { name: 'zip bomb', bytes: cat([0x93], mp('t'), bin32(gzipSync(Buffer.alloc(80 << 20))), mp({ compressed: 'gzip', chunk: 'b' })), expect: { code: 'DECOMPRESSED_TOO_LARGE' } },
    { name: 'str32 announcing 4 GiB', bytes: cat([0x93], mp('t'), [0xdb, 0xff, 0xff, 0xff, 0xff]), expect: { code: 'REQUEST_TOO_LARGE' } },
    { name: 'array32 announcing 4 billion entries', bytes: cat([0x93], mp('t'), [0xdd, 0xff, 0xff, 0xff, 0xff, 0x92, 0x01, 0x80]), expect: { code: 'REQUEST_TOO_LARGE' } },
    { name: 'map32 announcing 4 billion keys', bytes: cat([0x94], mp('t'), mp(1), [0xdf, 0xff, 0xff, 0xff, 0xff]), expect: { code: 'REQUEST_TOO_LARGE' } },
    { name: 'nested 100 000 deep', bytes: cat([0x94], mp('t'), mp(1), Buffer.alloc(100_000, 0x91), [0xc0], mp({})), expect: { code: 'MSGPACK_TOO_DEEP' } },
    { name: 'truncated Message', bytes: good.subarray(0, good.length - 3), expect: { code: 'REQUEST_TRUNCATED' } },
    { name: 'unknown compression', bytes: cat([0x93], mp('t'), bin32(Buffer.from('x')), mp({ compressed: 'lz4' })), expect: { code: 'BAD_COMPRESSION' } },
    { name: 'nil heartbeat', bytes: cat([0xc0]), expect: { outcome: 'heartbeat' } },
    { name: 'a bare integer', bytes: cat([0x2a]), expect: { outcome: 'ignored' } },
    { name: 'JSON text instead of msgpack (in_forward JSON mode, unsupported)', bytes: Buffer.from('["tag",1,{"a":1}]'), expect: { code: 'BAD_REQUEST' } },
    { name: 'record is a string', bytes: cat([0x93], mp('t'), mp(1), mp('just a string')), expect: { outcome: 'rejected' } },
    { name: 'time is a string (a str 2nd element means PackedForward, spec v1)', bytes: cat([0x93], mp('t'), mp('yesterday'), mp({ log: makeLine(2) })), expect: { code: 'BAD_REQUEST' } },
    { name: 'time is a float (time is transport data: event kept)', bytes: cat([0x93], mp('t'), mp(1.5), mp({ log: makeLine(2) })), expect: { outcome: 'stored' } },
    { name: 'ext type 5 as time', bytes: cat([0x93], mp('t'), [0xd4, 0x05, 0x00], mp({ log: makeLine(3) })), expect: { outcome: 'stored' } },
    { name: 'invalid UTF-8 in a non-audit log', bytes: cat([0x93], mp('t'), mp(1), [0x81, 0xa3, 0x6c, 0x6f, 0x67, 0xa4, 0xff, 0xfe, 0xed, 0xa0]), expect: { outcome: 'non_audit' } },
    {
      name: 'audit line with ANSI escape, newline and SQL in user_id',
      bytes: fluentdPackedForward('t', [entry(fixext8Time(1), { log: makeLine(4).replace('"user-4"', '"x\\u001b[31m\\n\'; DROP TABLE security_audit_events;--"') })], 'h1\n'),
      expect: { outcome: 'rejected' },
    },
    {
      name: 'audit line with a lone surrogate (escaped) in user_id',
      bytes: fluentBitForward('t', [entry(fixext8Time(1), { log: makeLine(5).replace('"user-5"', '"\\ud800x"') })], 'h2'),
      expect: { outcome: 'rejected' },
    },
    {
      name: 'invalid UTF-8 inside an audit line',
      bytes: cat([0x93], mp('t'), mp(1), [0x81, 0xa3, 0x6c, 0x6f, 0x67], (() => {
        const line = Buffer.from(makeLine(6).replace('"user-6"', '"user-\u00ff"'));
        const i = line.indexOf(0xc3);
        line[i] = 0xff;
        return cat([0xda, line.length >> 8, line.length & 0xff], line);
      })()),
      expect: { outcome: 'stored' },
    },
    // Any container's output can look like a Docker event; a time no Date can
    // hold made the normaliser throw, which failed the request unacked, so the
    // sender resent it forever.
    {
      name: 'Docker event line with timeNano 1e300',
      bytes: dockerMessage('docker.events', 1, dockerRecord(JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'ab'.repeat(6), Attributes: {} }, timeNano: 1e300 })), 'dn'),
      expect: { outcome: 'rejected' },
    },
    {
      name: 'Docker event line with time as a string',
      bytes: dockerMessage('docker.events', 1, dockerRecord(JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'cd'.repeat(6), Attributes: {} }, time: 'yesterday' })), 'dt'),
      expect: { outcome: 'rejected' },
    },
    {
      name: 'Docker event line with a numeric Actor.ID (the mapper threw; the raw line is kept)',
      bytes: dockerMessage('docker.events', 1, dockerRecord(JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 123456789012 }, time: 1 })), 'di'),
      expect: { outcome: 'rejected' },
    },
  ];
}
