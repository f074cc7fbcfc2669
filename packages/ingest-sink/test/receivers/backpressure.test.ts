import { decodeMulti } from '@msgpack/msgpack';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startAggregator } from '../../src/index.js';
import { makeLine } from './helpers/events.js';
import { dockerRecord, entry, fixext8Time, fluentdPackedForward } from './helpers/frames.js';
import { RawClient } from './helpers/raw-client.js';
import { readEvents, sqliteSink, tempDir } from './helpers/real-sink.js';

const acksIn = (bytes: Buffer) => [...decodeMulti(bytes)].length;

describe('backpressure from a database that falls behind (real SQLite sink, real socket)', () => {
  it('holds acks and stops reading while the sink queue is full, spills nothing, and acks everything once the database catches up', async () => {
    const tmp = tempDir();
    // A queue budget of ~20 KB: about 28 of these events.
    const { sink, file } = await sqliteSink(tmp.dir, { spool: { memoryBytes: 20_000 }, batch: { maxRows: 20 } });
    const agg = await startAggregator({ sink, forward: { port: 0 } });
    // Another connection holds the write lock: the sink's transaction waits (busy timeout), it does not fail.
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    const c = await RawClient.open(agg.forward.port);
    try {
      for (let r = 0; r < 10; r++) {
        const entries = Array.from({ length: 20 }, (_, i) => entry(fixext8Time(1_700_000_000), dockerRecord(makeLine(r * 20 + i))));
        c.socket.write(fluentdPackedForward('swarm.audit.n1.api.t1', entries, `chunk-${r}\n`));
      }
      await new Promise((res) => setTimeout(res, 400));
      // The queue admits ~28 events while nothing commits; later requests wait
      // in write() unacked, and with limits.maxInflightRequests (2) of them
      // waiting the connection is no longer read.
      expect(agg.counters.forward.requests).toBeGreaterThanOrEqual(2);
      expect(acksIn(c.received)).toBeLessThanOrEqual(2);
      const held = sink.stats();
      expect(held.committed).toBe(0);
      expect(held.readBack).toBe(0);
      expect(held.spooledEvents).toBeLessThanOrEqual(40);

      blocker.exec('COMMIT');
      for (let i = 0; i < 500 && acksIn(c.received) < 10; i++) await new Promise((res) => setTimeout(res, 10));
      expect([...decodeMulti(c.received)]).toEqual(Array.from({ length: 10 }, (_, r) => ({ ack: `chunk-${r}\n` })));
      await sink.flush();
      expect(readEvents(file)).toHaveLength(200);
      // Waiting, not spilling: no record was read back from the spool files.
      expect(sink.stats()).toMatchObject({ committed: 200, readBack: 0, spooledEvents: 0 });
    } finally {
      blocker.close();
      c.socket.end();
      await agg.close();
      await sink.close();
      tmp.remove();
    }
  });
});
