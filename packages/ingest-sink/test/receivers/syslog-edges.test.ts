import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCounters, type ReceiverCounters } from '../../src/receivers/counters.js';
import { startSyslogServer, type SyslogServer } from '../../src/receivers/syslog/server.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';
import { makeEvent } from './helpers/events.js';
import { RawClient } from './helpers/raw-client.js';
import { aggregatorOnSqlite, readRejects } from './helpers/real-sink.js';
import { RecordingSink } from './helpers/recording-sink.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean) {
  for (let i = 0; i < 1000 && !cond(); i++) await sleep(10);
}

describe('syslog receiver: refusals and socket errors are logged', () => {
  let srv: SyslogServer;
  let counters: ReceiverCounters;
  let sink: RecordingSink;
  const logs: ReceiverLogEntry[] = [];
  beforeAll(async () => {
    counters = newCounters();
    sink = new RecordingSink();
    srv = await startSyslogServer({ port: 0, maxConnections: 1, maxFrameBytes: 1000 }, { sink, counters, log: (e) => logs.push(e) });
  });
  afterAll(() => srv.close());

  it('logs a connection refused over maxConnections (TOO_MANY_CONNECTIONS)', async () => {
    const a = await RawClient.open(srv.address.port);
    const b = await RawClient.open(srv.address.port);
    await b.waitClosed();
    expect(counters.refusedConnections).toBe(1);
    expect(logs.find((e) => e.code === 'TOO_MANY_CONNECTIONS')).toMatchObject({ level: 'warn', limit: 1 });
    a.socket.end();
    await a.waitClosed();
    await until(() => counters.activeConnections === 0);
  });

  it('logs an oversized UDP datagram (FRAME_TOO_LARGE) without its bytes', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(Buffer.alloc(2000, 0x41), srv.address.port, '127.0.0.1', () => r()));
    udp.close();
    await until(() => logs.some((e) => e.code === 'FRAME_TOO_LARGE'));
    expect(counters.badFramesByCode.FRAME_TOO_LARGE).toBe(1);
    expect(logs.find((e) => e.code === 'FRAME_TOO_LARGE')).toMatchObject({ level: 'warn', bytes: 2000, limit: 1000 });
    expect(JSON.stringify(logs)).not.toContain('AAAA');
  });

  it('logs a connection reset, and counts the message it cut short (REQUEST_TRUNCATED)', async () => {
    const c = await RawClient.open(srv.address.port);
    const partial = '<14>1 - host app - - - {"half":';
    const before = counters.bytes;
    c.socket.write(partial);
    await until(() => counters.bytes === before + partial.length);
    c.socket.resetAndDestroy();
    await until(() => logs.some((e) => e.msg === 'syslog connection error'));
    expect(logs.find((e) => e.msg === 'syslog connection error')).toMatchObject({ level: 'warn', error: 'ECONNRESET', code: 'REQUEST_TRUNCATED', partialBytes: partial.length });
    expect(counters.badFramesByCode.REQUEST_TRUNCATED).toBe(1);
    await until(() => counters.activeConnections === 0);
  });

  it('counts the head of an octet-counted frame over the limit that a reset cut under FRAME_TOO_LARGE, the code its reject is stored with (it was counted REQUEST_TRUNCATED)', async () => {
    const c = await RawClient.open(srv.address.port);
    // Its head holds an audit line's start, so it is kept as a reject.
    const head = '5000 <14>1 - host app - - - {"log_type":"security_audit","huge":"';
    const before = { bytes: counters.bytes, items: sink.items.length, truncated: counters.badFramesByCode.REQUEST_TRUNCATED ?? 0 };
    c.socket.write(head);
    await until(() => counters.bytes === before.bytes + head.length);
    c.socket.resetAndDestroy();
    await until(() => sink.items.length > before.items);
    expect(sink.items.slice(before.items)).toEqual([expect.objectContaining({ line: head.slice('5000 '.length), reject: expect.stringContaining('FRAME_TOO_LARGE') })]);
    expect(logs.filter((e) => e.msg === 'syslog connection error').at(-1)).toMatchObject({ code: 'FRAME_TOO_LARGE', partialBytes: head.length - '5000 '.length });
    expect(counters.badFramesByCode.FRAME_TOO_LARGE).toBe(2); // the datagram's above, and this one
    expect(counters.badFramesByCode.REQUEST_TRUNCATED ?? 0).toBe(before.truncated);
    await until(() => counters.activeConnections === 0);
  });
});

