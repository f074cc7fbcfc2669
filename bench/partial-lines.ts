/**
 * Split lines benchmark: what the partial-line journal costs. Audit lines
 * over 16 KiB reach the aggregator as the Docker fluentd driver sends them:
 * pieces of 16 KiB (partial_* fields), Message mode, one piece per request,
 * each waiting for its ack (fluent-logger-golang with fluentd-request-ack),
 * from several containers at once. Side by side in one run, rounds
 * alternating: the pieces journaled (fsync before each ack, the default of
 * `audit-trail serve`), the pieces in memory only (`partials.journal:
 * false`, what a crash loses), and the same lines sent whole (what an agent
 * that joins them sends), all into the real sink on SQLite. Prints lines/s
 * (median of the rounds) and the ratios to the journaled path.
 *
 *   npx tsx -C @audit-trail/source bench/partial-lines.ts [lines=3000] [containers=4] [rounds=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { completeEvent } from '@audit-trail/schema';
import { startAggregator } from '@audit-trail/ingest-sink';

const LINES = Number(process.argv[2] ?? 3000);
const CONTAINERS = Number(process.argv[3] ?? 4);
const ROUNDS = Number(process.argv[4] ?? 3);
const PIECE = 16 * 1024;
const TAG = 'swarm.audit.node-1.webauthn-api.k3j4h5g6f7d8';

type Mode = 'journal' | 'memory' | 'whole';

/** One audit line of ~40 KB, ASCII (so pieces cut at 16 KiB of bytes are cut at characters too). */
function line(i: number): string {
  const original = JSON.stringify({ i, display_name: 'a"b\\c'.repeat(3200) }).slice(0, 16_000);
  const event = completeEvent(
    { event_type: 'AUDIT_SCHEMA_VIOLATION', violation: { attempted_event_type: 'WEBAUTHN_REGISTRATION_SUCCESS', issues: [{ path: 'user_id', message: 'Required' }], original } } as never,
    { producer: { service: 'bench' } },
  );
  return JSON.stringify(event);
}

/** The Docker driver's requests for one line: Message mode, every value a string, {chunk} for the ack. */
function requests(text: string, container: number, n: number, mode: Mode): Buffer[] {
  const base = { container_id: container.toString(16).padStart(64, '0'), container_name: `/svc.${container}`, source: 'stdout' };
  const chunk = (k: number) => ({ chunk: `c${container}-${n}-${k}` });
  if (mode === 'whole') return [Buffer.from(encode([TAG, 1700000000, { ...base, log: text }, chunk(0)]))];
  const out: Buffer[] = [];
  for (let at = 0, k = 1; at < text.length; at += PIECE, k++) {
    const last = at + PIECE >= text.length;
    const record = { ...base, log: text.slice(at, at + PIECE), partial_message: 'true', partial_id: `${container}-${n}`, partial_ordinal: String(k), partial_last: String(last) };
    out.push(Buffer.from(encode([TAG, 1700000000, record, chunk(k)])));
  }
  return out;
}

/** One container's driver: sends each request and waits for its ack before the next (stop-and-wait). */
async function driver(port: number, frames: Buffer[]): Promise<void> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  let acked = 0;
  let wake: (() => void) | undefined;
  // Each ack is a small map {"ack": "..."}: count them by their leading fixmap-1 byte and key.
  socket.on('data', (d: Buffer) => {
    for (let i = 0; i < d.length; i++) if (d[i] === 0x81 && d[i + 1] === 0xa3 && d[i + 2] === 0x61) acked++;
    wake?.();
  });
  for (let i = 0; i < frames.length; i++) {
    socket.write(frames[i]!);
    while (acked <= i) await new Promise<void>((r) => (wake = r));
  }
  socket.destroy();
}

async function round(mode: Mode, texts: string[][]): Promise<{ linesPerSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'at-bench-partials-'));
  try {
    const agg = await startAggregator({ sink: `sqlite:${join(dir, 'audit.db')}`, forward: { port: 0 }, ...(mode === 'memory' ? { partials: { journal: false } } : {}) });
    const frames = texts.map((lines, c) => lines.flatMap((t, n) => requests(t, c, n, mode)));
    const t0 = performance.now();
    await Promise.all(frames.map((f) => driver(agg.forward.port, f)));
    await agg.sink.flush?.();
    const seconds = (performance.now() - t0) / 1000;
    const c = agg.counters.forward;
    const total = texts.reduce((n, l) => n + l.length, 0);
    if (c.accepted !== total) throw new Error(`${mode}: ${c.accepted} of ${total} lines stored`);
    await agg.close();
    return { linesPerSec: total / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const per = Math.ceil(LINES / CONTAINERS);
let id = 0;
const texts = Array.from({ length: CONTAINERS }, () => Array.from({ length: per }, () => line(id++)));
const sample = texts[0]![0]!;
console.log(
  `node ${process.version}; ${per * CONTAINERS} lines of ${Buffer.byteLength(sample)} bytes (${Math.ceil(sample.length / PIECE)} pieces each), ${CONTAINERS} containers, each waiting for every ack; ${ROUNDS} rounds, modes alternating; SQLite`,
);
const modes: Mode[] = ['journal', 'memory', 'whole'];
const results = new Map<Mode, number[]>(modes.map((m) => [m, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 === 0 ? modes : [...modes].reverse()) {
    const { linesPerSec } = await round(mode, texts);
    results.get(mode)!.push(linesPerSec);
    console.log(`  round ${r + 1} ${mode.padEnd(7)} ${linesPerSec.toFixed(0)} lines/s`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const journal = median(results.get('journal')!);
const labels: Record<Mode, string> = {
  journal: 'pieces journaled (fsync before each ack; default)',
  memory: 'pieces in memory only (journal: false)',
  whole: 'the same lines sent whole (no pieces)',
};
for (const mode of modes) {
  const xs = results.get(mode)!;
  const m = median(xs);
  console.log(`  ${labels[mode].padEnd(52)} ${m.toFixed(0).padStart(7)} lines/s (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})   journaled/this = ${(journal / m).toFixed(2)}x`);
}
