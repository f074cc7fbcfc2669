/**
 * Receiver benchmark (issue 6): events/s end to end, client -> receiver ->
 * durable (spool fsync, ack) -> database commit, with PackedForward requests
 * of 1 000 events, into SQLite and PostgreSQL, next to @fluent-org/logger's
 * FluentServer (acks on receipt, stores nothing) as the baseline; plus the
 * Docker-driver shape (Message mode, one event per request, waiting for each
 * ack). Prints events/s, ratios and the receiver's peak RSS (VmHWM); the
 * SQLite scenario runs twice: with Node's defaults (`audit-trail serve` as
 * npm installs it) and with the environment the Docker image sets (read from
 * the Dockerfile: memory settings only process start-up reads).
 *
 *   npx tsx -C @audit-trail/source bench/receiver.ts [events=200000]
 * The receiver process runs the built packages (dist/; `npm ci` or `npm run build` makes them).
 *   BENCH_ONLY=sqlite|postgres|image ... runs only that scenario (see receiver-server.mjs for BENCH_DEBUG);
 *   BENCH_RECEIVER_NODE_OPTIONS='--max-semi-space-size=8' passes V8 flags to the receiver;
 *   AUDIT_TRAIL_HEAP_GROWING_PERCENT=0 runs it with V8's own heap growth instead of serve's default.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { completeEvent } from '@audit-trail/schema';
import pg from 'pg';
import { formatGc, type GcTotals } from './gc-totals.mjs';
import { imageSettings } from './image-settings.js';

const TOTAL = Number(process.argv[2] ?? 200_000);
const BATCH = 1000;
const CONNECTIONS = 4;
const WINDOW = 4; // chunks in flight per connection
/** How the receiver process is started: extra environment. */
interface ChildSettings {
  env?: Record<string, string>;
}
/**
 * What the aggregator image sets (its Dockerfile's ENV, read from there):
 * settings only process start-up reads, for a receiver that must stay small
 * (docs/operations.md, Sizing).
 */
const IMAGE: ChildSettings = { env: imageSettings(join(import.meta.dirname, '..')) };

interface Child {
  proc: ChildProcess;
  port: number;
  committed: number;
  /** Main-thread GC totals reported by the receiver process. */
  gc?: GcTotals;
}

async function startChild(mode: string, url = '', spool = '', settings: ChildSettings = {}): Promise<Child> {
  const extra = process.env.BENCH_RECEIVER_NODE_OPTIONS ? process.env.BENCH_RECEIVER_NODE_OPTIONS.split(' ') : [];
  // The receiver runs the built packages under plain node (no TypeScript loader), as `audit-trail serve` does.
  const proc = spawn(process.execPath, [...extra, join(import.meta.dirname, 'receiver-server.mjs'), mode, url, spool], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...settings.env },
  });
  const child: Child = { proc, port: 0, committed: 0 };
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // V8 tracing flags (--trace-gc...) print to stdout too: pass such lines on.
        if (!line.startsWith('{')) {
          process.stderr.write(`${line}\n`);
          continue;
        }
        const msg = JSON.parse(line) as { port?: number; committed?: number; gc?: GcTotals };
        if (msg.port) {
          child.port = msg.port;
          resolve();
        }
        if (msg.committed !== undefined) child.committed = msg.committed;
        if (msg.gc) child.gc = msg.gc;
      }
    });
    proc.on('exit', (c) => reject(new Error(`receiver exited ${c}`)));
  });
  return child;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function stop(child: Child): Promise<void> {
  const done = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGTERM');
  await done;
}

/** PackedForward frames (bin entries, as @fluent-org/logger and Fluent Bit send), each with a chunk id. */
function buildFrames(total: number, salt: string): { frame: Buffer; ack: Buffer }[] {
  const frames: { frame: Buffer; ack: Buffer }[] = [];
  const time = Buffer.from([0xd7, 0x00, 0x65, 0x53, 0xf1, 0x00, 0, 0, 0, 0]);
  for (let c = 0; c * BATCH < total; c++) {
    const entries: Buffer[] = [];
    for (let i = 0; i < BATCH && c * BATCH + i < total; i++) {
      const ev = completeEvent(
        { event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: `u-${c}-${i}`, client_ip: '198.51.100.4', webauthn: { credential_id: 'Y3JlZGVudGlhbA', sign_count: i, user_verified: true } },
        { producer: { service: `bench-${salt}` } },
      );
      entries.push(Buffer.concat([Buffer.from([0x92]), time, Buffer.from(encode({ log: JSON.stringify(ev), container_id: 'ab'.repeat(32), container_name: '/api.1.x', source: 'stdout' }))]));
    }
    const body = Buffer.concat(entries);
    const chunk = `${salt}-${c}`.padEnd(24, '=');
    const head = Buffer.alloc(5);
    head[0] = 0xc6;
    head.writeUInt32BE(body.length, 1);
    frames.push({
      frame: Buffer.concat([Buffer.from([0x93]), Buffer.from(encode('swarm.audit.n1.api.t1')), head, body, Buffer.from(encode({ size: entries.length, chunk }))]),
      ack: Buffer.from(encode({ ack: chunk })),
    });
  }
  return frames;
}