describe('syslog receiver: invalid UTF-8', () => {
  it('counts a message with invalid UTF-8 in invalidUtf8 (a U+FFFD sent as such is not counted)', async () => {
    const counters = newCounters();
    const sink = new RecordingSink();
    const srv = await startSyslogServer({ port: 0 }, { sink, counters, log: () => {} });
    const line = (userId: string) => JSON.stringify({ ...makeEvent(3), user_id: userId });
    const bad = Buffer.from(`<14>1 - host app - - - ${line('user-@@')}\n`);
    bad.fill(0xff, bad.indexOf('@@'), bad.indexOf('@@') + 2);
    const genuine = Buffer.from(`<14>1 - host app - - - ${line('user-\uFFFD')}\n`);
    const c = await RawClient.open(srv.address.port);
    c.socket.end(Buffer.concat([bad, genuine]));
    await until(() => counters.toSink === 2);
    expect(counters.toSink).toBe(2);
    expect(counters.invalidUtf8).toBe(1);
    expect(sink.items.filter((i) => i.line.includes('user-\uFFFD\uFFFD'))).toHaveLength(1);
    await srv.close();
  });
});

describe('syslog receiver: idle connections and floods of invalid frames (found by a probe)', () => {
  it('closes a TCP connection idle for idleTimeoutMs, keeping the frame it left unfinished as a reject', async () => {
    const counters = newCounters();
    const sink = new RecordingSink();
    const logs: ReceiverLogEntry[] = [];
    const srv = await startSyslogServer({ port: 0, idleTimeoutMs: 200 }, { sink, counters, log: (e) => logs.push(e) });
    try {
      const line = JSON.stringify(makeEvent(9));
      const c = await RawClient.open(srv.address.port);
      // An octet count announcing more than is sent: the frame stays open.
      c.socket.write(`900 <134>1 2024-05-01T10:00:00Z host app - - - ${line}`);
      await c.waitClosed();
      expect(logs.find((e) => e.msg === 'closing idle syslog connection')).toMatchObject({ level: 'info', idleMs: 200 });
      await until(() => sink.items.length > 0);
      expect(sink.items).toHaveLength(1);
      expect(sink.items[0]!.reject).toBeDefined();
      expect(sink.items[0]!.line).toContain(line);
    } finally {
      await srv.close();
    }
  });

  it('logs invalid TCP frames at most once per 10 s, with how many were not logged, while counting every one', async () => {
    const counters = newCounters();
    const logs: ReceiverLogEntry[] = [];
    const srv = await startSyslogServer({ port: 0 }, { sink: new RecordingSink(), counters, log: (e) => logs.push(e) });
    const c = await RawClient.open(srv.address.port);
    c.socket.write('x\n'.repeat(500));
    await until(() => (counters.badFramesByCode.SYSLOG_INVALID ?? 0) >= 500);
    expect(counters.badFramesByCode.SYSLOG_INVALID).toBe(500);
    c.socket.end();
    await c.waitClosed();
    await srv.close();
    const lines = logs.filter((e) => e.msg === 'dropping invalid syslog message');
    // The first one, then the count of the rest at close.
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ notLogged: 499 });
  });
});

describe('syslog receiver: the APP-NAME as source_tag', () => {
  it('removes control characters from the APP-NAME before it becomes the source_tag column (found by a review)', async () => {
    const sink = new RecordingSink();
    const srv = await startSyslogServer({ port: 0 }, { sink, counters: newCounters(), log: () => undefined });
    try {
      const c = await RawClient.open(srv.address.port);
      c.socket.write(`<134>1 2024-05-01T10:00:00Z host ap\u001b[31mp - - - ${JSON.stringify(makeEvent(11))}\n`);
      await until(() => sink.items.length > 0);
      expect(sink.items[0]!.meta).toMatchObject({ source_tag: 'ap[31mp' });
      c.socket.end();
      await c.waitClosed();
    } finally {
      await srv.close();
    }
  });
});

