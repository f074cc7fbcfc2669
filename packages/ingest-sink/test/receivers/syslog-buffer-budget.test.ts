import { afterEach, describe, expect, it } from 'vitest';
import { newCounters } from '../../src/receivers/counters.js';
import { DEFAULT_SYSLOG_LIMITS } from '../../src/receivers/syslog/limits.js';
import { startSyslogServer, type SyslogServer } from '../../src/receivers/syslog/server.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';
import { makeLine } from './helpers/events.js';
import { RawClient } from './helpers/raw-client.js';
import { RecordingSink } from './helpers/recording-sink.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean) {
  for (let i = 0; i < 1000 && !cond(); i++) await sleep(10);
}

// Unfinished TCP frames were bounded per connection only (maxFrameBytes, 256
// KiB) and not in all: with no login on syslog (nor on TLS without --tls-ca,
// as the Kubernetes manifest runs it), 1000 connections each holding 256 KiB
// of a line without its LF grew `serve` from 74 to 346 MB (found by a probe).
describe('syslog receiver: unfinished frames share one byte budget (maxBufferedBytes)', () => {
  let srv: SyslogServer | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await srv?.close();
    srv = undefined;
  });

  it('closes, by default, a connection whose unfinished frame takes the held bytes past 32 MiB, counted (SERVER_BUSY) and logged', async () => {
    expect(DEFAULT_SYSLOG_LIMITS.maxBufferedBytes).toBe(32 * 1024 * 1024);
    const counters = newCounters();
    const logs: ReceiverLogEntry[] = [];
    srv = await startSyslogServer({ port: 0 }, { sink: new RecordingSink(), counters, log: (e) => logs.push(e) });
    // 256 KiB less a byte each, no LF: the most one frame may hold while it waits.
    const head = Buffer.alloc(DEFAULT_SYSLOG_LIMITS.maxFrameBytes - 1, 0x78);
    head.write('<14>1 - host app - - - ');
    const fit = Math.floor(DEFAULT_SYSLOG_LIMITS.maxBufferedBytes / head.length); // 128 fit, the 129th does not
    for (let i = 0; i < fit; i++) {
      const c = await RawClient.open(srv.address.port);
      clients.push(c);
      const before = counters.bytes;
      c.socket.write(head);
      await until(() => counters.bytes === before + head.length);
    }
    const last = await RawClient.open(srv.address.port);
    clients.push(last);
    last.socket.write(head);
    await last.waitClosed();
    expect(counters.badFramesByCode.SERVER_BUSY).toBe(1);
    expect(clients.slice(0, -1).every((c) => !c.closed)).toBe(true);
    expect(logs.find((e) => e.code === 'SERVER_BUSY')).toMatchObject({ level: 'warn', msg: 'closing syslog connection', limit: DEFAULT_SYSLOG_LIMITS.maxBufferedBytes, partialBytes: expect.any(Number) });
  });

  it('keeps what came of the frame it cut as a reject when it holds an audit line, stores the frames of the others, and frees the budget as frames end', async () => {
    const counters = newCounters();
    const sink = new RecordingSink();
    srv = await startSyslogServer({ port: 0, maxBufferedBytes: 500 }, { sink, counters, log: () => {} });
    const json = [0, 1, 2, 3].map(makeLine);
    const line = (i: number) => `<14>1 - host app - - - ${json[i]}`;
    const a = await RawClient.open(srv.address.port);
    const b = await RawClient.open(srv.address.port);
    clients.push(a, b);
    // a holds 300 bytes of a frame without its LF; b's 300 more pass 500.
    a.socket.write(line(1).slice(0, 300));
    await until(() => counters.bytes === 300);
    b.socket.write(line(2).slice(0, 300));
    await b.waitClosed();
    await until(() => sink.items.length === 1);
    expect(sink.items[0]).toMatchObject({ line: line(2).slice(0, 300), reject: expect.stringMatching(/^SERVER_BUSY: .*its first \d+ bytes are kept$/) });
    // a was left alone: its frame ends and is stored as an event.
    a.socket.write(`${line(1).slice(300)}\n`);
    await until(() => sink.items.length === 2);
    expect(sink.items[1]).toMatchObject({ line: json[1] });
    expect(sink.items[1]!.reject).toBeUndefined();
    // The budget was given back: a new connection's unfinished 300 bytes fit again.
    const c = await RawClient.open(srv.address.port);
    clients.push(c);
    const before = counters.bytes;
    c.socket.write(line(3).slice(0, 300));
    await until(() => counters.bytes === before + 300);
    c.socket.write(`${line(3).slice(300)}\n`);
    await until(() => sink.items.length === 3);
    expect(sink.items[2]).toMatchObject({ line: json[3] });
    expect(counters.badFramesByCode.SERVER_BUSY).toBe(1);
    expect(c.closed).toBe(false);
  });
});
