import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { completeEvent, REPORT_QUERIES } from '@audit-trail/schema';
import type { Aggregator } from '../../src/receivers/aggregator.js';
import type { Sink } from '../../src/index.js';
import { makeEvent } from './helpers/events.js';
import { RawClient } from './helpers/raw-client.js';
import { aggregatorOnSqlite, readEvents, readRejects } from './helpers/real-sink.js';

async function until(cond: () => boolean) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('syslog receiver: hostile input over TCP and UDP into the real sink', () => {
  let agg: Aggregator;
  let file: string;
  let sink: Sink;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ agg, sink, file, stop } = await aggregatorOnSqlite({ forward: { port: 0 }, syslog: { port: 0, maxFrameBytes: 4096 } }));
  });
  afterAll(() => stop());

  it('counts invalid messages, keeps the connection, and stores the valid ones around them', async () => {
    const ev = makeEvent(1);
    const c = await RawClient.open(agg.syslog!.port);
    c.socket.write('no pri at all\n<999>1 - - - - - - x\n');
    c.socket.write(`<14>1 2024-01-01T00:00:00Z host app - - - ${JSON.stringify(ev)}\n`);
    c.socket.write('<14>1 - - app - - [broken x\n');
    c.socket.end();
    await until(() => agg.counters.syslog.accepted === 1 && agg.counters.syslog.badFrames === 3);
    expect(agg.counters.syslog.badFramesByCode).toEqual({ SYSLOG_INVALID: 3 });
    await sink.flush();
    expect(readEvents(file).some((r) => r.event_id === ev.event_id)).toBe(true);
  });

  it('skips an oversized TCP frame (by its count, or up to its LF) and keeps the messages around it in the same read; counts oversized UDP datagrams', async () => {
    const [before, middle, after] = [makeEvent(11), makeEvent(12), makeEvent(13)];
    const msg = (ev: object) => `<14>1 2024-01-01T00:00:00Z host app - - - ${JSON.stringify(ev)}`;
    const c = await RawClient.open(agg.syslog!.port);
    // One write: a message, a line over 4096 bytes, a message, an octet-counted frame over the limit, a message.
    c.socket.write(`${msg(before)}\n<14>${'x'.repeat(5000)}\n${msg(middle)}\n99999 ${'y'.repeat(99_999)}${Buffer.byteLength(msg(after))} ${msg(after)}`);
    await until(() => agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE === 2 && agg.counters.syslog.accepted >= 3);
    expect(c.closed).toBe(false);
    c.socket.end();
    expect(agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE).toBe(2);
    await sink.flush();
    const ids = new Set(readEvents(file).map((r) => r.event_id));
    expect([before, middle, after].every((e) => ids.has(e.event_id))).toBe(true);
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(Buffer.alloc(5000, 0x41), agg.syslog!.port, '127.0.0.1', () => r()));
    await new Promise<void>((r) => udp.send(Buffer.from([0xff, 0xfe, 0x00]), agg.syslog!.port, '127.0.0.1', () => r()));
    udp.close();
    await until(() => agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE === 3 && (agg.counters.syslog.badFramesByCode.SYSLOG_INVALID ?? 0) >= 4);
    expect(agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE).toBe(3);
    expect(agg.counters.syslog.badFramesByCode.SYSLOG_INVALID).toBe(4);
  });

  it('keeps reading a connection past a line that starts with a digit but is not octet-counted: the line is counted as not syslog, the messages after it stored', async () => {
    const evs = [makeEvent(21), makeEvent(22), makeEvent(23)];
    const msg = (ev: object) => `<14>1 2024-01-01T00:00:00Z host app - - - ${JSON.stringify(ev)}\n`;
    const invalid = agg.counters.syslog.badFramesByCode.SYSLOG_INVALID ?? 0;
    const accepted = agg.counters.syslog.accepted;
    const c = await RawClient.open(agg.syslog!.port);
    c.socket.write(`${msg(evs[0]!)}2026-12-06 10:00:00 plain text line\n${msg(evs[1]!)}`);
    c.socket.write(msg(evs[2]!));
    await until(() => agg.counters.syslog.accepted === accepted + 3);
    expect(c.closed).toBe(false);
    c.socket.end();
    expect(agg.counters.syslog.badFramesByCode.SYSLOG_INVALID).toBe(invalid + 1);
    await sink.flush();
    const ids = new Set(readEvents(file).map((r) => r.event_id));
    expect(evs.map((e) => ids.has(e.event_id))).toEqual([true, true, true]);
  });

  it('sends an invalid audit line (control characters in user_id) to the rejects table', async () => {
    const line = JSON.stringify({ ...makeEvent(2), user_id: 'evil\u001b[2J\nuser' });
    const c = await RawClient.open(agg.syslog!.port);
    const msg = `<14>1 - - app - - - ${line}`;
    c.socket.end(`${Buffer.byteLength(msg)} ${msg}`);
    await until(() => agg.counters.syslog.rejected === 1);
    await sink.flush();
    expect(readRejects(file).some((r) => r.raw_payload.includes('evil'))).toBe(true);
  });

  it('keeps the audit content of a frame that is not syslog: a bare audit line is stored, a malformed message holding one becomes a reject', async () => {
    const [bare, inBroken] = [makeEvent(31), makeEvent(32)];
    const c = await RawClient.open(agg.syslog!.port);
    const before = agg.counters.syslog.badFramesByCode.SYSLOG_INVALID ?? 0;
    c.socket.write(`${JSON.stringify(bare)}\n<999>1 - - app - - - ${JSON.stringify(inBroken)}\n`);
    c.socket.end();
    await until(() => (agg.counters.syslog.badFramesByCode.SYSLOG_INVALID ?? 0) === before + 2);
    await sink.flush();
    expect(readEvents(file).some((r) => r.event_id === bare.event_id)).toBe(true);
    const reject = readRejects(file).find((r) => r.raw_payload.includes(inBroken.event_id as string));
    expect(reject?.raw_payload).toBe(`<999>1 - - app - - - ${JSON.stringify(inBroken)}`);
    expect(reject?.reason).toBe('SYSLOG_INVALID: PRI 999 is out of range (0-191)');
  });

  it('keeps the first bytes of an oversized frame that holds an audit line as a reject (syslog has no ack to make the sender keep it)', async () => {
    const big = JSON.stringify({ ...makeEvent(41), user_agent: 'u'.repeat(5000) });
    const c = await RawClient.open(agg.syslog!.port);
    const tooLarge = agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE ?? 0;
    c.socket.end(`<14>1 - - app - - - ${big}\n<14>1 - - app - - - not audit ${'z'.repeat(5000)}\n`);
    await until(() => (agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE ?? 0) === tooLarge + 2);
    await sink.flush();
    const kept = readRejects(file).filter((r) => r.reason.startsWith('FRAME_TOO_LARGE'));
    expect(kept).toHaveLength(1); // the frame without an audit line is counted and logged only
    expect(kept[0]!.reason).toBe('FRAME_TOO_LARGE: line exceeds 4096 bytes; its first 4096 bytes are kept');
    expect(kept[0]!.raw_payload).toBe(`<14>1 - - app - - - ${big}`.slice(0, 4096));
  });

  it('keeps the first maxFrameBytes of an octet-counted frame over the limit however it arrives, and what came of one the stream cut (found by a probe)', async () => {
    const big = `<14>1 - - app - - - ${JSON.stringify({ ...makeEvent(43), user_agent: 'o'.repeat(5000) })}`;
    const cut = `<14>1 - - app - - - ${JSON.stringify({ ...makeEvent(44), user_agent: 'p'.repeat(5000) })}`;
    const after = makeEvent(45);
    const tooLarge = agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE ?? 0;
    const c = await RawClient.open(agg.syslog!.port);
    c.socket.setNoDelay(true);
    // Pieces of 700 bytes, one per read: the read announcing the frame holds 700 of its bytes.
    const stream = Buffer.from(`${Buffer.byteLength(big)} ${big}${Buffer.byteLength(JSON.stringify(after)) + 20} <14>1 - - app - - - ${JSON.stringify(after)}`);
    for (let at = 0; at < stream.length; at += 700) {
      c.socket.write(stream.subarray(at, at + 700));
      await new Promise((r) => setTimeout(r, 5));
    }
    // Announced at its full length, cut by the end of the stream after 3000 bytes.
    c.socket.end(`${Buffer.byteLength(cut)} ${cut.slice(0, 3000)}`);
    await until(() => (agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE ?? 0) === tooLarge + 2);
    await until(() => readRejects(file).filter((r) => r.reason.startsWith('FRAME_TOO_LARGE: frame of')).length === 2);
    await sink.flush();
    const kept = readRejects(file).filter((r) => r.reason.startsWith('FRAME_TOO_LARGE: frame of'));
    expect(kept.map((r) => r.reason)).toEqual([
      `FRAME_TOO_LARGE: frame of ${Buffer.byteLength(big)} bytes exceeds 4096; its first 4096 bytes are kept`,
      `FRAME_TOO_LARGE: frame of ${Buffer.byteLength(cut)} bytes exceeds 4096; its first 3000 bytes are kept`,
    ]);
    expect(kept.map((r) => r.raw_payload)).toEqual([big.slice(0, 4096), cut.slice(0, 3000)]);
    expect(readEvents(file).some((r) => r.event_id === after.event_id)).toBe(true);
  });

  it('keeps the first bytes of an oversized UDP datagram that holds an audit line as a reject, as over TCP', async () => {
    const big = JSON.stringify({ ...makeEvent(51), user_agent: 'w'.repeat(5000) });
    const tooLarge = agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE ?? 0;
    const udp = createSocket('udp4');
    for (const d of [`<14>1 - - app - - - ${big}`, `<14>1 - - app - - - not audit ${'z'.repeat(5000)}`]) {
      await new Promise<void>((r) => udp.send(Buffer.from(d), agg.syslog!.port, '127.0.0.1', () => r()));
    }
    udp.close();
    await until(() => (agg.counters.syslog.badFramesByCode.FRAME_TOO_LARGE ?? 0) === tooLarge + 2);
    await until(() => readRejects(file).some((r) => r.reason.startsWith('FRAME_TOO_LARGE: datagram')));
    await sink.flush();
    const kept = readRejects(file).filter((r) => r.reason.startsWith('FRAME_TOO_LARGE: datagram'));
    expect(kept).toHaveLength(1); // the datagram without an audit line is counted and logged only
    const sent = Buffer.byteLength(`<14>1 - - app - - - ${big}`);
    expect(kept[0]!.reason).toBe(`FRAME_TOO_LARGE: datagram of ${sent} bytes exceeds 4096; its first 4096 bytes are kept`);
    expect(kept[0]!.raw_payload).toBe(`<14>1 - - app - - - ${big}`.slice(0, 4096));
    expect(kept[0]!.source).toBe('syslog-udp:127.0.0.1');
  });

  it('stores what each UDP sender refused under its own address (syslog-udp:<address>), and the same refusal sent again once', async () => {
    const bad = JSON.stringify({ log_type: 'security_audit', event_type: 'WEBAUTHN_AUTH_FAILURE', marker: 'udp-senders' });
    const datagram = Buffer.from(`<14>1 - - app - - - ${bad}`);
    const before = agg.counters.syslog.rejected;
    const repeats = sink.stats().duplicateRejects;
    // Two senders on the loopback network (any 127/8 address is this host), the first one twice.
    for (const [i, from] of ['127.0.0.1', '127.0.0.2', '127.0.0.1'].entries()) {
      const udp = createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, from, () => r()));
      await new Promise<void>((r) => udp.send(datagram, agg.syslog!.port, '127.0.0.1', () => r()));
      udp.close();
      await until(() => agg.counters.syslog.rejected === before + i + 1);
      await sink.flush();
    }
    expect(agg.counters.syslog.rejected).toBe(before + 3);
    const rows = readRejects(file).filter((r) => r.raw_payload === bad);
    expect(rows.map((r) => r.source).sort()).toEqual(['syslog-udp:127.0.0.1', 'syslog-udp:127.0.0.2']);
    expect(sink.stats().duplicateRejects - repeats).toBe(1);
  });
  it('stores the HOSTNAME of each message as syslog_host, and the reports take it for the node when the event names none', async () => {
    const failure = (user: string, runtime?: object) =>
      completeEvent(
        { event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: user, client_ip: '203.0.113.9', error: { code: 'SIGNATURE_INVALID', message: 'assertion signature did not verify' }, webauthn: { failure_stage: 'signature' }, ...(runtime ? { runtime } : {}) } as never,
        { producer: { service: 'receiver-test' } },
      );
    const sent = {
      named: failure('host-named'),
      ownHost: failure('host-own', { host: 'api-7f9c' }),
      nil: failure('host-nil'),
      bsd: failure('host-bsd'),
      hostile: failure('host-hostile'),
    };
    const c = await RawClient.open(agg.syslog!.port);
    c.socket.write(`<14>1 2026-12-07T10:00:00Z node-a app - - - ${JSON.stringify(sent.named)}\n`);
    c.socket.write(`<14>1 2026-12-07T10:00:00Z node-b app - - - ${JSON.stringify(sent.ownHost)}\n`);
    c.socket.write(`<14>1 2026-12-07T10:00:00Z - app - - - ${JSON.stringify(sent.nil)}\n`);
    c.socket.write(`<14>Dec  7 10:00:00 node-c app: ${JSON.stringify(sent.bsd)}\n`);
    c.socket.write(`<14>1 2026-12-07T10:00:00Z node\u001b[31m-d\u0007 app - - - ${JSON.stringify(sent.hostile)}\n`);
    // A Docker event relayed from its node's syslog: the HOSTNAME names the node
    // of the container it is about, which the event itself does not.
    const cid = 'e'.repeat(64);
    c.socket.write(`<14>1 2026-12-07T10:00:00Z node-e docker-events - - - ${JSON.stringify({ Type: 'container', Action: 'exec_start: sh', Actor: { ID: cid, Attributes: { image: 'nginx:1.25', name: 'web' } }, time: 1765101600 })}\n`);
    c.socket.end();
    await until(() => readEvents(file).some((r) => r.container_id === cid));
    expect(readEvents(file).find((r) => r.container_id === cid)).toMatchObject({ event_type: 'CONTAINER_EXEC', syslog_host: 'node-e' });
    const ids = Object.values(sent).map((e) => e.event_id as string);
    await until(() => readEvents(file).filter((r) => ids.includes(r.event_id)).length === ids.length);
    await sink.flush();
    const db = new Database(file, { readonly: true });
    try {
      const stored = db.prepare(`SELECT user_id, syslog_host FROM security_audit_events WHERE user_id LIKE 'host-%'`).all() as { user_id: string; syslog_host: string | null }[];
      expect(Object.fromEntries(stored.map((r) => [r.user_id, r.syslog_host]))).toEqual({
        'host-named': 'node-a',
        'host-own': 'node-b',
        'host-nil': null,
        'host-bsd': 'node-c',
        // A transport value: control characters removed, as in a tag.
        'host-hostile': 'node[31m-d',
      });
      const report = db.prepare(REPORT_QUERIES['webauthn-failures'].sql.sqlite).all({ days: 36_500 }) as { user_id: string; node: string | null }[];
      const nodes = Object.fromEntries(report.filter((r) => r.user_id.startsWith('host-')).map((r) => [r.user_id, r.node]));
      // The event's own host comes before the syslog header's, which any sender can write.
      expect(nodes).toEqual({ 'host-named': 'node-a', 'host-own': 'api-7f9c', 'host-nil': null, 'host-bsd': 'node-c', 'host-hostile': 'node[31m-d' });
    } finally {
      db.close();
    }
  });
});
