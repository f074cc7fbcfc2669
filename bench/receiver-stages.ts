/**
 * Where the time of one forward request goes, stage by stage, in one
 * process (single thread unless the sink uses its worker): receiver decode +
 * normalisation, schema validation alone (parseAuditEvent), sink.write up to
 * the durable spool (what the ack waits for), and sink commit. Explains the
 * end-to-end figure of bench/receiver.ts.
 *
 *   npx tsx -C @audit-trail/source bench/receiver-stages.ts [requests=100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { completeEvent, parseAuditEvent } from '@audit-trail/schema';
import { createSink, DEFAULT_FORWARD_LIMITS, DEFAULT_TAG_TEMPLATE } from '@audit-trail/ingest-sink';
import { newCounters } from '../packages/ingest-sink/src/receivers/counters.js';
import { ForwardConnection } from '../packages/ingest-sink/src/receivers/forward/connection.js';
import { RecordNormalizer } from '../packages/ingest-sink/src/normalize/record.js';
import { MEMORY_ONLY } from '../packages/ingest-sink/src/normalize/partial-journal.js';

const REQUESTS = Number(process.argv[2] ?? 100);
const frames: Buffer[] = [];
const lines: string[][] = [];
for (let c = 0; c < REQUESTS; c++) {
  const entries: Buffer[] = [];
  const ls: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const line = JSON.stringify(completeEvent({ event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: `u-${c}-${i}`, client_ip: '198.51.100.4', webauthn: { credential_id: 'Y3JlZGVudGlhbA', sign_count: i, user_verified: true } }, { producer: { service: 'stages' } }));
    ls.push(line);
    entries.push(Buffer.concat([Buffer.from([0x92, 0xd7, 0, 0x65, 0x53, 0xf1, 0, 0, 0, 0, 0]), Buffer.from(encode({ log: line, container_id: 'ab'.repeat(32), container_name: '/api.1.x', source: 'stdout' }))]));
  }
  lines.push(ls);
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(5);
  head[0] = 0xc6;
  head.writeUInt32BE(body.length, 1);
  frames.push(Buffer.concat([Buffer.from([0x93]), Buffer.from(encode('swarm.audit.n1.api.t1')), head, body, Buffer.from(encode({ size: 1000, chunk: 'c' }))]));
}
const N = REQUESTS * 1000;
const rate = (t0: number) => Math.round(N / ((performance.now() - t0) / 1000));
const out: [string, number][] = [];

// 1. Receiver only: scan, decode, normalise; the sink is a no-op.
const counters = newCounters();
const normalizer = new RecordNormalizer({ tagTemplate: DEFAULT_TAG_TEMPLATE, partials: { maxLineBytes: 1 << 22, maxOpen: 1000, maxOpenBytes: 1 << 30, maxAgeMs: 60_000 } }, counters);
const noop = { write: async (items: unknown[]) => ({ accepted: items.length, rejected: 0 }) };
const transport = { write: () => true, end() {}, pause() {}, resume() {} };
let t = performance.now();
for (const f of frames) {
  const conn = new ForwardConnection(transport, { sink: noop, counters, normalizer, partials: MEMORY_ONLY, log: () => {}, limits: DEFAULT_FORWARD_LIMITS, keepalive: true, peer: 'bench', address: 'bench' });
  conn.feed(f);
  await conn.drain();
}
out.push(['receiver: decode + normalise (no sink)', rate(t)]);

// 2. Schema validation alone (done by the sink on the main thread).
t = performance.now();
for (const ls of lines) for (const l of ls) parseAuditEvent(l);
out.push(['parseAuditEvent (zod) alone', rate(t)]);

// 3 + 4. The real sink on SQLite: write (to spool fsync, 16 requests in flight), then commit.
const dir = mkdtempSync(join(tmpdir(), 'at-stages-'));
const sink = createSink({ url: `sqlite:${join(dir, 'a.db')}`, spool: { dir: join(dir, 'spool') } });
await sink.ready;
t = performance.now();
const inflight: Promise<unknown>[] = [];
for (const ls of lines) {
  inflight.push(sink.write(ls.map((line) => ({ line, meta: { source_tag: 'x' } }))));
  if (inflight.length >= 16) await inflight.shift();
}
await Promise.all(inflight);
out.push(['sink.write -> durable spool (ack point)', rate(t)]);
await sink.flush();
out.push(['sink.write + commit into SQLite', rate(t)]);
await sink.close();
rmSync(dir, { recursive: true, force: true });

console.log(`${N} events in requests of 1000`);
for (const [name, r] of out) console.log(`${name.padEnd(44)} ${r.toLocaleString('en-US').padStart(10)} events/s  (${(1e6 / r).toFixed(1)} us/event)`);
