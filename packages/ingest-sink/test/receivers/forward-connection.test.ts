import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { makeLine } from './helpers/events.js';
import { fakeConnection } from './helpers/fake-connection.js';
import {
  dockerMessage,
  dockerRecord,
  entry,
  ext8Time,
  fixext8Time,
  fluentBitCompressed,
  fluentBitForward,
  fluentdPackedForward,
  rawStrEntry,
} from './helpers/frames.js';
import { RecordingSink } from './helpers/recording-sink.js';
import type { PartialDurability, PartialPiece } from '../../src/normalize/partial-journal.js';

const FLUENTD_CHUNK = 'VESFkVa4eEpn+/hwFcOpLw==\n';

describe('forward connection: event modes and acks (spec v1)', () => {
  it('gives back the buffer of a large request when only a few bytes of the next one follow (found by a probe)', async () => {
    const sink = new RecordingSink();
    const { conn } = fakeConnection(sink);
    // A 20 MiB request (a top-level bin, ignored), then the first byte of the next (fixarray 3).
    const big = Buffer.from(encode(new Uint8Array(20 * 1024 * 1024)));
    conn.feed(Buffer.concat([big, Buffer.from([0x93])]));
    await conn.drain();
    const held = (conn as unknown as { acc: Buffer; buffered: number });
    expect(held.buffered).toBe(1);
    expect(held.acc.length).toBeLessThanOrEqual(64 * 1024);
    // The tail is kept: the rest of that request completes it.
    conn.feed(Buffer.from(encode(['tag', 1700000000, { log: makeLine(7) }])).subarray(1));
    await conn.drain();
    expect(sink.items.map((i) => JSON.parse(i.line).user_id)).toEqual(['user-7']);
  });

  it('decodes the spec worked example (Message mode) and counts a non-audit record without acking', async () => {
    const sink = new RecordingSink();
    const { conn, transport, counters } = fakeConnection(sink);
    const bytes = Buffer.from('93a8746167 2e6e616d65d70055ece6f80000000081a76d657373616765a3626172'.replace(/\s/g, ''), 'hex');
    conn.feed(bytes);
    await conn.drain();
    expect(counters.requests).toBe(1);
    expect(counters.nonAudit).toBe(1);
    expect(sink.items).toHaveLength(0);
    expect(transport.out).toHaveLength(0);
  });

  it('acks Fluentd out_forward str32 PackedForward echoing the chunk id with its trailing newline byte for byte', async () => {
    const sink = new RecordingSink();
    const { conn, transport, counters } = fakeConnection(sink);
    const entries = [0, 1, 2].map((i) => entry(fixext8Time(1700000000 + i, 5), { log: makeLine(i) }));
    const frame = fluentdPackedForward('swarm.audit.node-1.example.com.api.tsk123', entries, FLUENTD_CHUNK);
    conn.feed(frame);
    await conn.drain();
    const chunkBytes = Buffer.from(encode(FLUENTD_CHUNK));
    expect(Buffer.concat(transport.out)).toEqual(Buffer.concat([Buffer.from([0x81, 0xa3, 0x61, 0x63, 0x6b]), chunkBytes]));
    expect(sink.items).toHaveLength(3);
    expect(JSON.parse(sink.items[0]!.line).user_id).toBe('user-0');
    expect(sink.items[0]!.meta).toMatchObject({ swarm_node: 'node-1.example.com', swarm_service: 'api', swarm_task_id: 'tsk123' });
    expect(counters.acks).toBe(1);
  });

  it('accepts gzip CompressedPackedForward from Fluentd (str32) and Fluent Bit (bin, 3 concatenated members)', async () => {
    const sink = new RecordingSink();
    const { conn, transport } = fakeConnection(sink);
    const entries = Array.from({ length: 9 }, (_, i) => entry(fixext8Time(1700000000), { log: makeLine(i) }));
    conn.feed(fluentdPackedForward('a', entries.slice(0, 4), 'c1\n', true));
    conn.feed(fluentBitCompressed('b', entries.slice(4), 'c2', 3));
    await conn.drain();
    expect(sink.items).toHaveLength(9);
    expect(transport.messages()).toEqual([{ ack: 'c1\n' }, { ack: 'c2' }]);
  });

  it('handles Fluent Bit Forward mode with fluent_signal 0, and counts metrics (signal 1) without storing', async () => {
    const sink = new RecordingSink();
    const { conn, transport, counters } = fakeConnection(sink);
    const entries = [entry(ext8Time(1700000000, 1), { log: makeLine(1) }), entry(Buffer.from([0x01]), { log: makeLine(2) })];
    conn.feed(fluentBitForward('fb', entries, 'x1', 0));
    conn.feed(fluentBitForward('fb', entries, 'x2', 1));
    await conn.drain();
    expect(sink.items).toHaveLength(2);
    expect(counters.nonLogSignals).toBe(2);
    expect(transport.messages()).toEqual([{ ack: 'x1' }, { ack: 'x2' }]);
  });

  it('skips only the signals known not to be logs (1 metrics, 2 traces, 3 blobs, 4 profiles): an unknown fluent_signal is read as logs, its audit lines stored (they were acked and dropped; found by a probe)', async () => {
    const sink = new RecordingSink();
    const { conn, transport, counters } = fakeConnection(sink);
    const signals = [2, 3, 4, 5, -1, 0.5, 256];
    signals.forEach((signal, i) => conn.feed(fluentBitForward('fb', [entry(ext8Time(1700000000, 1), { log: makeLine(10 + i) })], `s${i}`, signal)));
    await conn.drain();
    expect(counters.nonLogSignals).toBe(3);
    expect(sink.items).toHaveLength(4);
    expect(transport.messages()).toHaveLength(7);
  });

  it('tolerates the v1.5 [time, {metadata}] entry time and an empty option map', async () => {
    const sink = new RecordingSink();
    const { conn, transport } = fakeConnection(sink);
    const v15 = Buffer.concat([Buffer.from([0x92, 0x92]), fixext8Time(1700000000), Buffer.from(encode({ k: 'v' })), Buffer.from(encode({ log: makeLine(3) }))]);
    conn.feed(Buffer.concat([Buffer.from([0x93]), Buffer.from(encode('t')), Buffer.from([0x91]), v15, Buffer.from([0x80])]));
    await conn.drain();
    expect(sink.items).toHaveLength(1);
    expect(transport.out).toHaveLength(0);
  });

  it('reads an option map in any msgpack map format, map32 too (found by a probe: closed as "option is not a map")', async () => {
    const sink = new RecordingSink();
    const { conn, transport } = fakeConnection(sink);
    const chunk = Buffer.from(encode({ chunk: 'm32' })).subarray(1); // the key and value, without the fixmap header
    const options = (header: number[]) => Buffer.concat([Buffer.from(header), chunk]);
    for (const [i, header] of [[0x81], [0xde, 0, 1], [0xdf, 0, 0, 0, 1]].entries()) {
      conn.feed(Buffer.concat([Buffer.from([0x94]), Buffer.from(encode('t')), Buffer.from(encode(1700000000)), Buffer.from(encode({ log: makeLine(i) })), options(header)]));
    }
    await conn.drain();
    expect(conn.closed).toBe(false);
    expect(sink.items).toHaveLength(3);
    expect(transport.messages()).toEqual([{ ack: 'm32' }, { ack: 'm32' }, { ack: 'm32' }]);
  });

  it('reassembles a request fed one byte at a time (partial TCP reads)', async () => {
    const sink = new RecordingSink();
    const { conn, transport } = fakeConnection(sink);
    const frame = dockerMessage('abcdef012345', 1700000000, dockerRecord(makeLine(7)), 'go-chunk');
    for (const b of frame) conn.feed(Buffer.from([b]));
    await conn.drain();
    expect(sink.items).toHaveLength(1);
    expect(sink.items[0]!.meta).toMatchObject({ container_id: 'a'.repeat(64), container_name: 'svc.1.abcdef', source_tag: 'abcdef012345' });
    expect(transport.messages()).toEqual([{ ack: 'go-chunk' }]);
  });

  it('drain() also waits for requests held back by the in-flight limit (three gzip requests in one read, two in flight)', async () => {
    const sink = new RecordingSink();
    const { conn, transport } = fakeConnection(sink);
    const frames = [0, 1, 2].map((j) => fluentdPackedForward('a', [entry(fixext8Time(1700000000), { log: makeLine(j) })], `c${j}\n`, true));
    conn.feed(Buffer.concat(frames));
    await conn.drain();
    expect(sink.items).toHaveLength(3);
    expect(transport.messages()).toEqual([{ ack: 'c0\n' }, { ack: 'c1\n' }, { ack: 'c2\n' }]);
  });

  it('hands requests to the sink in arrival order: a plain request does not overtake a gzip one still being decompressed', async () => {
    const sink = new RecordingSink();
    const { conn } = fakeConnection(sink);
    const gz = fluentdPackedForward('a', Array.from({ length: 50 }, (_, i) => entry(fixext8Time(1700000000), { log: makeLine(i) })), 'gz\n', true);
    conn.feed(Buffer.concat([gz, dockerMessage('t', 1700000000, dockerRecord(makeLine(50)), 'plain')]));
    await conn.drain();
    expect(sink.items.map((it) => JSON.parse(it.line).user_id)).toEqual(Array.from({ length: 51 }, (_, i) => `user-${i}`));
  });

  it('acks only after the sink resolved, in request order', async () => {
    const sink = new RecordingSink();
    let open!: () => void;
    sink.gate = new Promise((r) => (open = r));
    const { conn, transport } = fakeConnection(sink);
    conn.feed(dockerMessage('t', 1, dockerRecord(makeLine(1)), 'one'));
    conn.feed(dockerMessage('t', 1, dockerRecord(makeLine(2)), 'two'));
    await new Promise((r) => setTimeout(r, 20));
    expect(transport.out).toHaveLength(0);
    open();
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'one' }, { ack: 'two' }]);
  });

  it('sends no ack and closes the connection when the sink cannot store the request', async () => {
    const sink = new RecordingSink();
    sink.fail = true;
    const { conn, transport, counters, logs } = fakeConnection(sink);
    conn.feed(dockerMessage('t', 1, dockerRecord(makeLine(1)), 'nope'));
    await conn.drain();
    expect(transport.out).toHaveLength(0);
    expect(transport.ended).toBe(true);
    expect(counters.sinkFailures).toBe(1);
    expect(logs.some((l) => l.code === 'SINK_FAILED')).toBe(true);
  });

  it('treats nil as a heartbeat and ignores non-array values', async () => {
    const sink = new RecordingSink();
    const { conn, counters } = fakeConnection(sink);
    conn.feed(Buffer.from([0xc0, 0x2a, 0xc0]));
    await conn.drain();
    expect(counters.heartbeats).toBe(2);
    expect(counters.ignoredValues).toBe(1);
  });
});