describe('syslog receiver: every frame in one bucket (found by a probe)', () => {
  it('counts frames refused as not syslog or over the size limit in events, and in toSink or nonAudit, as the forward receiver counts records', async () => {
    const { agg, stop } = await aggregatorOnSqlite({ forward: { port: 0 }, syslog: { port: 0, maxFrameBytes: 1000 } });
    let stopped = false;
    try {
      const line = (i: number) => JSON.stringify(makeEvent(i));
      const big = `<14>1 - host app - - - {"log_type":"security_audit","pad":"${'a'.repeat(1200)}"}`;
      const bigPlain = `<14>1 - host app - - - ${'b'.repeat(1200)}`;
      const tcp = [
        `<14>1 - host app - - - ${line(1)}\n`, // stored
        `<14>1 - host app - - - plain text\n`, // non-audit
        `x\n`, // not syslog, nothing to keep
        `${line(2)}\n`, // not syslog, a bare audit line: stored
        `<999>${line(3)}\n`, // not syslog, holds an audit line: a reject
        `${big}\n`, // over the limit, holds an audit line: its head is a reject
        `${Buffer.byteLength(bigPlain)} ${bigPlain}`, // over the limit (octet-counted), nothing to keep
      ].join('');
      const c = await RawClient.open(agg.syslog!.port);
      c.socket.end(tcp);
      await c.waitClosed();
      const udp = createSocket('udp4');
      await new Promise<void>((r) => udp.send(Buffer.alloc(2000, 0x41), agg.syslog!.port, '127.0.0.1', () => r()));
      udp.close();
      await until(() => agg.counters.syslog.bytes === Buffer.byteLength(tcp) + 2000);
      // Counters are final once the aggregator has closed (every write settled).
      await stop();
      stopped = true;
      const s = agg.counters.syslog;
      expect({ events: s.events, toSink: s.toSink, nonAudit: s.nonAudit, accepted: s.accepted, rejected: s.rejected }).toEqual({ events: 8, toSink: 4, nonAudit: 4, accepted: 2, rejected: 2 });
      expect(s.toSink + s.nonAudit + s.nonLogSignals + s.partialsBuffered).toBe(s.events);
      expect(s.badFramesByCode).toEqual({ SYSLOG_INVALID: 3, FRAME_TOO_LARGE: 3 });
    } finally {
      if (!stopped) await stop();
    }
  });
});

describe('syslog receiver: an octet-counted frame the sender\'s close cuts short (found by a probe)', () => {
  it('keeps what came as a REQUEST_TRUNCATED reject without its count, not as a frame that does not start with <PRI>', async () => {
    const { agg, file, stop } = await aggregatorOnSqlite({ forward: { port: 0 }, syslog: { port: 0 } });
    try {
      const msg = `<14>1 - host app - - - ${JSON.stringify(makeEvent(5))}`;
      const cut = Buffer.from(`${Buffer.byteLength(msg)} ${msg}`).subarray(0, 120);
      const c = await RawClient.open(agg.syslog!.port);
      c.socket.end(cut);
      await c.waitClosed();
      await until(() => agg.counters.syslog.bytes === cut.length);
      await agg.close(); // every write settled, the sink flushed
      const kept = Buffer.from(msg).subarray(0, 120 - `${Buffer.byteLength(msg)} `.length).toString();
      expect(readRejects(file).map((r) => [r.reason, r.raw_payload])).toEqual([[`REQUEST_TRUNCATED: octet-counted frame of ${Buffer.byteLength(msg)} bytes ended after ${kept.length} with the stream; its first ${kept.length} bytes are kept`, kept]]);
      expect(agg.counters.syslog.badFramesByCode).toEqual({ REQUEST_TRUNCATED: 1 });
    } finally {
      await stop();
    }
  });
});