/** Sends frames over `CONNECTIONS` sockets with `WINDOW` chunks in flight each; resolves when all are acked. */
async function sendAll(port: number, frames: { frame: Buffer; ack: Buffer }[], connections = CONNECTIONS, window = WINDOW): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const s: Socket = await new Promise((resolve, reject) => {
        const sock = connect(port, '127.0.0.1', () => resolve(sock));
        sock.once('error', reject);
      });
      s.setNoDelay(true);
      const expected: Buffer[] = [];
      let buf: Buffer = Buffer.alloc(0);
      let wake: (() => void) | undefined;
      s.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        while (expected.length && buf.length >= expected[0]!.length) {
          const exp = expected.shift()!;
          if (!buf.subarray(0, exp.length).equals(exp)) throw new Error('ack mismatch');
          buf = buf.subarray(exp.length);
        }
        wake?.();
      });
      const pump = async () => {
        while (next < frames.length || expected.length) {
          while (expected.length < window && next < frames.length) {
            const f = frames[next++]!;
            expected.push(f.ack);
            s.write(f.frame);
          }
          await new Promise<void>((r) => (wake = r));
        }
      };
      await pump();
      s.end();
    }),
  );
}

async function waitCommitted(child: Child, n: number): Promise<void> {
  while (child.committed < n) await new Promise((r) => setTimeout(r, 5));
}

interface Result {
  name: string;
  acked: number;
  committed: number;
  rss: number;
  /** Receiver's main-thread GC over the run. */
  gc: string;
}

async function runPacked(name: string, mode: string, url: string, spool: string, frames: { frame: Buffer; ack: Buffer }[], total: number, settings: ChildSettings = {}): Promise<Result> {
  const child = await startChild(mode, url, spool, settings);
  const t0 = performance.now();
  await sendAll(child.port, frames);
  const t1 = performance.now();
  await waitCommitted(child, total);
  const t2 = performance.now();
  const rss = peakRssMb(child.proc.pid!);
  await stop(child);
  return { name, acked: total / ((t1 - t0) / 1000), committed: total / ((t2 - t0) / 1000), rss, gc: child.gc ? formatGc(child.gc) : '' };
}

async function runDocker(name: string, mode: string, url: string, spool: string, n: number, connections: number): Promise<Result> {
  const frames: { frame: Buffer; ack: Buffer }[] = [];
  for (let i = 0; i < n; i++) {
    const ev = completeEvent({ event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: `d-${i}`, webauthn: { credential_id: 'Y3JlZGVudGlhbA', sign_count: i, user_verified: true } }, { producer: { service: 'bench-docker' } });
    const chunk = `d${i}`.padEnd(24, '=');
    frames.push({
      frame: Buffer.from(encode(['abcdef012345', Math.floor(Date.now() / 1000), { container_id: 'ab'.repeat(32), container_name: '/api.1.x', source: 'stdout', log: JSON.stringify(ev) }, { chunk }])),
      ack: Buffer.from(encode({ ack: chunk })),
    });
  }
  const child = await startChild(mode, url, spool);
  const t0 = performance.now();
  await sendAll(child.port, frames, connections, 1);
  const t1 = performance.now();
  await waitCommitted(child, n);
  const t2 = performance.now();
  const rss = peakRssMb(child.proc.pid!);
  await stop(child);
  return { name, acked: n / ((t1 - t0) / 1000), committed: n / ((t2 - t0) / 1000), rss, gc: child.gc ? formatGc(child.gc) : '' };
}

