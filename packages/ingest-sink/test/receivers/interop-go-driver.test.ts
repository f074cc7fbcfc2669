import { execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/receivers/aggregator.js';
import type { Sink } from '../../src/index.js';
import { longLine, makeEvent } from './helpers/events.js';
import { buildGoSender } from './helpers/go-sender.js';
import { aggregatorOnSqlite, readEvents, readRejects } from './helpers/real-sink.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

function run(bin: string, args: string[], stdin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { timeout: 25_000 }, (err, _out, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve()));
    child.stdin!.end(stdin);
  });
}

describe('interop: the Docker fluentd driver client (fluent-logger-golang, Debian) -> receiver -> real SQLite sink', () => {
  let agg: Aggregator;
  let file: string;
  let bin: string;
  let sink: Sink;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ agg, sink, file, stop } = await aggregatorOnSqlite({ forward: { port: 0 } }, (dir) => {
      bin = buildGoSender(dir);
    }));
  }, 120_000);
  afterAll(() => stop());

  for (const mode of ['ack', 'noack'] as const) {
    it(`stores Message-mode records with container metadata (${mode === 'ack' ? 'RequestAck' : 'no ack'})`, async () => {
      const events = Array.from({ length: 25 }, (_, i) => makeEvent(i));
      const lines = [...events.map((e) => JSON.stringify(e)), 'plain non-audit line', '{"log_type":"access"}'];
      const acksBefore = agg.counters.forward.acks;
      const nonAuditBefore = agg.counters.forward.nonAudit;
      await run(bin, [String(agg.forward.port), mode, mode === 'ack' ? 'subsec' : 'int', 'swarm.audit.node-1.webauthn-api.k3j4h5g6f7d8'], `${lines.join('\n')}\n`);
      // Without ack the Go client returns once written: wait until the receiver counted every request.
      for (let i = 0; i < 500 && agg.counters.forward.nonAudit - nonAuditBefore < 2; i++) await new Promise((r) => setTimeout(r, 10));
      await sink.flush();
      const rows = readEvents(file).filter((r) => events.some((e) => e.event_id === r.event_id));
      expect(rows).toHaveLength(25);
      expect(rows[0]).toMatchObject({
        container_id: '4f2c1e8a9b7d0c1e2f3a4b5c6d7e8f90112233445566778899aabbccddeeff00',
        container_name: 'webauthn-api.1.k3j4h5g6f7d8',
        swarm_node: 'node-1',
        source_tag: 'swarm.audit.node-1.webauthn-api.k3j4h5g6f7d8',
      });
      expect(agg.counters.forward.nonAudit - nonAuditBefore).toBe(2);
      expect(agg.counters.forward.acks - acksBefore).toBe(mode === 'ack' ? 27 : 0);
    });
  }

  it('stores the line the driver writes without RequestAck after the connection went idle (found by a probe)', async () => {
    const logs: Record<string, unknown>[] = [];
    const own = await startAggregator({ sink, forward: { port: 0, limits: { idleTimeoutMs: 300 } }, log: (e) => logs.push(e) });
    try {
      const [before, after] = [makeEvent(40), makeEvent(41)];
      const child = spawn(bin, [String(own.forward.port), 'noack', 'int', 'swarm.audit.node-1.webauthn-api.k3j4h5g6f7d8'], { stdio: ['pipe', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.on('exit', r));
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const until = async (what: string, ok: () => boolean) => {
        for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
        if (!ok()) throw new Error(`timed out waiting for ${what}`);
      };
      child.stdin!.write(`${JSON.stringify(before)}\n`);
      await until('the first line to be stored', () => own.counters.forward.accepted === 1);
      // The driver does not read its socket: the server's FIN goes unseen.
      await until('the connection to be closed as idle', () => logs.some((l) => l.msg === 'closing idle forward connection'));
      child.stdin!.end(`${JSON.stringify(after)}\n`);
      await exited;
      expect(out.match(/sent/g)).toHaveLength(2); // the driver reports both sent
      for (let i = 0; i < 500 && own.counters.forward.accepted < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(own.counters.forward.accepted).toBe(2);
      await sink.flush();
      expect(readEvents(file).filter((r) => r.event_id === after.event_id)).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  it('joins a line the driver split every 16 KiB, through the middle of UTF-8 characters, byte for byte', async () => {
    const { line, event } = longLine(5);
    const bytes = Buffer.from(line, 'utf8');
    expect(bytes.length).toBeGreaterThan(2 * 16 * 1024);
    expect(bytes[16 * 1024]! & 0xc0, 'the first cut falls inside a character').toBe(0x80);
    const before = { ...agg.counters.forward };
    await run(bin, [String(agg.forward.port), 'ack', 'subsec', 'swarm.audit.node-1.webauthn-api.k3j4h5g6f7d8'], `${line}\n`);
    await sink.flush();
    const row = readEvents(file).find((r) => r.event_id === event.event_id);
    expect(JSON.parse(row!.event_json)).toEqual(event);
    expect(agg.counters.forward.partialsBuffered - before.partialsBuffered).toBe(3);
    expect(agg.counters.forward.partialsReassembled - before.partialsReassembled).toBe(1);
    // Each piece alone is invalid UTF-8 on the wire; the joined line is not.
    expect(agg.counters.forward.invalidUtf8 - before.invalidUtf8).toBeGreaterThanOrEqual(2);
  });

  it('takes the last piece the client resends after its ack was lost for a resend: the line stored once, no piece left to expire as an incomplete line', async () => {
    const { line, event } = longLine(6);
    const proxy = await startTcpProxy(agg.forward.port);
    try {
      // The request of the last piece reaches the receiver, which stores the line; its ack never reaches the client.
      const lost = proxy.loseReplyTo(Buffer.concat([Buffer.from([0xac]), Buffer.from('partial_last'), Buffer.from([0xa4]), Buffer.from('true')]));
      const before = { ...agg.counters.forward };
      await run(bin, [String(proxy.port), 'ack', 'subsec', 'swarm.audit.node-1.webauthn-api.k3j4h5g6f7d8'], `${line}\n`);
      await lost;
      await sink.flush();
      expect(proxy.connections(), 'the client reconnected to resend').toBeGreaterThanOrEqual(2);
      expect(readEvents(file).filter((r) => r.event_id === event.event_id)).toHaveLength(1);
      // Nothing left open: a later expiry has no piece of this line to release as a reject.
      expect(agg.partialLines()).toEqual({ open: 0, bytes: 0 });
      const c = agg.counters.forward;
      expect(c.partialsBuffered - before.partialsBuffered, 'three pieces, the last twice').toBe(4);
      expect(c.partialsReassembled - before.partialsReassembled).toBe(1);
      expect(c.partialsResent - before.partialsResent).toBe(1);
      expect(readRejects(file).filter((r) => r.reason.startsWith('PARTIAL_'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
