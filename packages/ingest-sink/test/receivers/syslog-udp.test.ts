import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { newCounters } from '../../src/receivers/counters.js';
import { startSyslogServer } from '../../src/receivers/syslog/server.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';
import { makeLine } from './helpers/events.js';
import { RecordingSink } from './helpers/recording-sink.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean) {
  for (let i = 0; i < 1000 && !cond(); i++) await sleep(10);
}

describe('syslog receiver: UDP while the sink is slow', () => {
  it('holds at most maxUdpBufferedBytes of datagrams and 4 sink writes; drops the rest, counted (SERVER_BUSY) and logged; stores what it held', async () => {
    const sink = new RecordingSink();
    let release!: () => void;
    sink.gate = new Promise<void>((r) => (release = r));
    const counters = newCounters();
    const logs: ReceiverLogEntry[] = [];
    const limit = 20_000;
    const srv = await startSyslogServer({ port: 0, maxUdpBufferedBytes: limit }, { sink, counters, log: (e) => logs.push(e) });
    const udp = createSocket('udp4');
    const datagram = (i: number) => Buffer.from(`<14>1 2024-01-01T00:00:00Z host app - - - ${makeLine(i)}`);
    const SENT = 200;
    let sentBytes = 0;
    try {
      // In rounds small enough for the kernel's receive buffer, each one received before the next.
      for (let i = 0; i < SENT; i += 10) {
        for (let j = i; j < i + 10; j++) {
          const d = datagram(j);
          sentBytes += d.length;
          await new Promise<void>((r) => udp.send(d, srv.address.port, '127.0.0.1', () => r()));
        }
        await until(() => counters.bytes === sentBytes);
      }
      expect(counters.bytes).toBe(sentBytes);
      expect(sink.writes).toBeLessThanOrEqual(4);
      const dropped = counters.badFramesByCode.SERVER_BUSY ?? 0;
      const held = SENT - dropped;
      expect(dropped).toBeGreaterThan(0);
      expect(held * datagram(0).length).toBeLessThanOrEqual(limit);
      expect(logs.find((e) => e.code === 'SERVER_BUSY')).toMatchObject({ level: 'warn', limit });
      expect(JSON.stringify(logs)).not.toContain('user-');
      release();
      await until(() => sink.items.length === held);
      expect(sink.items.length).toBe(held);
      expect(counters.toSink).toBe(held);
      expect(counters.badFrames).toBe(dropped);
      // Room again: a datagram sent now is stored.
      await new Promise<void>((r) => udp.send(datagram(SENT), srv.address.port, '127.0.0.1', () => r()));
      await until(() => sink.items.length === held + 1);
      expect(sink.items.length).toBe(held + 1);
    } finally {
      release();
      udp.close();
      await srv.close();
    }
  });

  it('with nothing held, takes a datagram whatever the budget: a maxUdpBufferedBytes under its charge (length + 256) dropped every one (found by a review)', async () => {
    const sink = new RecordingSink();
    const counters = newCounters();
    const srv = await startSyslogServer({ port: 0, maxUdpBufferedBytes: 100 }, { sink, counters, log: () => {} });
    const udp = createSocket('udp4');
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((r) => udp.send(Buffer.from(`<14>1 2024-01-01T00:00:00Z host app - - - ${makeLine(i)}`), srv.address.port, '127.0.0.1', () => r()));
        await until(() => sink.items.length === i + 1);
      }
      expect(sink.items.length).toBe(3);
      expect(counters.badFramesByCode.SERVER_BUSY ?? 0).toBe(0);
    } finally {
      udp.close();
      await srv.close();
    }
  });

  it('counts each held datagram at 256 bytes more than its length: empty and 1-byte datagrams are bounded too (found by a probe: 3.8 million empty ones, 580 MB, none dropped)', async () => {
    const sink = new RecordingSink();
    let release!: () => void;
    sink.gate = new Promise<void>((r) => (release = r));
    const counters = newCounters();
    const limit = 64 * 1024;
    const srv = await startSyslogServer({ port: 0, maxUdpBufferedBytes: limit }, { sink, counters, log: () => {} });
    const udp = createSocket('udp4');
    const send = (d: Buffer) => new Promise<void>((r) => udp.send(d, srv.address.port, '127.0.0.1', () => r()));
    try {
      // Four writes waiting on the sink: what arrives now is held until one completes.
      for (let i = 0; i < 4; i++) {
        await send(Buffer.from(`<14>1 2024-01-01T00:00:00Z host app - - - ${makeLine(i)}`));
        await until(() => sink.writes === i + 1);
      }
      expect(sink.writes).toBe(4);
      const SENT = 1000;
      let sentBytes = counters.bytes;
      for (let i = 0; i < SENT; i += 50) {
        for (let j = i; j < i + 50; j++) await send(Buffer.from('x'));
        sentBytes += 50;
        await until(() => counters.bytes === sentBytes);
      }
      expect(counters.bytes).toBe(sentBytes);
      const dropped = counters.badFramesByCode.SERVER_BUSY ?? 0;
      // 1 000 bytes were well within the limit; 1 000 datagrams are not.
      expect(dropped).toBeGreaterThan(0);
      expect((SENT - dropped) * 257).toBeLessThanOrEqual(limit);
      release();
      await until(() => counters.events === 4 + SENT - dropped);
      expect(counters.events).toBe(4 + SENT - dropped);
    } finally {
      release();
      udp.close();
      await srv.close();
    }
  });
});
