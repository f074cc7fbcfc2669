import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/receivers/aggregator.js';
import { makeEvent } from './helpers/events.js';
import { freePort } from '../helpers/ports.js';
import { logger, startRsyslog, until } from './helpers/rsyslog.js';
import { readEvents, sqliteSink, tempDir } from './helpers/real-sink.js';


describe('interop: logger -> Debian rsyslog (octet-counted and LF framing) -> syslog receiver -> real SQLite sink', () => {
  let tmp: ReturnType<typeof tempDir>;
  let octet: Aggregator;
  let lf: Aggregator;
  let rsyslog: ChildProcess;
  let inputPort: number;
  let file: string;
  let sink: Awaited<ReturnType<typeof sqliteSink>>['sink'];

  beforeAll(async () => {
    tmp = tempDir();
    ({ sink, file } = await sqliteSink(tmp.dir));
    octet = await startAggregator({ sink, forward: { port: 0 }, syslog: { port: 0 } });
    lf = await startAggregator({ sink, forward: { port: 0 }, syslog: { port: 0 } });
    inputPort = await freePort();
    rsyslog = await startRsyslog(tmp.dir, inputPort, [
      { port: octet.syslog!.port, framing: 'octet-counted' },
      { port: lf.syslog!.port, framing: 'traditional' },
    ]);
  }, 60_000);
  afterAll(async () => {
    rsyslog?.kill('SIGTERM');
    await octet?.close();
    await lf?.close();
    await sink?.close();
    tmp?.remove();
  });

  it('stores audit lines relayed by rsyslog in both framings, and counts non-audit messages', async () => {
    const events = Array.from({ length: 10 }, (_, i) => makeEvent(100 + i));
    for (const e of events) {
      await logger(['--rfc5424', '--tcp', '-n', '127.0.0.1', '-P', String(inputPort), '-t', 'webauthn-api', '--msgid', 'AUDIT', '--sd-id', 'x@32473', '--sd-param', 'k="v"', JSON.stringify(e)]);
    }
    await logger(['--rfc5424', '--tcp', '-n', '127.0.0.1', '-P', String(inputPort), '-t', 'nginx', 'GET / HTTP/1.1 200']);
    for (const a of [octet, lf]) await until(() => a.counters.syslog.events >= 11, 'rsyslog to relay every message');
    await sink.flush();
    const rows = readEvents(file).filter((r) => events.some((e) => e.event_id === r.event_id));
    expect(rows).toHaveLength(10);
    expect(rows[0]!.source_tag).toBe('webauthn-api');
    // The HOSTNAME util-linux logger wrote, which rsyslog relays unchanged: the node for the reports.
    expect(new Set(rows.map((r) => r.syslog_host))).toEqual(new Set([hostname()]));
    for (const a of [octet, lf]) {
      expect(a.counters.syslog.accepted).toBe(10);
      expect(a.counters.syslog.nonAudit).toBe(1);
      expect(a.counters.syslog.badFrames).toBe(0);
    }
  });

  it('accepts RFC 3164 over UDP and RFC 5424 octet-counted straight from logger', async () => {
    const a = makeEvent(200);
    const b = makeEvent(201);
    await logger(['--rfc3164', '--udp', '-n', '127.0.0.1', '-P', String(octet.syslog!.port), '-t', 'bsd-app', JSON.stringify(a)]);
    await logger(['--rfc5424', '--tcp', '--octet-count', '-n', '127.0.0.1', '-P', String(lf.syslog!.port), '-t', 'direct', JSON.stringify(b)]);
    await until(() => octet.counters.syslog.accepted >= 11 && lf.counters.syslog.accepted >= 11, 'the direct messages');
    await sink.flush();
    const hosts = new Map(readEvents(file).map((r) => [r.event_id, r.syslog_host]));
    // util-linux logger writes the host name without its domain in RFC 3164 (§4.1.2: "The Domain
    // Name MUST NOT be included"), the whole name in RFC 5424: on a host named a.example.com, "a".
    expect([hosts.get(a.event_id as string), hosts.get(b.event_id as string)]).toEqual([hostname().split('.')[0], hostname()]);
  });
});
