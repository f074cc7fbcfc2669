import { encode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aggregator } from '../../src/receivers/aggregator.js';
import type { Sink } from '../../src/index.js';
import { makeEvent, makeLine } from './helpers/events.js';
import { dockerMessage, dockerRecord, entry, ext8Time, fixext8Time, fluentBitCompressed, fluentBitForward, fluentdPackedForward } from './helpers/frames.js';
import { RawClient } from './helpers/raw-client.js';
import { aggregatorOnSqlite, readEvents, readRejects } from './helpers/real-sink.js';

const ackBytes = (chunk: string) => Buffer.concat([Buffer.from([0x81, 0xa3, 0x61, 0x63, 0x6b]), Buffer.from(encode(chunk))]);

describe('golden frames of Fluentd, Fluent Bit and the Docker driver over TCP into the real SQLite sink', () => {
  let agg: Aggregator;
  let file: string;
  let sink: Sink;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ agg, sink, file, stop } = await aggregatorOnSqlite({ forward: { port: 0 } }));
  });
  afterAll(() => stop());

  it('Fluentd out_forward (str32 entries, compressed "text", chunk ending in "\\n"): exact ack, Swarm columns from the tag', async () => {
    const events = [makeEvent(1), makeEvent(2)];
    const chunk = 'VESFkVa4eEpn+/hwFcOpLw==\n';
    const frame = fluentdPackedForward('swarm.audit.node-7.corp.example.webauthn-api.x1y2z3', events.map((e) => entry(fixext8Time(1700000000, 1), { log: JSON.stringify(e), container_id: 'b'.repeat(64), container_name: '/webauthn-api.1.x1y2z3', source: 'stdout' })), chunk);
    const c = await RawClient.open(agg.forward.port);
    c.socket.write(frame);
    expect(await c.waitFor(ackBytes(chunk).length)).toEqual(ackBytes(chunk));
    c.socket.end();
    await sink.flush();
    const rows = readEvents(file).filter((r) => events.some((e) => e.event_id === r.event_id));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ swarm_node: 'node-7.corp.example', container_id: 'b'.repeat(64), container_name: 'webauthn-api.1.x1y2z3', source_tag: 'swarm.audit.node-7.corp.example.webauthn-api.x1y2z3' });
    expect(rows[0]!.event_json).toBe(JSON.stringify(events[0]));
  });

  it('Fluent Bit out_forward (Forward mode, fluent_signal 0) and gzip (bin, concatenated members), with kubernetes metadata', async () => {
    const events = [makeEvent(3), makeEvent(4), makeEvent(5)];
    const rec = (i: number) => ({ log: JSON.stringify(events[i]), stream: 'stdout', kubernetes: { namespace_name: 'auth', pod_name: 'api-5d8f', container_name: 'api' } });
    const c = await RawClient.open(agg.forward.port);
    c.socket.write(fluentBitForward('kube.var.log.containers.api', [entry(ext8Time(1700000000), rec(0))], 'fb-1'));
    c.socket.write(fluentBitCompressed('kube.var.log.containers.api', [entry(fixext8Time(1700000000), rec(1)), entry(fixext8Time(1700000001), rec(2))], 'fb-2', 2));
    const expected = Buffer.concat([ackBytes('fb-1'), ackBytes('fb-2')]);
    expect(await c.waitFor(expected.length)).toEqual(expected);
    c.socket.end();
    await sink.flush();
    const rows = readEvents(file).filter((r) => events.some((e) => e.event_id === r.event_id));
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.k8s_namespace === 'auth' && r.k8s_pod === 'api-5d8f')).toBe(true);
  });

  it('Docker driver Message frames with and without chunk; non-audit lines counted, invalid audit lines rejected', async () => {
    const before = { ...agg.counters.forward };
    const ev = makeEvent(6);
    const c = await RawClient.open(agg.forward.port);
    c.socket.write(dockerMessage('4f2c1e8a9b7d', 1700000000, dockerRecord(JSON.stringify(ev)), 'AAECAwQFBgcICQoLDA0ODw=='));
    c.socket.write(dockerMessage('4f2c1e8a9b7d', 1700000000, dockerRecord('GET /healthz 200')));
    c.socket.write(dockerMessage('4f2c1e8a9b7d', 1700000000, dockerRecord('{"log_type":"security_audit","event_type":"WEBAUTHN_AUTH_FAILURE"}'), 'bad-one'));
    const expected = Buffer.concat([ackBytes('AAECAwQFBgcICQoLDA0ODw=='), ackBytes('bad-one')]);
    expect(await c.waitFor(expected.length)).toEqual(expected);
    c.socket.end();
    await sink.flush();
    expect(readEvents(file).some((r) => r.event_id === ev.event_id)).toBe(true);
    expect(agg.counters.forward.nonAudit - before.nonAudit).toBe(1);
    expect(agg.counters.forward.rejected - before.rejected).toBe(1);
    const rejects = readRejects(file);
    expect(rejects.some((r) => r.raw_payload.includes('WEBAUTHN_AUTH_FAILURE'))).toBe(true);
  });

  it('a Fluentd chunk resent on a new connection (its ack was lost) stores neither its event nor its invalid audit line twice', async () => {
    const ev = makeEvent(7);
    const bad = JSON.stringify({ log_type: 'security_audit', event_type: 'WEBAUTHN_REG_FAILURE', marker: 'resent-chunk' });
    const chunk = 'cmVzZW50LWNodW5rLTEyMw==\n';
    const frame = fluentdPackedForward('swarm.audit.node-7.corp.example.webauthn-api.x1y2z3', [entry(fixext8Time(1700000000, 1), { log: JSON.stringify(ev) }), entry(fixext8Time(1700000000, 2), { log: bad })], chunk);
    const before = { ...agg.counters.forward };
    // Fluentd reconnects to resend: the second copy comes from another source port.
    for (let copy = 0; copy < 2; copy++) {
      const c = await RawClient.open(agg.forward.port);
      c.socket.write(frame);
      expect(await c.waitFor(ackBytes(chunk).length)).toEqual(ackBytes(chunk));
      c.socket.end();
      await sink.flush();
    }
    expect(agg.counters.forward.rejected - before.rejected).toBe(2);
    expect(readEvents(file).filter((r) => r.event_id === ev.event_id)).toHaveLength(1);
    const rejects = readRejects(file).filter((r) => r.raw_payload.includes('resent-chunk'));
    expect(rejects).toEqual([expect.objectContaining({ source: 'forward:127.0.0.1', raw_payload: bad })]);
  });

  it('answers the UDP heartbeat on the forward port with 0x00', async () => {
    const { createSocket } = await import('node:dgram');
    const udp = createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => udp.once('message', (m) => resolve(m)));
    udp.send(Buffer.from([0]), agg.forward.port, '127.0.0.1');
    expect(await reply).toEqual(Buffer.from([0]));
    udp.close();
  });

  it('closes a connection on a malformed frame with no ack, and keeps serving others', async () => {
    const bad = await RawClient.open(agg.forward.port);
    bad.socket.write(Buffer.concat([Buffer.from([0x93, 0xa1, 0x74, 0x92, 0xc1]), Buffer.from(encode({ chunk: 'x' }))]));
    await bad.waitClosed();
    expect(bad.received.length).toBe(0);
    const good = await RawClient.open(agg.forward.port);
    good.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(9)), 'ok'));
    expect(await good.waitFor(ackBytes('ok').length)).toEqual(ackBytes('ok'));
    good.socket.end();
  });

  it('stores Docker events and Falco alerts as CONTAINER_* events; a resent record is not duplicated', async () => {
    const cid = '9a8b7c6d5e4f' + '1'.repeat(52);
    const dockerEvent = JSON.stringify({ status: 'start', id: cid, from: 'nginx:1.25', Type: 'container', Action: 'start', Actor: { ID: cid, Attributes: { image: 'nginx:1.25', name: 'web' } }, scope: 'local', time: 1700000100, timeNano: 1700000100000000000 });
    const falco = JSON.stringify({ hostname: 'node-1', priority: 'Notice', rule: 'Terminal shell in container', time: '2024-05-01T10:00:00.000Z', output: 'shell', output_fields: { 'container.id': cid.slice(0, 12), 'container.name': 'web', 'proc.cmdline': 'sh -i', 'proc.tty': 1 } });
    const c = await RawClient.open(agg.forward.port);
    const frame = fluentBitForward('runtime', [entry(fixext8Time(1), { log: dockerEvent }), entry(fixext8Time(1), { log: falco })], 'rt-1');
    c.socket.write(frame);
    c.socket.write(fluentBitForward('runtime', [entry(fixext8Time(1), { log: dockerEvent })], 'rt-2'));
    await c.waitFor(ackBytes('rt-1').length + ackBytes('rt-2').length);
    c.socket.end();
    await sink.flush();
    const rows = readEvents(file).filter((r) => r.event_type.startsWith('CONTAINER_'));
    expect(rows.map((r) => r.event_type).sort()).toEqual(['CONTAINER_EXEC', 'CONTAINER_START']);
    expect(rows.every((r) => r.container_id?.startsWith('9a8b7c6d5e4f'))).toBe(true);
    expect(agg.counters.forward.containerEvents).toBe(3);
  });
});
