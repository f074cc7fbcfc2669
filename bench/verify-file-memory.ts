// Memory of `audit-trail verify FILE`, side by side in one run: one read
// (verifyChainStream: a few fields of every chain record kept to the end,
// since a file's records may come in any order) against two reads
// (verifyChainTwoPass: the first finds the chains whose records come in seq
// order, the second judges those record by record). The file holds 4 chains
// interleaved as 4 producers write into one log. Each way runs in a child
// process of its own; printed: its peak RSS, its heap still in use once
// every record is read (after a full GC), its wall time, and the ratios.
//   npx tsx -C @audit-trail/source bench/verify-file-memory.ts [events=200000]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger, streamNdjson, verifyChainStream, verifyChainTwoPass, type VerifyRecord } from '@audit-trail/logger';

const [, self, arg, mode, fileArg, secretArg] = process.argv as string[];

if (mode === 'one' || mode === 'two') {
  // Child: verify the file one way, report what it cost.
  const gc = (globalThis as { gc?: () => void }).gc!;
  const keys = { k1: { secret: secretArg! } };
  let retained = 0;
  let reads = 0;
  const started = performance.now();
  // The last record of the (last) read: measure before the chains are judged.
  async function* measured(): AsyncGenerator<VerifyRecord> {
    reads++;
    yield* streamNdjson(createReadStream(fileArg!), fileArg!);
    gc();
    retained = process.memoryUsage().heapUsed;
  }
  const report = mode === 'one' ? await verifyChainStream(measured(), keys) : await verifyChainTwoPass(measured, keys);
  if (!report.ok || report.chains.length !== 4) throw new Error('bench chains did not verify');
  console.log(JSON.stringify({ records: report.records, reads, rssKb: process.resourceUsage().maxRSS, retained, ms: performance.now() - started }));
  process.exit(0);
}

const n = Number(arg ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'at-verify-file-'));
try {
  const file = join(dir, 'audit.ndjson');
  const secret = randomBytes(32).toString('base64');
  const out = createWriteStream(file);
  const loggers = Array.from({ length: 4 }, (_, p) =>
    createAuditLogger({ service: 'login-api', instance: `api-${p}`, destination: { write: (s: string) => void out.write(s) }, signing: { mode: 'shared', kid: 'k1', secret }, runtime: false }),
  );
  for (let i = 0; i < n; i++) {
    loggers[i % 4]!.webauthnAuthFailure({ user_id: `user-${i % 5000}`, client_ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120', error: { code: 'ERROR_INVALID_SIGNATURE', message: 'signature verification failed' }, webauthn: { rp_id: 'example.com', credential_id: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8', failure_stage: 'signature' } } as never);
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  for (const log of loggers) await log.close();
  out.end();
  await once(out, 'finish');
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(`node ${process.version}; ${n} events of 4 interleaved chains, ${mib(statSync(file).size)} MiB of NDJSON`);
  const results: Record<string, { records: number; reads: number; rssKb: number; retained: number; ms: number }> = {};
  for (const m of ['one', 'two'] as const) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--conditions', '@audit-trail/source', self!, String(n), m, file, secret], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`${m}: ${r.stderr}`);
    results[m] = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  }
  const labels = { one: 'one read (verifyChainStream)', two: 'two reads (verifyChainTwoPass)' };
  for (const m of ['one', 'two'] as const) {
    const r = results[m]!;
    console.log(`  ${labels[m].padEnd(32)} ${r.records} records, ${r.reads} read(s): heap after reading ${mib(r.retained).padStart(5)} MiB, peak RSS ${mib(r.rssKb * 1024).padStart(5)} MiB, ${(r.ms / 1000).toFixed(1)} s`);
  }
  const [one, two] = [results.one!, results.two!];
  console.log(`  two reads / one read: heap ${(two.retained / one.retained).toFixed(2)}x, peak RSS ${(two.rssKb / one.rssKb).toFixed(2)}x, time ${(two.ms / one.ms).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
