import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/receivers/aggregator.js';
import type { Sink } from '../../src/index.js';
import { makeLine } from './helpers/events.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { RawClient } from './helpers/raw-client.js';
import { aggregatorOnSqlite, readEvents } from './helpers/real-sink.js';

describe('forward server: connection limits, idle timeout, keepalive, graceful close', () => {
  let sink: Sink;
  let agg: Aggregator;
  let stop: () => Promise<void>;
  let file: string;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    ({ agg, sink, stop, file } = await aggregatorOnSqlite({ forward: { port: 0, limits: { maxConnections: 2, idleTimeoutMs: 300 } }, log: (e) => logs.push(e) }));
  });
  afterAll(() => stop());

  it('keeps a connection open across several acked requests (keepalive), then closes it when idle', async () => {
    const c = await RawClient.open(agg.forward.port);
    c.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(1)), 'k1'));
    await c.waitFor(7);
    c.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(2)), 'k2'));
    await c.waitFor(14);
    expect(c.received.toString('latin1')).toContain('k2');
    await c.waitClosed();
    expect(logs.some((l) => l.msg === 'closing idle forward connection')).toBe(true);
  });

  it('stores what a sender that never reads writes after the idle FIN (the Docker driver without fluentd-request-ack; found by a probe)', async () => {
    const before = agg.counters.forward.accepted;
    // Like fluent-logger-golang without RequestAck: it never reads, so it does not see our FIN and goes on writing.
    const socket = connect({ port: agg.forward.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    const finned = new Promise<void>((r) => socket.once('end', () => r()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(dockerMessage('t', 1, dockerRecord(makeLine(10))));
    await finned; // the connection went idle and the server sent its FIN
    socket.write(dockerMessage('t', 1, dockerRecord(makeLine(11))));
    socket.end(dockerMessage('t', 1, dockerRecord(makeLine(12))));
    await closed;
    for (let i = 0; i < 500 && agg.counters.forward.accepted < before + 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(agg.counters.forward.accepted - before).toBe(3);
    await sink.flush();
    const users = readEvents(file).map((e) => JSON.parse(e.event_json).user_id);
    expect(users).toEqual(expect.arrayContaining(['user-10', 'user-11', 'user-12']));
  });

  it('closes a connection stalled in the middle of a request after the idle FIN as before it, releasing its bytes (found by a review: held until the peer closed)', async () => {
    const truncated = agg.counters.forward.badFramesByCode.REQUEST_TRUNCATED ?? 0;
    const active = agg.counters.forward.activeConnections;
    const socket = connect({ port: agg.forward.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    const finned = new Promise<void>((r) => socket.once('end', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await finned; // the connection went idle and the server sent its FIN
    const request = dockerMessage('t', 1, dockerRecord(makeLine(13)));
    socket.write(request.subarray(0, request.length - 5)); // then the sender stalls
    const done = () => (agg.counters.forward.badFramesByCode.REQUEST_TRUNCATED ?? 0) > truncated && agg.counters.forward.activeConnections === active;
    for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(agg.counters.forward.badFramesByCode.REQUEST_TRUNCATED ?? 0).toBe(truncated + 1);
    expect(agg.counters.forward.activeConnections).toBe(active);
    socket.destroy();
  });

  it('refuses connections beyond maxConnections, counted and logged', async () => {
    const a = await RawClient.open(agg.forward.port);
    const b = await RawClient.open(agg.forward.port);
    const c = await RawClient.open(agg.forward.port);
    await c.waitClosed();
    expect(agg.counters.forward.refusedConnections).toBe(1);
    expect(logs.some((l) => l.code === 'TOO_MANY_CONNECTIONS')).toBe(true);
    a.socket.destroy();
    b.socket.destroy();
  });

  it('on close() finishes and acks a request already received', async () => {
    const own = await startAggregator({ sink, forward: { port: 0 } });
    const c = await RawClient.open(own.forward.port);
    c.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(3)), 'last'));
    for (let i = 0; i < 200 && own.counters.forward.requests === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await own.close();
    expect((await c.waitFor(9)).toString('latin1')).toContain('last');
    expect(own.counters.forward.acks).toBe(1);
  });

  it('on close() goes on reading a sender that never asks for acks up to its FIN, and stores what it wrote (found by a probe)', async () => {
    const own = await startAggregator({ sink, forward: { port: 0 } });
    const socket = connect({ port: own.forward.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    const finned = new Promise<void>((r) => socket.once('end', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(dockerMessage('t', 1, dockerRecord(makeLine(20))));
    for (let i = 0; i < 500 && own.counters.forward.accepted < 1; i++) await new Promise((r) => setTimeout(r, 10));
    const closing = own.close();
    await finned; // close() has begun: our FIN, which a sender like the Docker driver never reads
    socket.end(dockerMessage('t', 1, dockerRecord(makeLine(21))));
    await closing;
    expect(own.counters.forward.accepted).toBe(2);
    expect(own.counters.forward.badFrames).toBe(0);
    await sink.flush();
    expect(readEvents(file).map((e) => JSON.parse(e.event_json).user_id)).toEqual(expect.arrayContaining(['user-20', 'user-21']));
  });

  it('with keepalive off, closes each connection after its request is acked', async () => {
    const own = await startAggregator({ sink, forward: { port: 0, keepalive: false } });
    const c = await RawClient.open(own.forward.port);
    c.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(4)), 'once'));
    await c.waitClosed();
    expect(c.received.toString('latin1')).toContain('once');
    await own.close();
  });

  it('refuses to start when the UDP heartbeat port is taken (explicit port), saying it is UDP, and leaves the TCP port free', async () => {
    const { createSocket } = await import('node:dgram');
    const { freePort } = await import('../helpers/ports.js');
    const port = await freePort();
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(port, '127.0.0.1', () => r()));
    // Said to be the UDP port: the message of Node's bind names no protocol (found by a probe).
    await expect(startAggregator({ sink, forward: { port } })).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringMatching(new RegExp(`^forward receiver: cannot bind UDP \\S+:${port}, the TCP port's number, which the receiver also takes: bind EADDRINUSE`)) });
    holder.close();
    const retry = await startAggregator({ sink, forward: { port } });
    expect(retry.forward.port).toBe(port);
    await retry.close();
  });

  it('names the listener whose port is taken: the syslog receiver or the health endpoint, where "listen EADDRINUSE" alone said neither (found by a probe)', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(startAggregator({ sink, forward: { port: 0 }, health: { host: '127.0.0.1', port } })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        message: expect.stringMatching(new RegExp(`^health endpoint: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${port}$`)),
      });
      await expect(startAggregator({ sink, forward: { port: 0 }, syslog: { host: '127.0.0.1', port } })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        message: expect.stringMatching(/^syslog receiver: listen EADDRINUSE/),
      });
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });
});

