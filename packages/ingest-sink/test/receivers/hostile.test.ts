import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aggregator } from '../../src/receivers/aggregator.js';
import type { Sink } from '../../src/index.js';
import { hostileFrames } from './corpus/hostile-frames.js';
import { makeLine } from './helpers/events.js';
import { fakeConnection } from './helpers/fake-connection.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { RawClient } from './helpers/raw-client.js';
import { aggregatorOnSqlite, readRejects } from './helpers/real-sink.js';

describe('hostile input corpus into the real sink', () => {
  let sink: Sink;
  let file: string;
  let agg: Aggregator;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ agg, sink, file, stop } = await aggregatorOnSqlite({ forward: { port: 0, limits: { maxRequestBytes: 8 << 20 } } }));
  });
  afterAll(() => stop());

  for (const frame of hostileFrames()) {
    it(`${frame.name}: ${'code' in frame.expect ? frame.expect.code : frame.expect.outcome}`, async () => {
      const { conn, counters, transport, logs } = fakeConnection(sink);
      conn.feed(frame.bytes);
      await conn.drain();
      conn.close();
      await conn.drain();
      if ('code' in frame.expect) {
        expect(counters.badFramesByCode).toEqual({ [frame.expect.code]: 1 });
        expect(transport.out).toHaveLength(0); // no ack
        expect(logs.some((l) => l.code === (frame.expect as { code: string }).code)).toBe(true);
        expect(counters.toSink).toBe(0);
      } else {
        expect(counters.badFrames).toBe(0);
        const o = frame.expect.outcome;
        const got =
          o === 'heartbeat' ? counters.heartbeats
          : o === 'ignored' ? counters.ignoredValues
          : o === 'non_audit' ? counters.nonAudit
          : o === 'stored' ? counters.accepted
          : counters.rejected;
        expect(got).toBe(1);
      }
    });
  }

  it('keeps the raw payload and a reason for rejected hostile lines, escaped on one line', async () => {
    await sink.flush();
    const rejects = readRejects(file);
    const sql = rejects.find((r) => r.raw_payload.includes('DROP TABLE'));
    expect(sql).toBeDefined();
    expect(sql!.reason).toContain('user_id');
    // The Docker-event-shaped lines its mapper could not handle: the line as it arrived, and why.
    const docker = rejects.find((r) => r.raw_payload.includes('"timeNano":1e+300'));
    expect(docker?.reason).toBe('CONTAINER_EVENT_INVALID: Docker event timeNano 1e+300 is not a time');
    expect(JSON.parse(docker!.raw_payload)).toMatchObject({ Type: 'container', Action: 'start', Actor: { ID: 'ab'.repeat(6) } });
    expect(rejects.find((r) => r.raw_payload.includes('"time":"yesterday"'))?.reason).toBe('CONTAINER_EVENT_INVALID: Docker event time "yesterday" is not a time');
    const numeric = rejects.find((r) => r.raw_payload.includes('"ID":123456789012'));
    expect(numeric?.reason).toBe('CONTAINER_EVENT_INVALID: the container id (Actor.ID) is a number, not a string');
    expect(JSON.parse(numeric!.raw_payload)).toMatchObject({ Type: 'container', Action: 'start' });
  });

  it('survives the whole corpus over real sockets and still acks a good request afterwards', async () => {
    const before = agg.counters.forward.badFrames;
    for (const frame of hostileFrames()) {
      const c = await RawClient.open(agg.forward.port);
      c.socket.write(frame.bytes);
      c.socket.end();
      await c.waitClosed();
    }
    const codes = hostileFrames().filter((f) => 'code' in f.expect).length;
    for (let i = 0; i < 200 && agg.counters.forward.badFrames - before < codes; i++) await new Promise((r) => setTimeout(r, 10));
    expect(agg.counters.forward.badFrames - before).toBe(codes);
    const good = await RawClient.open(agg.forward.port);
    good.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(1)), 'still-alive'));
    expect((await good.waitFor(17)).subarray(5).toString()).toContain('still-alive');
    good.socket.end();
  });
});
