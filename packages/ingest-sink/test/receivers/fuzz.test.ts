import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aggregator } from '../../src/receivers/aggregator.js';
import { newCounters, type ReceiverCounters } from '../../src/receivers/counters.js';
import type { EventSink, SinkItem } from '../../src/receivers/types.js';
import { makeLine } from './helpers/events.js';
import { fakeConnection } from './helpers/fake-connection.js';
import { dockerMessage, dockerRecord, entry, ext8Time, fixext8Time, fluentBitCompressed, fluentBitForward, fluentdPackedForward } from './helpers/frames.js';
import { mutate, prng } from './helpers/fuzz.js';
import { RawClient } from './helpers/raw-client.js';
import { aggregatorOnSqlite } from './helpers/real-sink.js';

/** Valid frames of every mode and sender shape: the seeds of the mutations. */
function seeds(): Buffer[] {
  const line = makeLine(1);
  const e = (i: number) => entry(i % 2 ? fixext8Time(1700000000, i) : ext8Time(1700000000, i), { log: line, container_id: 'c'.repeat(64), partial_message: i === 3 ? 'true' : undefined, partial_id: 'p', partial_ordinal: '1', partial_last: 'false' });
  return [
    dockerMessage('swarm.audit.n.s.t', 1700000000, dockerRecord(line), 'chunk-a'),
    dockerMessage('t', 1700000000, dockerRecord('not audit')),
    fluentdPackedForward('t', [e(0), e(1)], 'c\n'),
    fluentdPackedForward('t', [e(2)], 'z\n', true),
    fluentBitForward('k', [e(1), e(3)], 'fb', 0),
    fluentBitCompressed('k', [e(0), e(1), e(2)], 'fbz', 2),
    Buffer.from([0xc0]),
  ];
}

/** A sink that only counts (the fuzz exercises decoding, not storage); every 97th write fails. */
class CountingSink implements EventSink {
  items = 0;
  writes = 0;
  async write(items: SinkItem[]) {
    if (++this.writes % 97 === 0) throw new Error('injected sink failure');
    this.items += items.length;
    return { accepted: items.length, rejected: 0 };
  }
}

/** Every event that decoded ends in exactly one bucket (partials add the lines they release). */
function accounted(c: ReceiverCounters): boolean {
  return c.toSink + c.nonAudit + c.nonLogSignals + c.partialsBuffered === c.events + c.partialsRestored + c.partialsReassembled + c.partialsExpired;
}

describe('fuzz: mutated forward frames', () => {
  it('decodes 100 000 seeded mutations in-process without crashing, accounting for every frame', async () => {
    const rand = prng(0x5eed);
    const base = seeds();
    const sink = new CountingSink();
    const total = newCounters();
    const budget = { used: 0 };
    let frames = 0;
    for (let i = 0; i < 100_000; i++) {
      const frame = mutate(base[i % base.length]!, rand, base[(i * 7) % base.length]!);
      const { conn, counters, normalizer } = fakeConnection(sink, { budget, limits: { maxRequestBytes: 1 << 20, maxDecompressedBytes: 1 << 20, maxEntries: 1000 } });
      // Split some frames at a random point: partial TCP reads.
      if (i % 3 === 0 && frame.length > 1) {
        const at = 1 + Math.floor(rand() * (frame.length - 1));
        conn.feed(frame.subarray(0, at));
        conn.feed(frame.subarray(at));
      } else conn.feed(frame);
      await conn.drain();
      conn.close();
      await conn.drain();
      frames++;
      // Each frame produced at least one outcome: a request, heartbeat, ignored value, or a bad frame.
      const outcomes = counters.requests + counters.heartbeats + counters.ignoredValues + counters.badFrames;
      if ((frame.length > 0 && outcomes < 1) || budget.used !== 0 || !accounted(counters) || normalizer.partials.size > 100) {
        throw new Error(`frame ${i} unaccounted: ${frame.toString('hex').slice(0, 200)} ${JSON.stringify(counters)}`);
      }
      for (const [k, v] of Object.entries(counters)) if (typeof v === 'number') { const t = total as unknown as Record<string, number>; t[k] = (t[k] ?? 0) + v; }
    }
    expect(frames).toBe(100_000);
    expect(total.badFrames).toBeGreaterThan(10_000);
    expect(total.requests).toBeGreaterThan(10_000);
    expect(total.sinkFailures).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  }, 300_000);

  describe('over real sockets into the real sink', () => {
    let agg: Aggregator;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ agg, stop } = await aggregatorOnSqlite({ forward: { port: 0, limits: { maxRequestBytes: 1 << 20, maxDecompressedBytes: 1 << 20 } } }));
    });
    afterAll(() => stop());

    it('stays up through 2 000 mutated frames on 2 000 connections, with bounded memory, then serves a good client', async () => {
      const rand = prng(42);
      const base = seeds();
      const rssBefore = process.memoryUsage().rss;
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, async (_, j) => {
            const i = batch * 100 + j;
            const c = await RawClient.open(agg.forward.port);
            c.socket.end(mutate(base[i % base.length]!, rand, base[(i * 3) % base.length]!));
            await c.waitClosed();
          }),
        );
      }
      const c = agg.counters.forward;
      for (let i = 0; i < 300 && c.activeConnections > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(c.connections).toBe(2000);
      expect(c.activeConnections).toBe(0);
      expect(c.badFrames).toBeGreaterThan(100);
      expect(accounted(c)).toBe(true);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
      const good = await RawClient.open(agg.forward.port);
      good.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(5)), 'after-fuzz'));
      expect((await good.waitFor(16)).toString('latin1')).toContain('after-fuzz');
      good.socket.end();
    }, 120_000);
  });
});