describe('forward server: a connection that must log in gets handshakeTimeoutMs (found by a probe)', () => {
  it('closes one that trickles its PING byte by byte, counted as HANDSHAKE_TIMEOUT, while its bytes kept the idle timer at bay', async () => {
    const logs: Record<string, unknown>[] = [];
    const { agg, stop } = await aggregatorOnSqlite({
      forward: { port: 0, security: { selfHostname: 'aggregator', sharedKeys: ['key-0123456789abcdef'] }, limits: { handshakeTimeoutMs: 300, idleTimeoutMs: 60_000 } },
      log: (e) => logs.push(e),
    });
    try {
      const c = await RawClient.open(agg.forward.port);
      // The start of a PING (fixarray 6, "PING"), one byte every 50 ms.
      const ping = Buffer.from([0x96, 0xa4, 0x50, 0x49, 0x4e, 0x47, 0xa8]);
      let i = 0;
      const drip = setInterval(() => {
        if (!c.socket.destroyed && i < ping.length) c.socket.write(ping.subarray(i, ++i));
      }, 50);
      try {
        await c.waitClosed();
      } finally {
        clearInterval(drip);
      }
      expect(agg.counters.forward.badFramesByCode.HANDSHAKE_TIMEOUT).toBe(1);
      expect(logs.find((l) => l.code === 'HANDSHAKE_TIMEOUT')).toMatchObject({ level: 'warn', limitMs: 300 });
    } finally {
      await stop();
    }
  });
});
