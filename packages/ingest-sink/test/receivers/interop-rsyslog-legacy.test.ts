import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from './helpers/events.js';
import { freePort } from '../helpers/ports.js';
import { logger, startRsyslog, until } from './helpers/rsyslog.js';
import { aggregatorOnSqlite, readEvents, readRejects, tempDir, type AggregatorOnSqlite } from './helpers/real-sink.js';

// A Docker syslog driver's tag from a Swarm template: longer than RFC 3164's 32 characters.
const SWARM_TAG = 'swarm/worker-01/audit_webauthn-api.1.x3y5q1w9z8k7j6h5g4f3d2s1a/4f1c2a9b8e7d';

describe("interop: logger -> Debian rsyslog with its legacy forwarding templates (RFC 3164 header) -> syslog receiver -> real SQLite sink", () => {
  let tmp: ReturnType<typeof tempDir>;
  let rsyslog: ChildProcess;
  let inputPort: number;
  // One sink each: both receive the same events, which one sink would store once.
  let traditional: AggregatorOnSqlite;
  let forward: AggregatorOnSqlite;

  beforeAll(async () => {
    tmp = tempDir();
    traditional = await aggregatorOnSqlite({ forward: { port: 0 }, syslog: { port: 0 } });
    forward = await aggregatorOnSqlite({ forward: { port: 0 }, syslog: { port: 0 } });
    inputPort = await freePort();
    rsyslog = await startRsyslog(tmp.dir, inputPort, [
      // No template: omfwd's default, RSYSLOG_TraditionalForwardFormat (`<PRI>Mmm dd hh:mm:ss HOST TAG MSG`).
      { port: traditional.agg.syslog!.port, framing: 'traditional', template: null },
      // `<PRI>2026-12-06T10:25:48.844898+00:00 HOST TAG MSG`.
      { port: forward.agg.syslog!.port, framing: 'octet-counted', template: 'RSYSLOG_ForwardFormat' },
    ]);
  }, 60_000);
  afterAll(async () => {
    rsyslog?.kill('SIGTERM');
    await traditional?.stop();
    await forward?.stop();
    tmp?.remove();
  });

  const both = () => [traditional, forward];
  // Messages a receiver is done with: stored (as events or rejects) or counted as not audit.
  const handled = (a: AggregatorOnSqlite) => a.agg.counters.syslog.accepted + a.agg.counters.syslog.rejected + a.agg.counters.syslog.nonAudit;
  const rejectsOf = (a: AggregatorOnSqlite, id: string) => readRejects(a.file).filter((r) => r.raw_payload.includes(id));

  it('stores RFC 5424 input relayed with omfwd\'s default template and with RSYSLOG_ForwardFormat as events, byte for byte, none as rejects', async () => {
    // RFC 5424 in: rsyslog's TAG is the APP-NAME with no colon, so both templates end it with a space.
    const events = Array.from({ length: 5 }, (_, i) => makeEvent(300 + i));
    for (const e of events) await logger(['--rfc5424', '--tcp', '-n', '127.0.0.1', '-P', String(inputPort), '-t', 'webauthn-api', JSON.stringify(e)]);
    await logger(['--rfc5424', '--tcp', '-n', '127.0.0.1', '-P', String(inputPort), '-t', 'nginx', 'GET / HTTP/1.1 200']);
    for (const a of both()) await until(() => handled(a) >= 6, 'rsyslog to relay every message');
    for (const a of both()) {
      await a.sink.flush();
      expect(readRejects(a.file)).toEqual([]);
      const rows = readEvents(a.file);
      expect(rows.map((r) => r.event_json)).toEqual(events.map((e) => JSON.stringify(e)));
      expect(rows.map((r) => r.source_tag)).toEqual(events.map(() => 'webauthn-api'));
      expect(a.agg.counters.syslog).toMatchObject({ accepted: 5, rejected: 0, nonAudit: 1, badFrames: 0 });
    }
  });

  it('stores an event under a TAG longer than 32 characters: from logger directly, whole; through rsyslog, cut to the 32 its templates keep', async () => {
    const direct = makeEvent(310);
    const relayed = makeEvent(311);
    const [t0, f0] = both().map(handled);
    // logger --rfc3164 sends the whole TAG: `<13>Mmm dd hh:mm:ss HOST swarm/...: {json}`.
    await logger(['--rfc3164', '--udp', '-n', '127.0.0.1', '-P', String(traditional.agg.syslog!.port), '-t', SWARM_TAG, JSON.stringify(direct)]);
    // rsyslog's templates write %syslogtag:1:32%: the TAG's colon is cut off with its end.
    await logger(['--rfc3164', '--tcp', '-n', '127.0.0.1', '-P', String(inputPort), '-t', SWARM_TAG, JSON.stringify(relayed)]);
    await until(() => handled(traditional) >= t0! + 2, 'the direct and the relayed message');
    await until(() => handled(forward) >= f0! + 1, 'the relayed message');
    for (const a of both()) {
      await a.sink.flush();
      expect(rejectsOf(a, relayed.event_id)).toEqual([]);
      const row = readEvents(a.file).find((r) => r.event_id === relayed.event_id);
      expect(row).toMatchObject({ event_json: JSON.stringify(relayed), source_tag: SWARM_TAG.slice(0, 32) });
    }
    expect(rejectsOf(traditional, direct.event_id)).toEqual([]);
    expect(readEvents(traditional.file).find((r) => r.event_id === direct.event_id)).toMatchObject({ event_json: JSON.stringify(direct), source_tag: SWARM_TAG });
  });
});