/** A journal that logs what it is asked, in order with the sink's writes, and can be made to fail. */
class LoggingJournal implements PartialDurability {
  fail = false;
  constructor(readonly log: string[]) {}
  async record(pieces: readonly PartialPiece[]): Promise<void> {
    this.log.push(`record ${pieces.map((p) => `${p.key.split('/')[1]}#${p.ordinal}`).join(',')}`);
    await new Promise((r) => setTimeout(r, 5));
    if (this.fail) throw new Error('ENOSPC: no space left on device');
    this.log.push('recorded');
  }
  async settle(keys: readonly string[]): Promise<void> {
    this.log.push(`settle ${keys.map((k) => k.split('/')[1]).join(',')}`);
  }
}

describe('forward connection: pieces of split lines and their journal', () => {
  const line = makeLine(7);
  const half = Math.floor(line.length / 2);
  const piece = (n: 1 | 2, chunk: string) =>
    dockerMessage('t', 1700000000, dockerRecord(n === 1 ? line.slice(0, half) : line.slice(half), { partial_message: 'true', partial_id: 'p1', partial_ordinal: String(n), partial_last: String(n === 2) }), chunk);

  function setup() {
    const log: string[] = [];
    const journal = new LoggingJournal(log);
    const sink = new RecordingSink();
    const write = sink.write.bind(sink);
    sink.write = async (items) => {
      log.push(`write ${items.length}`);
      const r = await write(items);
      log.push('written');
      return r;
    };
    return { log, journal, sink, ...fakeConnection(sink, { partials: journal }) };
  }

  /** Holds the sink's writes until `release()`; a write released while `sink.fail` is set fails. */
  function holdWrites(sink: RecordingSink): () => void {
    const write = sink.write.bind(sink);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    sink.write = async (items) => {
      await gate;
      if (sink.fail) throw new Error('spool write failed');
      return write(items);
    };
    return release;
  }

  /**
   * Both pieces fed while the sink holds its writes; then, the store being
   * slow and the sender's ack timeout firing, the last piece resent on a new
   * connection. Resolves with that connection and what releases the writes.
   */
  async function resendWhileStoring(s: ReturnType<typeof setup>) {
    const release = holdWrites(s.sink);
    s.conn.feed(piece(1, 'c1'));
    s.conn.feed(piece(2, 'c2'));
    await new Promise((r) => setTimeout(r, 30));
    const again = await resendLastPiece(s.sink, s.journal, s.normalizer);
    expect(again.transport.messages()).toEqual([{ ack: 'c2' }]);
    return { again, release };
  }

  /** The sender, its ack not come, reconnects and sends the line's last piece again; resolves with that connection once it is done. */
  async function resendLastPiece(sink: RecordingSink, journal: PartialDurability, normalizer: ReturnType<typeof setup>['normalizer']) {
    const again = fakeConnection(sink, { partials: journal, normalizer });
    again.conn.feed(piece(2, 'c2'));
    await again.conn.drain();
    return again;
  }

  it('acks a piece once it is journaled; stores a completed line only after its last piece is journaled, and settles it after', async () => {
    const { log, conn, transport, sink } = setup();
    conn.feed(piece(1, 'c1'));
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'c1' }]);
    conn.feed(piece(2, 'c2'));
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'c1' }, { ack: 'c2' }]);
    expect(sink.items.map((i) => i.line)).toEqual([line]);
    expect(log).toEqual(['record p1#1', 'recorded', 'record p1#2', 'recorded', 'write 1', 'written', 'settle p1']);
  });

  it('does not ack a piece of a line still open when the journal cannot keep it', async () => {
    const { journal, conn, transport, counters, sink } = setup();
    journal.fail = true;
    conn.feed(piece(1, 'c1'));
    await conn.drain();
    expect(transport.messages()).toEqual([]);
    expect(conn.closed).toBe(true);
    expect(counters.sinkFailures).toBe(1);
    expect(sink.items).toEqual([]);
  });

  it('when storing a completed line fails, the last piece is not acked, and resent on a new connection it completes the line again', async () => {
    const { log, sink, conn, transport, normalizer, journal } = setup();
    conn.feed(piece(1, 'c1'));
    await conn.drain();
    sink.fail = true;
    conn.feed(piece(2, 'c2'));
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'c1' }]);
    expect(conn.closed).toBe(true);
    expect(log).not.toContain('settle p1');
    // The sender reconnects and resends the unacked piece.
    sink.fail = false;
    const again = fakeConnection(sink, { partials: journal, normalizer });
    again.conn.feed(piece(2, 'c2'));
    await again.conn.drain();
    expect(again.transport.messages()).toEqual([{ ack: 'c2' }]);
    expect(sink.items.map((i) => i.line)).toEqual([line]);
    expect(log.at(-1)).toBe('settle p1');
    expect(normalizer.partials.size).toBe(0);
    expect(normalizer.partials.bytes).toBe(0);
  });

  it('joins pieces cut inside UTF-8 characters as relayed by a Fluentd agent (PackedForward, str32, invalid UTF-8 kept as bytes)', async () => {
    const { conn, transport, sink, counters } = setup();
    const text = JSON.stringify({ ...JSON.parse(makeLine(8)), user_agent: 'Zoë 中文 😀 '.repeat(40) });
    const bytes = Buffer.from(text, 'utf8');
    // Cuts after the first byte of three multi-byte characters.
    const cuts = [bytes.indexOf(Buffer.from('ë')) + 1, bytes.indexOf(Buffer.from('中')) + 1, bytes.indexOf(Buffer.from('😀')) + 2];
    const bounds = [0, ...cuts, bytes.length];
    const entries = bounds.slice(1).map((end, i) =>
      rawStrEntry(fixext8Time(1700000000), {
        container_id: 'a'.repeat(64),
        container_name: '/svc.1.x',
        source: 'stdout',
        log: bytes.subarray(bounds[i]!, end),
        partial_message: 'true',
        partial_id: 'relayed',
        partial_ordinal: String(i + 1),
        partial_last: String(i === cuts.length),
      }),
    );
    // Two chunks, as Fluentd may flush them: the line is completed by the second.
    conn.feed(fluentdPackedForward('swarm.audit.n1.svc.t1', entries.slice(0, 2), 'k1\n'));
    conn.feed(fluentdPackedForward('swarm.audit.n1.svc.t1', entries.slice(2), 'k2\n'));
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'k1\n' }, { ack: 'k2\n' }]);
    expect(sink.items.map((i) => i.line)).toEqual([text]);
    expect(counters.invalidUtf8).toBe(4);
  });

  it('takes the last piece sent again after its line was stored (its ack lost) for a resend: acked, not journaled, no line opened that would expire as incomplete', async () => {
    const { log, conn, sink, normalizer, journal, counters } = setup();
    conn.feed(piece(1, 'c1'));
    conn.feed(piece(2, 'c2'));
    await conn.drain();
    // The ack of c2 was lost: the sender reconnects and sends the request again.
    const again = await resendLastPiece(sink, journal, normalizer);
    expect(again.transport.messages()).toEqual([{ ack: 'c2' }]);
    expect(log.filter((l) => l.startsWith('record '))).toEqual(['record p1#1', 'record p1#2']);
    expect(normalizer.partials.size).toBe(0);
    expect(normalizer.expire(Date.now() + 120_000).out).toEqual([]);
    expect(sink.items.map((i) => i.line)).toEqual([line]);
    expect(counters.partialsResent).toBe(1);
  });

  it('drops a copy of the last piece that came on another connection while its line was being stored, once the line is stored', async () => {
    const s = setup();
    const { conn, transport, sink, normalizer, counters } = s;
    const { release } = await resendWhileStoring(s);
    expect(normalizer.partials.size).toBe(1);
    release();
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'c1' }, { ack: 'c2' }]);
    expect(normalizer.partials.size).toBe(0);
    expect(normalizer.partials.bytes).toBe(0);
    expect(normalizer.expire(Date.now() + 120_000).out).toEqual([]);
    expect(sink.items.map((i) => i.line)).toEqual([line]);
    expect(counters.partialsResent).toBe(1);
  });

  it('when the store of a line fails after a copy of its last piece came on another connection (and was acked), the line is whole again and the next expiry stores it as the event', async () => {
    const s = setup();
    const { conn, transport, sink, normalizer, counters } = s;
    const { release } = await resendWhileStoring(s);
    sink.fail = true;
    release();
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'c1' }]);
    sink.fail = false;
    // Nobody will send the piece again (the copy was acked): the line must not wait 60 s and expire as incomplete.
    const { out, settles, stored } = normalizer.expire(Date.now());
    expect(out).toEqual([{ kind: 'sink', item: expect.objectContaining({ line }) }]);
    expect(settles).toEqual([expect.stringMatching(/\/p1$/)]);
    stored();
    expect(normalizer.partials.size).toBe(0);
    expect(counters.partialsReassembled).toBe(2);
  });

  it('acks the last piece when its line is stored even if the journal failed to keep that piece: the line no longer needs it', async () => {
    const { log, journal, conn, transport, sink } = setup();
    conn.feed(piece(1, 'c1'));
    await conn.drain();
    journal.fail = true;
    conn.feed(piece(2, 'c2'));
    await conn.drain();
    expect(transport.messages()).toEqual([{ ack: 'c1' }, { ack: 'c2' }]);
    expect(sink.items.map((i) => i.line)).toEqual([line]);
    expect(log.slice(2)).toEqual(['record p1#2', 'write 1', 'written', 'settle p1']);
  });
});
