import { gzipSync } from 'node:zlib';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { makeLine } from './helpers/events.js';
import { fakeConnection } from './helpers/fake-connection.js';
import { bin32, dockerMessage, dockerRecord, entry, fixext8Time, fluentBitCompressed, fluentBitForward } from './helpers/frames.js';
import { RecordingSink } from './helpers/recording-sink.js';

const mp = (v: unknown) => Buffer.from(encode(v));

describe('forward limits: closed with a reason, never acked', () => {
  it('closes on a request larger than maxRequestBytes as soon as its header says so', () => {
    const { conn, transport, counters, logs } = fakeConnection(new RecordingSink(), { limits: { maxRequestBytes: 1000 } });
    // A str32 header announcing 1 MiB: refused before the bytes arrive.
    conn.feed(Buffer.concat([Buffer.from([0x93]), mp('t'), Buffer.from([0xdb, 0x00, 0x10, 0x00, 0x00])]));
    expect(transport.ended).toBe(true);
    expect(counters.badFramesByCode.REQUEST_TOO_LARGE).toBe(1);
    expect(logs[0]).toMatchObject({ level: 'warn', code: 'REQUEST_TOO_LARGE' });
  });

  it.each([
    ['an array32 of entries (Forward mode)', [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ['a map32 record (Message mode)', [0x01, 0xdf, 0xff, 0xff, 0xff, 0xff]],
  ])('closes on %s announcing more elements than maxRequestBytes could hold, as soon as its header says so', (_what, header) => {
    // Each element takes a byte at least: the request cannot fit. Only a str's or bin's length was
    // read so, and a header announcing 4 G elements held its connection (and its share of
    // maxBufferedBytes) until 32 MiB came or its peer left (found by a probe).
    const { conn, transport, counters, logs } = fakeConnection(new RecordingSink(), { limits: { maxRequestBytes: 1000 } });
    conn.feed(Buffer.concat([Buffer.from([0x94]), mp('t'), Buffer.from(header)]));
    expect(transport.ended).toBe(true);
    expect(counters.badFramesByCode.REQUEST_TOO_LARGE).toBe(1);
    expect(logs[0]).toMatchObject({ level: 'warn', code: 'REQUEST_TOO_LARGE' });
  });

  it('closes on a gzip bomb beyond maxDecompressedBytes without storing or acking', async () => {
    const sink = new RecordingSink();
    const { conn, transport, counters } = fakeConnection(sink, { limits: { maxDecompressedBytes: 1 << 20 } });
    const bomb = gzipSync(Buffer.alloc(16 << 20));
    conn.feed(Buffer.concat([Buffer.from([0x93]), mp('t'), bin32(bomb), mp({ compressed: 'gzip', chunk: 'b' })]));
    await conn.drain();
    expect(counters.badFramesByCode.DECOMPRESSED_TOO_LARGE).toBe(1);
    expect(transport.out).toHaveLength(0);
    expect(sink.writes).toBe(0);
  });

  it('closes on a map of more keys than maxMapKeys before building it (two million keys held the event loop 6.6 s; found by a probe)', async () => {
    const sink = new RecordingSink();
    const { conn, transport, counters } = fakeConnection(sink, { limits: { maxMapKeys: 100 } });
    const wide = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));
    conn.feed(Buffer.concat([Buffer.from([0x93]), mp('t'), mp(1700000000), mp({ log_type: 'security_audit', ...wide })]));
    await conn.drain();
    expect(counters.badFramesByCode.MSGPACK_TOO_LARGE).toBe(1);
    expect(transport.ended).toBe(true);
    expect(sink.writes).toBe(0);
    // At the limit it is a record like any other (here a reject: not an audit event).
    const ok = fakeConnection(sink, { limits: { maxMapKeys: 101 } });
    ok.conn.feed(Buffer.concat([Buffer.from([0x94]), mp('t'), mp(1700000000), mp({ ...wide }), mp({ chunk: 'c' })]));
    await ok.conn.drain();
    expect(ok.counters.badFrames).toBe(0);
    expect(ok.transport.messages()).toEqual([{ ack: 'c' }]);
  });

  it('closes on more array elements and map keys in one request than maxItems, counted across records and before each is built (a 58 KB gzip of empty arrays decoded to gigabytes; found by a probe)', async () => {
    // One record holding 1001 one-byte empty arrays: over a limit of 1000.
    const arrays = (n: number) => Buffer.concat([Buffer.from([0xdc, n >> 8, n & 0xff]), Buffer.alloc(n, 0x90)]);
    const record = (n: number) => Buffer.concat([Buffer.from([0x82]), mp('log'), mp(makeLine(1)), mp('big'), arrays(n)]);
    const packed = (body: Buffer) => Buffer.concat([Buffer.from([0x93]), mp('t'), bin32(gzipSync(body)), mp({ compressed: 'gzip', chunk: 'c' })]);
    const big = fakeConnection(new RecordingSink(), { limits: { maxItems: 1000 } });
    big.conn.feed(packed(Buffer.concat([Buffer.from([0x92, 0x01]), record(1001)])));
    await big.conn.drain();
    expect(big.counters.badFramesByCode.MSGPACK_TOO_LARGE).toBe(1);
    expect(big.transport.out).toHaveLength(0);
    // Across entries: 4 entries of 2 + 2 + 240 items each are 976; a fifth passes 1000.
    const entries = (k: number) => Buffer.concat(Array.from({ length: k }, () => Buffer.concat([Buffer.from([0x92, 0x01]), record(240)])));
    const sink = new RecordingSink();
    const ok = fakeConnection(sink, { limits: { maxItems: 1000 } });
    ok.conn.feed(packed(entries(4)));
    await ok.conn.drain();
    expect(ok.counters.badFrames).toBe(0);
    expect(ok.transport.messages()).toEqual([{ ack: 'c' }]);
    const over = fakeConnection(new RecordingSink(), { limits: { maxItems: 1000 } });
    over.conn.feed(packed(entries(5)));
    await over.conn.drain();
    expect(over.counters.badFramesByCode.MSGPACK_TOO_LARGE).toBe(1);
    // Bytes and ext values weigh 8 items (an object and a Buffer each): 125 empty ext values in one record pass 1000.
    const exts = (k: number) => Buffer.concat([Buffer.from([0x92, 0x01, 0x81]), mp('x'), Buffer.from([0xdc, k >> 8, k & 0xff]), Buffer.concat(Array.from({ length: k }, () => Buffer.from([0xc7, 0x00, 0x05])))]);
    const extOk = fakeConnection(new RecordingSink(), { limits: { maxItems: 1000 } });
    extOk.conn.feed(packed(exts(100)));
    await extOk.conn.drain();
    expect(extOk.counters.badFrames).toBe(0);
    const extOver = fakeConnection(new RecordingSink(), { limits: { maxItems: 1000 } });
    extOver.conn.feed(packed(exts(125)));
    await extOver.conn.drain();
    expect(extOver.counters.badFramesByCode.MSGPACK_TOO_LARGE).toBe(1);
    // The default bounds it too, before allocating: a header claiming 6 million elements is refused at once.
    const claim = fakeConnection(new RecordingSink());
    const header = Buffer.from([0xdd, 0, 0, 0, 0]);
    header.writeUInt32BE(6_000_000, 1);
    claim.conn.feed(Buffer.concat([Buffer.from([0x94]), mp('t'), mp(1), Buffer.from([0x81]), mp('big'), header, Buffer.alloc(6_000_000, 0), mp({ chunk: 'c' })]));
    await claim.conn.drain();
    expect(claim.counters.badFramesByCode.MSGPACK_TOO_LARGE).toBe(1);
  });

  it('counts a PackedForward request\'s options and its payload against one maxItems (each had its own count: one request decoded to twice the limit; found by a review)', async () => {
    const empties = (n: number) => Buffer.concat([Buffer.from([0xdc, n >> 8, n & 0xff]), Buffer.alloc(n, 0x90)]);
    // An options map with an unknown key holding 600 empty arrays (600 items), and a payload of one entry whose record holds 600 more.
    const options = (chunk: string) => Buffer.concat([Buffer.from([0x82]), mp('chunk'), mp(chunk), mp('pad'), empties(600)]);
    const payload = Buffer.concat([Buffer.from([0x92, 0x01, 0x82]), mp('log'), mp(makeLine(1)), mp('big'), empties(600)]);
    const request = (opts: Buffer) => Buffer.concat([Buffer.from([0x93]), mp('t'), bin32(payload), opts]);
    const over = fakeConnection(new RecordingSink(), { limits: { maxItems: 1000 } });
    over.conn.feed(request(options('c')));
    await over.conn.drain();
    expect(over.counters.badFramesByCode.MSGPACK_TOO_LARGE).toBe(1);
    expect(over.transport.out).toHaveLength(0);
    // Either half alone is within the limit and acked.
    const sink = new RecordingSink();
    const ok = fakeConnection(sink, { limits: { maxItems: 1000 } });
    ok.conn.feed(request(mp({ chunk: 'd' })));
    await ok.conn.drain();
    expect(ok.counters.badFrames).toBe(0);
    expect(ok.transport.messages()).toEqual([{ ack: 'd' }]);
    const optsOnly = fakeConnection(new RecordingSink(), { limits: { maxItems: 1000 } });
    optsOnly.conn.feed(Buffer.concat([Buffer.from([0x93]), mp('t'), bin32(Buffer.alloc(0)), options('e')]));
    await optsOnly.conn.drain();
    expect(optsOnly.counters.badFrames).toBe(0);
    expect(optsOnly.transport.messages()).toEqual([{ ack: 'e' }]);
  });

  it('closes on more entries than maxEntries (Forward and PackedForward)', async () => {
    const { conn, counters } = fakeConnection(new RecordingSink(), { limits: { maxEntries: 2 } });
    const entries = [1, 2, 3].map((i) => entry(fixext8Time(1), { log: makeLine(i) }));
    conn.feed(fluentBitForward('t', entries, 'c'));
    await conn.drain();
    expect(counters.badFramesByCode.TOO_MANY_ENTRIES).toBe(1);
    const packed = fakeConnection(new RecordingSink(), { limits: { maxEntries: 2 } });
    packed.conn.feed(Buffer.concat([Buffer.from([0x93]), mp('t'), bin32(Buffer.concat(entries)), mp({ chunk: 'c' })]));
    await packed.conn.drain();
    expect(packed.counters.badFramesByCode.TOO_MANY_ENTRIES).toBe(1);
    expect(packed.transport.out).toHaveLength(0);
  });

  it('refuses nesting deeper than maxDepth without a stack overflow', async () => {
    const { conn, counters } = fakeConnection(new RecordingSink());
    const depth = 200_000;
    const deep = Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]);
    conn.feed(Buffer.concat([Buffer.from([0x94]), mp('t'), mp(1), deep, mp({ chunk: 'c' })]));
    await conn.drain();
    expect(counters.badFramesByCode.MSGPACK_TOO_DEEP).toBe(1);
  });

  it('rejects unsupported compression and the never-used byte 0xc1', async () => {
    const a = fakeConnection(new RecordingSink());
    a.conn.feed(Buffer.concat([Buffer.from([0x93]), mp('t'), bin32(Buffer.from('x')), mp({ compressed: 'zstd', chunk: 'c' })]));
    await a.conn.drain();
    expect(a.counters.badFramesByCode.BAD_COMPRESSION).toBe(1);
    const b = fakeConnection(new RecordingSink());
    b.conn.feed(Buffer.from([0x93, 0xc1]));
    expect(b.counters.badFramesByCode.MSGPACK_INVALID).toBe(1);
  });

  it('pauses reading while too many requests of one connection are being stored', async () => {
    const sink = new RecordingSink();
    let open!: () => void;
    sink.gate = new Promise((r) => (open = r));
    const { conn, transport } = fakeConnection(sink, { limits: { maxInflightRequests: 2 } });
    conn.feed(dockerMessage('t', 1, dockerRecord(makeLine(1)), 'a'));
    expect(transport.paused).toBe(false);
    conn.feed(dockerMessage('t', 1, dockerRecord(makeLine(2)), 'b'));
    expect(transport.paused).toBe(true);
    open();
    await conn.drain();
    expect(transport.paused).toBe(false);
    expect(transport.messages()).toEqual([{ ack: 'a' }, { ack: 'b' }]);
  });

  it('holds the limit within one read: requests beyond maxInflightRequests wait in the buffer, then are stored and acked in order', async () => {
    const sink = new RecordingSink();
    let open!: () => void;
    sink.gate = new Promise((r) => (open = r));
    const { conn, transport } = fakeConnection(sink, { limits: { maxInflightRequests: 2 } });
    const chunks = Array.from({ length: 10 }, (_, i) => `c${i}`);
    conn.feed(Buffer.concat(chunks.map((c, i) => dockerMessage('t', 1, dockerRecord(makeLine(i)), c))));
    expect(sink.writes).toBe(2);
    expect(transport.paused).toBe(true);
    open();
    for (let i = 0; i < 100 && transport.messages().length < 10; i++) await new Promise((r) => setTimeout(r, 5));
    expect(sink.writes).toBe(10);
    expect(transport.messages()).toEqual(chunks.map((c) => ({ ack: c })));
    expect(transport.paused).toBe(false);
  });

  it('still handles the requests held back by the limit when the peer closes right after sending them', async () => {
    const sink = new RecordingSink();
    const { conn, transport } = fakeConnection(sink, { limits: { maxInflightRequests: 2 } });
    conn.feed(Buffer.concat(Array.from({ length: 6 }, (_, i) => dockerMessage('t', 1, dockerRecord(makeLine(i)), `c${i}`))));
    conn.close();
    await conn.drain();
    expect(sink.items).toHaveLength(6);
    expect(transport.messages()).toHaveLength(6);
  });

  it('shares a byte budget across connections: one that would exceed it is closed with SERVER_BUSY', async () => {
    const budget = { used: 0 };
    const limits = { maxBufferedBytes: 1000 };
    const a = fakeConnection(new RecordingSink(), { limits, budget });
    const b = fakeConnection(new RecordingSink(), { limits, budget });
    const big = dockerMessage('t', 1, dockerRecord('x'.repeat(700)), 'c');
    a.conn.feed(big.subarray(0, 600));
    expect(budget.used).toBe(600);
    b.conn.feed(big.subarray(0, 600));
    expect(b.counters.badFramesByCode.SERVER_BUSY).toBe(1);
    expect(b.transport.ended).toBe(true);
    a.conn.feed(big.subarray(600));
    await a.conn.drain();
    expect(a.transport.messages()).toEqual([{ ack: 'c' }]);
    expect(budget.used).toBe(0);
  });

  it('charges a compressed request its decompressed size: one that would pass the budget once unpacked is closed with SERVER_BUSY', async () => {
    const budget = { used: 0 };
    const limits = { maxBufferedBytes: 50_000 };
    // ~100 KB of records in ~2 KB of gzip: the wire size alone fits the budget many times over.
    const entries = Array.from({ length: 100 }, (_, i) => entry(fixext8Time(1_700_000_000), dockerRecord(makeLine(i))));
    const big = fluentBitCompressed('swarm.audit.n1.api.t1', entries, 'big');
    expect(big.length).toBeLessThan(limits.maxBufferedBytes / 2);
    const sink = new RecordingSink();
    const a = fakeConnection(sink, { limits, budget });
    a.conn.feed(big);
    await a.conn.drain();
    expect(a.counters.badFramesByCode.SERVER_BUSY).toBe(1);
    expect(a.transport.ended).toBe(true);
    expect(a.transport.messages()).toEqual([]);
    expect(sink.items).toEqual([]);
    expect(budget.used).toBe(0);
    // A small one fits, is acked, and gives back everything it took.
    const b = fakeConnection(sink, { limits, budget });
    b.conn.feed(fluentBitCompressed('swarm.audit.n1.api.t1', entries.slice(0, 10), 'small'));
    await b.conn.drain();
    expect(b.transport.messages()).toEqual([{ ack: 'small' }]);
    expect(budget.used).toBe(0);
  });

  it('charges a gzip bomb as it inflates and stops it at the budget, not after it is all in memory (found by a probe)', async () => {
    // 64 KiB of gzip inflating to 48 MiB, under maxDecompressedBytes (64 MiB), against a 1 MiB budget.
    let used = 0;
    let peak = 0;
    const budget = {
      get used() {
        return used;
      },
      set used(v: number) {
        used = v;
        peak = Math.max(peak, v);
      },
    };
    const limits = { maxBufferedBytes: 1 << 20, maxDecompressedBytes: 64 << 20 };
    const bomb = gzipSync(Buffer.alloc(48 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    const sink = new RecordingSink();
    const a = fakeConnection(sink, { limits, budget });
    a.conn.feed(Buffer.concat([Buffer.from([0x93]), mp('t'), bin32(bomb), mp({ compressed: 'gzip', chunk: 'b' })]));
    await a.conn.drain();
    expect(a.counters.badFramesByCode.SERVER_BUSY).toBe(1);
    expect(a.transport.messages()).toEqual([]);
    // Charged while inflating (the wire bytes alone are 64 KiB), never past the budget, and all given back.
    expect(peak).toBeGreaterThan(limits.maxBufferedBytes / 2);
    expect(peak).toBeLessThanOrEqual(limits.maxBufferedBytes + bomb.length);
    expect(budget.used).toBe(0);
  });
});