const tmp = mkdtempSync(join(tmpdir(), 'at-bench-recv-'));
const pgName = `at_bench_recv_${process.pid}`;
const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${pgName}`);
const results: Result[] = [];
try {
  console.log(`receiver benchmark: ${TOTAL} events, PackedForward x${BATCH}, ${CONNECTIONS} connections x ${WINDOW} chunks in flight`);
  const only = process.env.BENCH_ONLY;
  if (only === 'sqlite' || only === 'postgres' || only === 'image') {
    const url = only === 'postgres' ? `postgres://postgres@127.0.0.1:5432/${pgName}` : `sqlite:${join(tmp, 'bench.db')}`;
    const name = only === 'image' ? 'sqlite, Docker image settings' : only;
    results.push(await runPacked(`audit-trail -> ${name} (ack after spool fsync)`, 'aggregator', url, join(tmp, 'spool-only'), buildFrames(TOTAL, 'only'), TOTAL, only === 'image' ? IMAGE : {}));
    for (const r of results) console.log(r);
  } else {
    await runAll();
  }
} finally {
  // Every path ends here, so the bench database and the temporary directory never outlive a run.
  await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  await admin.end();
  rmSync(tmp, { recursive: true, force: true });
}

/** Every scenario, then the table and the ratios. */
async function runAll(): Promise<void> {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
  results.push(await runPacked('FluentServer (baseline, ack on receipt, no storage)', 'fluentserver', '', '', buildFrames(TOTAL, 'fs'), TOTAL));
  results.push(await runPacked('audit-trail -> SQLite (ack after spool fsync)', 'aggregator', `sqlite:${join(tmp, 'bench.db')}`, join(tmp, 'spool-sqlite'), buildFrames(TOTAL, 'sq'), TOTAL));
  results.push(await runPacked('audit-trail -> PostgreSQL (ack after spool fsync)', 'aggregator', `postgres://postgres@127.0.0.1:5432/${pgName}`, join(tmp, 'spool-pg'), buildFrames(TOTAL, 'pg'), TOTAL));
  results.push(await runPacked('audit-trail -> SQLite, Docker image settings', 'aggregator', `sqlite:${join(tmp, 'bench-image.db')}`, join(tmp, 'spool-image'), buildFrames(TOTAL, 'im'), TOTAL, IMAGE));
  const dockerN = 3000;
  results.push(await runDocker('Docker shape, FluentServer, 1 conn', 'fluentserver', '', '', dockerN, 1));
  results.push(await runDocker('Docker shape, SQLite, 1 conn stop-and-wait', 'aggregator', `sqlite:${join(tmp, 'docker.db')}`, join(tmp, 'spool-d1'), dockerN, 1));
  results.push(await runDocker('Docker shape, SQLite, 16 containers', 'aggregator', `sqlite:${join(tmp, 'docker16.db')}`, join(tmp, 'spool-d16'), dockerN * 4, 16));
  console.log(`\n${'scenario'.padEnd(52)} ${'acked ev/s'.padStart(10)} ${'committed ev/s'.padStart(15)} ${'peak RSS MB'.padStart(12)}`);
  for (const r of results) console.log(`${r.name.padEnd(52)} ${fmt(r.acked)} ${fmt(r.committed).padStart(15)} ${r.rss.toFixed(1).padStart(12)}`);
  console.log('\nreceiver main-thread GC:');
  for (const r of results) console.log(`  ${r.name}: ${r.gc}`);
  const [base, sq, pgr, image] = results;
  console.log(`\nratio SQLite/FluentServer (committed vs acked-on-receipt): ${(sq!.committed / base!.acked).toFixed(2)}`);
  console.log(`ratio PostgreSQL/FluentServer: ${(pgr!.committed / base!.acked).toFixed(2)}`);
  const settings = Object.entries(IMAGE.env!).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`Docker image settings (${settings}) vs Node's defaults, SQLite: ${(image!.committed / sq!.committed).toFixed(2)}x the events/s, ${(image!.rss / sq!.rss).toFixed(2)}x the peak RSS`);
  console.log('target: >= 70 000 events/s into SQLite with ack after the durable write, peak RSS < 150 MB');
  for (const r of [sq!, image!]) {
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(`  ${r.name}: ${Math.round(r.committed).toLocaleString('en-US')} events/s ${verdict(r.committed >= 70_000)}, ${r.rss.toFixed(1)} MB ${verdict(r.rss < 150)}`);
  }
}
