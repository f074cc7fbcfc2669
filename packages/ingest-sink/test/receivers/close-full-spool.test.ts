import { connect } from 'node:net';
import { FluentClient } from '@fluent-org/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/receivers/aggregator.js';
import { decodePayload } from '../../src/spool/record.js';
import { Spool } from '../../src/spool/spool.js';
import { freePort } from '../helpers/ports.js';
import { makeEvent } from './helpers/events.js';
import { tempDir } from './helpers/real-sink.js';

/**
 * The database refuses every connection and the spool is full: requests
 * wait inside sink.write() for room that only a commit frees. close() used
 * to wait for them without a bound, so SIGTERM never ended `serve` (found
 * by a probe). Now the receivers wait up to their closeTimeoutMs, the sink
 * closes (waking the waiting writes with SINK_CLOSED), and nothing a
 * receiver acknowledged is lost: it is in the spool for the next start.
 */
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function fullSpoolAggregator(): Promise<{ agg: Aggregator; dir: string }> {
  const tmp = tempDir('at-close-full-');
  closers.push(() => tmp.remove());
  // Nothing listens there: connection refused, an outage from the start.
  const url = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
  const agg = await startAggregator({
    sink: url,
    sinkOptions: { spool: { dir: tmp.dir, maxBytes: 256 * 1024 }, retry: { initialDelayMs: 50, maxDelayMs: 200 } },
    forward: { host: '127.0.0.1', port: 0, limits: { closeTimeoutMs: 1000 } },
    syslog: { host: '127.0.0.1', port: 0, closeTimeoutMs: 1000 },
    partials: { journal: false },
  });
  return { agg, dir: tmp.dir };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** close() within `ms`, or the text saying it did not. */
async function closesWithin(agg: Aggregator, ms: number): Promise<string> {
  return Promise.race([agg.close().then(() => 'closed'), new Promise<string>((r) => setTimeout(() => r(`close() still pending after ${ms} ms`), ms).unref())]);
}

async function spooledIds(dir: string): Promise<Set<string>> {
  const { spool, replayed } = await Spool.open({ dir });
  await spool.close(false);
  return new Set(replayed.map((r) => (JSON.parse(decodePayload(r.payload).line) as { event_id: string }).event_id));
}

describe('close() with the database down and the spool full', () => {
  it('forward: requests waiting for spool room are closed unacked after closeTimeoutMs; every acked event is in the spool', async () => {
    const { agg, dir } = await fullSpoolAggregator();
    const client = new FluentClient('swarm.audit', { ack: { ackTimeout: 60_000 }, socket: { host: '127.0.0.1', port: agg.forward.port, disableReconnect: true } });
    closers.push(() => client.disconnect().catch(() => undefined));
    await client.connect();
    const acked: string[] = [];
    const sink = agg.sink as { stats(): { spooledBytes: number } };
    // Requests of 50 events (~30 KiB): the first write into an empty spool always fits, later ones wait for room.
    for (let round = 0; round < 24; round++) {
      for (let i = 0; i < 50; i++) {
        const e = makeEvent(round * 50 + i);
        void client.emit('a', e as unknown as Record<string, unknown>).then(() => acked.push(e.event_id as string), () => undefined);
      }
      await new Promise((r) => setTimeout(r, 60));
    }
    await until(() => sink.stats().spooledBytes > 200 * 1024, 'the spool to fill');
    // Give the requests behind it time to reach sink.write() and wait there.
    await new Promise((r) => setTimeout(r, 500));
    expect(acked.length).toBeGreaterThan(0);
    expect(acked.length).toBeLessThan(1200);
    expect(await closesWithin(agg, 15_000)).toBe('closed');
    const spooled = await spooledIds(dir);
    for (const id of acked) expect(spooled.has(id), id).toBe(true);
  }, 30_000);

  it('syslog: close() returns after closeTimeoutMs although a write still waits for room', async () => {
    const { agg } = await fullSpoolAggregator();
    const s = connect(agg.syslog!.port, '127.0.0.1');
    closers.push(() => void s.destroy());
    await new Promise((r) => s.once('connect', r));
    const sink = agg.sink as { stats(): { spooledBytes: number } };
    for (let round = 0; round < 12; round++) {
      s.write(Array.from({ length: 100 }, (_, i) => `<134>1 - h app - - - ${JSON.stringify(makeEvent(round * 100 + i))}\n`).join(''));
      await new Promise((r) => setTimeout(r, 60));
    }
    await until(() => sink.stats().spooledBytes > 200 * 1024, 'the spool to fill');
    await new Promise((r) => setTimeout(r, 500));
    s.destroy();
    expect(await closesWithin(agg, 15_000)).toBe('closed');
  }, 30_000);
});
