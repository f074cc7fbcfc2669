/**
 * Audit logger throughput, side by side in one process run, same payload,
 * same destination (/dev/null through pino's sonic-boom):
 *
 *   raw pino (the same fields)  vs  audit logger unsigned / signed shared / signed sealed
 *
 * each synchronous (the audit default) and asynchronous. Cases are measured
 * in interleaved rounds. Prints events/s (median round) and time per event
 * relative to raw pino in the same write mode (median of per-round ratios),
 * with the machine's load average.
 *
 * Run: npx tsx -C @audit-trail/source bench/logger.ts [events]
 */
import os from 'node:os';
import { completeEvent } from '@audit-trail/schema';
import pino from 'pino';
import { createAuditLogger, generateSealingKeyPair, type AuditLogger } from '@audit-trail/logger';

const N = Number(process.argv[2] ?? 100_000);
const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const WARMUP = Math.min(5_000, N);
const DEST = '/dev/null';

const draft = {
  event_type: 'WEBAUTHN_AUTH_FAILURE' as const,
  user_id: 'user-1234567',
  client_ip: '203.0.113.7',
  client_ip_source: 'socket' as const,
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  correlation: { request_id: 'req-8f3a2c', trace_id: '0af7651916cd43dd8448eb211c80319c' },
  error: { code: 'SIGNATURE_INVALID', message: 'The assertion signature did not verify' },
  webauthn: {
    credential_id: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
    rp_id: 'example.com',
    origin: 'https://example.com',
    failure_stage: 'signature' as const,
    user_verified: true,
    sign_count: 42,
  },
};
const producer = { service: 'bench', version: '1.0.0', sdk_version: '0.1.0', instance: 'bench-1' };
const runtime = { swarm_node: 'node-1', swarm_service: 'bench', swarm_task_id: 'task123' };
// Raw pino logs the same fields the audit logger writes (envelope included).
const fullEvent = completeEvent(draft, { producer, runtime });

interface Case {
  name: string;
  mode: 'sync' | 'async';
  make(): { log(): void; done(): Promise<void> | void };
}

function audit(opts: Parameters<typeof createAuditLogger>[0]): { log(): void; done(): Promise<void> } {
  const a: AuditLogger = createAuditLogger({ service: 'bench', version: '1.0.0', instance: 'bench-1', runtime, destination: DEST, ...opts });
  return { log: () => void a.webauthnAuthFailure(draft), done: () => a.close(60_000) };
}

const secret = Buffer.alloc(32, 7);
const { publicKey } = generateSealingKeyPair();
const cases: Case[] = [
  {
    name: 'raw pino',
    mode: 'sync',
    make() {
      const dest = pino.destination({ dest: DEST, sync: true });
      const p = pino({ base: null }, dest);
      return { log: () => p.info(fullEvent), done: () => dest.flushSync() };
    },
  },
  { name: 'audit unsigned', mode: 'sync', make: () => audit({ signing: false }) },
  { name: 'audit signed shared', mode: 'sync', make: () => audit({ signing: { mode: 'shared', kid: 'k1', secret } }) },
  { name: 'audit signed sealed', mode: 'sync', make: () => audit({ signing: { mode: 'sealed', kid: 'v1', publicKey } }) },
  {
    name: 'raw pino',
    mode: 'async',
    make() {
      const dest = pino.destination({ dest: DEST, sync: false });
      const p = pino({ base: null }, dest);
      return { log: () => p.info(fullEvent), done: () => new Promise<void>((r) => dest.flush(() => r())) };
    },
  },
  { name: 'audit unsigned', mode: 'async', make: () => audit({ signing: false, sync: false }) },
  { name: 'audit signed shared', mode: 'async', make: () => audit({ signing: { mode: 'shared', kid: 'k1', secret }, sync: false }) },
];

// All cases are created first, then measured in many short interleaved
// rounds, so that load from other processes on the machine hits every case
// alike. Per case: the median round's time per event, and the median over
// rounds of its time relative to raw pino's in the same round (a ratio of
// neighbours in time, which load moves least).
const ROUNDS = 25;
const perRound = Math.ceil(N / ROUNDS);
const live = cases.map((c) => ({ c, inst: c.make(), rounds: [] as number[] }));
for (const l of live) for (let i = 0; i < WARMUP; i++) l.inst.log();
for (let r = 0; r < ROUNDS; r++) {
  for (const l of live) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) l.inst.log();
    l.rounds.push(Number(process.hrtime.bigint() - t0) / 1e9 / perRound);
  }
}
for (const l of live) await l.inst.done();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseOf = (c: Case) => live.find((l) => l.c.name === 'raw pino' && l.c.mode === c.mode)!;
const results = live.map((l) => ({
  c: l.c,
  perEvent: median(l.rounds),
  ratio: median(l.rounds.map((t, r) => t / baseOf(l.c).rounds[r]!)),
}));

console.log(`node ${process.version}, ${ROUNDS} interleaved rounds of ${perRound} events per case (median round), destination ${DEST}, pino ${pino.version}`);
console.log(`load average before: ${loadBefore}, after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
// Issue 3 targets: unsigned within 1.5x of raw pino's time per event, signed within 3x.
const target = (c: Case) => (c.name === 'raw pino' ? undefined : c.name === 'audit unsigned' ? 1.5 : 3);
console.log('case                         mode    events/s   us/event   vs raw pino (same mode, median of per-round ratios)');
for (const { c, perEvent, ratio } of results) {
  const t = target(c);
  const verdict = t === undefined ? '' : `   target <= ${t.toFixed(1)}x: ${ratio <= t ? 'met' : 'MISSED'}`;
  console.log(`${c.name.padEnd(28)} ${c.mode.padEnd(6)} ${(1 / perEvent).toFixed(0).padStart(10)} ${(perEvent * 1e6).toFixed(2).padStart(10)}   ${ratio.toFixed(2)}x${verdict}`);
}