describe('syslog receiver: a frame a connection reset cuts short (found by a probe)', () => {
  it('keeps what came of it as a REQUEST_TRUNCATED reject, as a FIN\'s cut frame is, and counts it once', async () => {
    const { agg, file, stop } = await aggregatorOnSqlite({ forward: { port: 0 }, syslog: { port: 0 } });
    try {
      // A whole audit line whose LF never came, then one octet-counted frame cut in its middle.
      const line = `<14>1 - host app - - - ${JSON.stringify(makeEvent(7))}`;
      const msg = `<14>1 - host app - - - ${JSON.stringify(makeEvent(8))}`;
      const framed = Buffer.from(`${Buffer.byteLength(msg)} ${msg}`).subarray(0, 150);
      for (const bytes of [Buffer.from(line), framed]) {
        const c = await RawClient.open(agg.syslog!.port);
        const before = agg.counters.syslog.bytes;
        c.socket.write(bytes);
        await until(() => agg.counters.syslog.bytes === before + bytes.length);
        c.socket.resetAndDestroy();
        await c.waitClosed();
      }
      await until(() => agg.counters.syslog.activeConnections === 0);
      await agg.close(); // every write settled, the sink flushed
      const keptOfFramed = msg.slice(0, 150 - `${Buffer.byteLength(msg)} `.length);
      expect(readRejects(file).map((r) => [r.reason, r.raw_payload])).toEqual([
        [`REQUEST_TRUNCATED: connection reset after ${Buffer.byteLength(line)} bytes of a line, before its LF; its first ${Buffer.byteLength(line)} bytes are kept`, line],
        [`REQUEST_TRUNCATED: octet-counted frame of ${Buffer.byteLength(msg)} bytes ended after ${keptOfFramed.length} with the stream; its first ${keptOfFramed.length} bytes are kept`, keptOfFramed],
      ]);
      const s = agg.counters.syslog;
      expect(s.badFramesByCode).toEqual({ REQUEST_TRUNCATED: 2 });
      expect(s.toSink + s.nonAudit).toBe(s.events);
    } finally {
      await stop();
    }
  });
});

/** Sends one syslog message over TCP (its connection closed by the failed store) or UDP (one write each, as a steady sender makes), and waits for the failure. */
const sendOne = {
  tcp: async (port: number, line: string) => {
    const c = await RawClient.open(port);
    c.socket.write(`${line}\n`);
    await c.waitClosed();
  },
  udp: async (port: number, line: string) => {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(line, port, '127.0.0.1', () => r()));
    udp.close();
  },
};

describe('syslog receiver: a sink that cannot store', () => {
  it.each([
    ['tcp', 'closing syslog connection', 'the connections it closes (found by a probe, in the forward receiver)', 'warn'],
    ['udp', 'syslog UDP messages could not be stored', 'the UDP writes (a full spool disk flooded the log as TCP did; found by a review)', 'error'],
  ] as const)('over %s logs "%s" once per 10 s with how many were not logged, not one line each: %s', async (transport, msg, _why, level) => {
    const counters = newCounters();
    const sink = new RecordingSink();
    sink.fail = true;
    const logs: ReceiverLogEntry[] = [];
    const srv = await startSyslogServer({ port: 0 }, { sink, counters, log: (e) => logs.push(e) });
    for (let i = 0; i < 4; i++) {
      await sendOne[transport](srv.address.port, `<14>1 - host app - - - ${JSON.stringify(makeEvent(i))}`);
      await until(() => counters.sinkFailures === i + 1);
    }
    expect(counters.sinkFailures).toBe(4);
    const logged = () => logs.filter((e) => e.msg === msg);
    expect(logged()).toEqual([expect.objectContaining({ level, code: 'SINK_FAILED' })]);
    await srv.close();
    expect(logged().at(-1)).toMatchObject({ level, notLogged: 3 });
  });

  it('over udp counts the messages not logged, not the writes that held them (one write takes every datagram that waited for a slot)', async () => {
    const counters = newCounters();
    const sink = new RecordingSink();
    sink.fail = true;
    let open!: () => void;
    sink.gate = new Promise<void>((r) => (open = r));
    const logs: ReceiverLogEntry[] = [];
    const srv = await startSyslogServer({ port: 0 }, { sink, counters, log: (e) => logs.push(e) });
    const line = (i: number) => `<14>1 - host app - - - ${JSON.stringify(makeEvent(i))}`;
    // Four writes of one message each hold every write slot...
    for (let i = 0; i < 4; i++) {
      await sendOne.udp(srv.address.port, line(i));
      await until(() => sink.writes === i + 1);
    }
    // ...so the next six wait, and go in one write once a slot is free.
    let sent = 0;
    for (let i = 4; i < 10; i++) {
      const datagram = line(i);
      sent += Buffer.byteLength(datagram);
      await sendOne.udp(srv.address.port, datagram);
    }
    const before = counters.bytes;
    await until(() => counters.bytes >= before + sent);
    open();
    await until(() => sink.writes === 5 && counters.sinkFailures === 5);
    await srv.close();
    const logged = logs.filter((e) => e.msg === 'syslog UDP messages could not be stored');
    expect(logged.map((e) => [e.count ?? null, e.notLogged ?? null])).toEqual([
      [1, null],
      [null, 3 + 6],
    ]);
  });
});
