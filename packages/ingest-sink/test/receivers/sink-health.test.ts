import { describe, expect, it } from 'vitest';
import { sinkHealth, SinkWatch, SINK_LOG_REPEAT_MS } from '../../src/receivers/sink-health.js';
import { STALLED_WRITE_MS } from '../../src/sink/delivery.js';
import type { ReceiverLogEntry } from '../../src/receivers/types.js';

const MiB = 1024 * 1024;
const base = { spooledBytes: 0, spooledEvents: 0, spoolMaxBytes: 256 * MiB, retries: 0, forwarded: 0 };
const refused = { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432', at: '2026-12-06T07:00:00.100Z' };
const since = '2026-12-06T07:00:00.000Z';
const t0 = Date.parse(since);

function watcher(): { watch: SinkWatch; lines: ReceiverLogEntry[] } {
  const lines: ReceiverLogEntry[] = [];
  return { watch: new SinkWatch((e) => lines.push(e)), lines };
}

describe('sinkHealth', () => {
  it('ok while the database accepts batches', () => {
    expect(sinkHealth(base)).toEqual({ status: 'ok', problems: [] });
  });

  it('degraded while the database fails, naming since when and the error', () => {
    const h = sinkHealth({ ...base, outageSince: since, lastError: refused, spooledEvents: 40 });
    expect(h.status).toBe('degraded');
    expect(h.problems).toEqual([`database failing since ${since} (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432); events are spooled`]);
  });

  it('failing once the spool holds 90% of its limit, whatever the database does', () => {
    expect(sinkHealth({ ...base, spooledBytes: 0.89 * base.spoolMaxBytes }).status).toBe('ok');
    const h = sinkHealth({ ...base, spooledBytes: 0.9 * base.spoolMaxBytes, outageSince: since });
    expect(h.status).toBe('failing');
    expect(h.problems[0]).toBe(`spool at 90% of its limit (${256 * MiB} bytes): writes will wait or be refused`);
    expect(h.problems[1]).toMatch(/^database failing since/);
  });

  it('the spool and the database failing at once: each problem, and each log line, names its own error, not the latest of the two', () => {
    const enospc = { code: 'SINK_SPOOL_IO', message: 'spool append: ENOSPC: no space left on device, write', at: '2026-12-06T07:00:02.000Z' };
    const both = { ...base, outageSince: since, databaseError: refused, spoolFailingSince: since, spoolError: enospc, lastError: enospc };
    expect(sinkHealth(both).problems).toEqual([
      `spool cannot store events since ${since} (SINK_SPOOL_IO: spool append: ENOSPC: no space left on device, write): nothing is acked, senders keep their events`,
      `database failing since ${since} (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432); events are spooled`,
    ]);
    const { watch, lines } = watcher();
    watch.observe(both, t0 + 3000);
    watch.observe({ ...both, databaseError: { ...refused, at: '2026-12-06T07:01:00.000Z' }, lastError: { ...enospc, at: '2026-12-06T07:01:01.000Z' } }, t0 + 3000 + SINK_LOG_REPEAT_MS);
    expect(lines.map((l) => [l.msg, (l.error as { code: string }).code])).toEqual([
      ['database failing: events are spooled until it accepts them again', 'ECONNREFUSED'],
      ['spool cannot store events: nothing is acked, senders keep their events', 'SINK_SPOOL_IO'],
      ['database still failing', 'ECONNREFUSED'],
    ]);
  });

  it('a sink of the caller\'s own without these counters is ok', () => {
    expect(sinkHealth(undefined)).toEqual({ status: 'ok', problems: [] });
    expect(sinkHealth({ written: 3 })).toEqual({ status: 'ok', problems: [] });
  });
});

describe('SinkWatch', () => {
  it('logs an outage when it begins, again once a minute while it lasts, and when it ends', () => {
    const { watch, lines } = watcher();
    watch.observe(base, t0 - 1000);
    expect(lines).toEqual([]);
    const failing = { ...base, outageSince: since, lastError: refused, retries: 3, spooledEvents: 10 };
    watch.observe(failing, t0 + 1000);
    watch.observe({ ...failing, retries: 4, lastError: { ...refused, at: '2026-12-06T07:00:02.000Z' } }, t0 + 2000);
    watch.observe({ ...failing, retries: 9 }, t0 + 1000 + SINK_LOG_REPEAT_MS - 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'database failing: events are spooled until it accepts them again', since, error: refused, retries: 3, spooledEvents: 10 });
    watch.observe({ ...failing, retries: 30, spooledEvents: 500 }, t0 + 1000 + SINK_LOG_REPEAT_MS);
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'database still failing', since, seconds: 61, retries: 30, spooledEvents: 500 });
    watch.observe({ ...base, retries: 31, lastError: refused }, t0 + 90_000);
    expect(lines[2]).toMatchObject({ level: 'info', msg: 'database accepting events again', since, seconds: 90, retries: 31 });
    expect(lines).toHaveLength(3);
  });

  it('a second outage is logged as new', () => {
    const { watch, lines } = watcher();
    watch.observe({ ...base, outageSince: since, lastError: refused }, t0);
    watch.observe({ ...base, lastError: refused }, t0 + 5000);
    const again = '2026-12-06T07:00:06.000Z';
    watch.observe({ ...base, outageSince: again, lastError: { ...refused, at: again } }, t0 + 6000);
    expect(lines.map((l) => l.msg)).toEqual([
      'database failing: events are spooled until it accepts them again',
      'database accepting events again',
      'database failing: events are spooled until it accepts them again',
    ]);
    expect(lines[2]!.since).toBe(again);
  });

  it('logs an error outside an outage once per code per minute (a one-off failed attempt, the spool\'s disk)', () => {
    const { watch, lines } = watcher();
    const io = { code: 'SINK_SPOOL_IO', message: 'ENOSPC', at: '2026-12-06T07:00:01.000Z' };
    watch.observe({ ...base, lastError: io }, t0 + 1000);
    watch.observe({ ...base, lastError: io }, t0 + 2000);
    watch.observe({ ...base, lastError: { ...io, at: '2026-12-06T07:00:03.000Z' } }, t0 + 3000);
    watch.observe({ ...base, lastError: refused }, t0 + 4000);
    watch.observe({ ...base, lastError: { ...io, at: '2026-12-06T07:01:05.000Z' } }, t0 + 65_000);
    expect(lines).toEqual([
      { level: 'warn', msg: 'sink error', error: io },
      { level: 'warn', msg: 'sink error', error: refused },
      { level: 'warn', msg: 'sink error', error: { ...io, at: '2026-12-06T07:01:05.000Z' } },
    ]);
  });

  it('logs an error of another part during an outage (the fallback\'s), which the outage\'s lines no longer carry: they name the database\'s own (found by a review)', () => {
    const { watch, lines } = watcher();
    const forward = { code: 'SINK_FORWARD_TIMEOUT', message: 'forward of 3 records to fluentd:24224: no connection (TCP, then TLS when set) within 10000 ms', at: '2026-12-06T07:00:05.000Z' };
    const failing = { ...base, outageSince: since, databaseError: refused, lastError: refused };
    watch.observe(failing, t0 + 1000);
    watch.observe({ ...failing, lastError: forward }, t0 + 6000);
    // The database's own error, newer, is the outage's: not logged again.
    const again = { ...refused, at: '2026-12-06T07:00:07.000Z' };
    watch.observe({ ...failing, databaseError: again, lastError: again }, t0 + 7000);
    expect(lines.map((l) => [l.msg, l.error])).toEqual([
      ['database failing: events are spooled until it accepts them again', refused],
      ['sink error', forward],
    ]);
  });

  it('logs the spool filling past 90% and emptying again, once each', () => {
    const { watch, lines } = watcher();
    const full = { ...base, spooledBytes: 0.95 * base.spoolMaxBytes, spooledEvents: 900_000 };
    watch.observe(full, t0);
    watch.observe(full, t0 + 1000);
    watch.observe({ ...base, spooledBytes: 0.5 * base.spoolMaxBytes }, t0 + 2000);
    expect(lines).toEqual([
      { level: 'error', msg: 'spool nearly full: writes will wait or be refused', percent: 95, spoolMaxBytes: base.spoolMaxBytes, spooledEvents: 900_000, spooledBytes: full.spooledBytes, retries: 0, forwarded: 0 },
      { level: 'info', msg: 'spool has room again', percent: 50, spooledEvents: 0, spooledBytes: 0.5 * base.spoolMaxBytes, retries: 0, forwarded: 0 },
    ]);
  });

  it('failing while the spool cannot store (its disk full): said, logged once with the error, and its end logged', () => {
    const enospc = { code: 'SINK_SPOOL_IO', message: 'spool append: ENOSPC: no space left on device, write', at: '2026-12-06T07:00:00.200Z' };
    const failing = { ...base, spoolFailingSince: since, lastError: enospc };
    expect(sinkHealth(failing)).toEqual({ status: 'failing', problems: [`spool cannot store events since ${since} (SINK_SPOOL_IO: spool append: ENOSPC: no space left on device, write): nothing is acked, senders keep their events`] });
    const { watch, lines } = watcher();
    watch.observe(failing, t0);
    watch.observe({ ...failing, lastError: { ...enospc, at: '2026-12-06T07:00:01.000Z' } }, t0 + 1000);
    watch.observe({ ...base, lastError: { ...enospc, at: '2026-12-06T07:00:01.000Z' } }, t0 + 2000);
    expect(lines).toEqual([
      { level: 'error', msg: 'spool cannot store events: nothing is acked, senders keep their events', since, error: enospc, spooledEvents: 0, spooledBytes: 0, retries: 0, forwarded: 0 },
      { level: 'info', msg: 'spool storing events again', spooledEvents: 0, spooledBytes: 0, retries: 0, forwarded: 0 },
    ]);
  });

  it('logs every increase of the counters to investigate (chain and event_id conflicts, quarantined records) at once, during an outage too', () => {
    const { watch, lines } = watcher();
    watch.observe({ ...base, chainConflicts: 0, spoolQuarantinedRecords: 0 }, t0);
    expect(lines).toEqual([]);
    const failing = { ...base, outageSince: since, lastError: refused };
    watch.observe({ ...failing, chainConflicts: 2, spoolQuarantinedRecords: 0 }, t0 + 1000);
    watch.observe({ ...failing, chainConflicts: 2, spoolQuarantinedRecords: 7 }, t0 + 2000);
    watch.observe({ ...failing, chainConflicts: 2, spoolQuarantinedRecords: 7 }, t0 + 3000);
    watch.observe({ ...failing, chainConflicts: 3, spoolQuarantinedRecords: 7 }, t0 + 4000);
    watch.observe({ ...failing, chainConflicts: 3, spoolQuarantinedRecords: 7, eventIdConflicts: 1 }, t0 + 5000);
    watch.observe({ ...failing, chainConflicts: 3, spoolQuarantinedRecords: 7, eventIdConflicts: 1 }, t0 + 6000);
    const alarms = lines.filter((l) => l.level === 'error');
    expect(alarms.map((l) => [l.msg.split(':')[0], l.new])).toEqual([
      ['chain position conflict', 2],
      ['accepted events lost to a damaged spool region', 7],
      ['chain position conflict', 1],
      ['event_id conflict', 1],
    ]);
    expect(alarms[2]).toMatchObject({ chainConflicts: 3 });
  });

  it('logs events dated ahead of the clock at the first increase, then at most once per repeat interval with the count since', () => {
    const { watch, lines } = watcher();
    watch.observe({ ...base, futureDated: 0 }, t0);
    watch.observe({ ...base, futureDated: 3 }, t0 + 1000);
    // A node whose clock runs ahead keeps sending: one line per interval, not per observation.
    for (let i = 2; i <= 60; i++) watch.observe({ ...base, futureDated: 3 + i }, t0 + i * 1000);
    watch.observe({ ...base, futureDated: 70 }, t0 + 1000 + SINK_LOG_REPEAT_MS);
    watch.observe({ ...base, futureDated: 70 }, t0 + 2000 + 2 * SINK_LOG_REPEAT_MS);
    const warned = lines.filter((l) => l.msg.startsWith('events dated ahead'));
    expect(warned.map((l) => [l.level, l.futureDated, l.new])).toEqual([
      ['warn', 3, 3],
      ['warn', 70, 67],
    ]);
    expect(warned[0]!.msg).toContain('audit-trail report future-dated');
    expect(lines).toHaveLength(2);
  });

  it('does not log an error of the outage\'s last attempt, first seen with its end, as a new sink error', () => {
    const { watch, lines } = watcher();
    watch.observe({ ...base, outageSince: since, lastError: refused }, t0 + 1000);
    // The last failed attempt (t0 + 1.5 s) and the commit after it happen between two observations.
    const last = { ...refused, message: 'Connection terminated unexpectedly', at: new Date(t0 + 1500).toISOString() };
    watch.observe({ ...base, lastError: last }, t0 + 2000);
    expect(lines.map((l) => l.msg)).toEqual(['database failing: events are spooled until it accepts them again', 'database accepting events again']);
    // One after the recovery is new.
    watch.observe({ ...base, lastError: { ...last, at: new Date(t0 + 2500).toISOString() } }, t0 + 3000);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', msg: 'sink error' });
  });

  it('a write the database has not answered for 15 s is degraded and logged, before any attempt fails (a hung server)', () => {
    const writing = { ...base, writingSince: since };
    expect(sinkHealth(writing, t0 + STALLED_WRITE_MS - 1)).toEqual({ status: 'ok', problems: [] });
    expect(sinkHealth(writing, t0 + 20_000)).toEqual({ status: 'degraded', problems: [`database has not answered a write for 20 s (since ${since}); events are spooled`] });
    const { watch, lines } = watcher();
    watch.observe(writing, t0 + 1000);
    watch.observe(writing, t0 + 16_000);
    watch.observe(writing, t0 + 17_000);
    watch.observe(base, t0 + 18_000);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'database not answering: a write has waited since'],
      ['info', 'database answering again'],
    ]);
  });
});
