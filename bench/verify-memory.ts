// Memory of `verify --db`, side by side in one run: the table's rows read
// into one array and then verified (what the CLI did before 2026-12-05);
// verifyChainStream over the rows a page at a time in id order (2026-12-05);
// and the same chain after chain, each chain judged as it ends (order
// "chain", what the CLI does since 2026-12-06). Each way runs in a child
// process of its own; printed: its peak RSS, its heap still in use once
// every record is read (after a full GC: what the verifier keeps per
// record), its wall time, and the ratios.
//   npx tsx -C @audit-trail/source bench/verify-memory.ts [events=200000]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger, verifyChain, verifyChainStream, type VerifyRecord } from '@audit-trail/logger';
import { createSink, openVerifySource } from '@audit-trail/ingest-sink';

const [, self, arg, mode, dbArg, secretArg] = process.argv as string[];

if (mode === 'array' || mode === 'stream' || mode === 'chain') {
  // Child: verify the table one way, report what it cost.
  const gc = (globalThis as { gc?: () => void }).gc!;
  const keys = { k1: { secret: secretArg! } };
  let retained = 0;
  const started = performance.now();
  const measure = () => {
    gc();
    retained = process.memoryUsage().heapUsed;
  };
  let report;
  if (mode === 'array') {
    const rows: VerifyRecord[] = [];
    for await (const r of (await openVerifySource(`sqlite:${dbArg}`)).records()) rows.push(r);
    measure();
    report = verifyChain(rows, keys);
  } else {
    const order = mode === 'chain' ? 'chain' : 'id';
    const source = await openVerifySource(`sqlite:${dbArg}`, { order });
    // The last record read: measure before it goes on to the report.
    async function* measured(): AsyncGenerator<VerifyRecord> {
      yield* source.records();
      measure();
    }
    const times = source.times;
    report = await verifyChainStream(measured(), keys, order === 'chain' ? { order, asOf: times.event!, ...(times.stored ? { storedAsOf: times.stored } : {}) } : {});
  }
  if (!report.ok) throw new Error('bench chain did not verify');
  console.log(JSON.stringify({ records: report.records, rssKb: process.resourceUsage().maxRSS, retained, ms: performance.now() - started }));
  process.exit(0);
}

const n = Number(arg ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'at-verify-mem-'));
try {
  const db = join(dir, 'audit.db');
  const secret = randomBytes(32).toString('base64');
  const sink = createSink({ url: `sqlite:${db}`, spool: { dir: join(dir, 'spool') } });
  const lines: string[] = [];
  const log = createAuditLogger({ service: 'login-api', instance: 'api-1', destination: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) }, signing: { mode: 'shared', kid: 'k1', secret }, runtime: false });
  for (let i = 0; i < n; i++) {
    log.webauthnAuthFailure({ user_id: `user-${i % 5000}`, client_ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120', error: { code: 'ERROR_INVALID_SIGNATURE', message: 'signature verification failed' }, webauthn: { rp_id: 'example.com', credential_id: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8', failure_stage: 'signature' } } as never);
    if (lines.length >= 5000) await sink.write(lines.splice(0));
  }
  await log.close();
  await sink.write(lines.splice(0));
  await sink.flush();
  await sink.close();
  const run = (m: string) => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--conditions', '@audit-trail/source', self!, String(n), m, db, secret], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`${m}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { records: number; rssKb: number; retained: number; ms: number };
  };
  const array = run('array');
  const stream = run('stream');
  const chain = run('chain');
  const mb = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`node ${process.version}, ${array.records} stored records of one chain (SQLite)`);
  console.log(`  rows in one array, then verifyChain   peak RSS ${mb(array.rssKb * 1024).padStart(9)}   heap after reading ${mb(array.retained).padStart(9)} (${Math.round(array.retained / array.records)} B/record)   ${sec(array.ms)}`);
  console.log(`  verifyChainStream over pages          peak RSS ${mb(stream.rssKb * 1024).padStart(9)}   heap after reading ${mb(stream.retained).padStart(9)} (${Math.round(stream.retained / stream.records)} B/record)   ${sec(stream.ms)}`);
  console.log(`  the same, chain after chain           peak RSS ${mb(chain.rssKb * 1024).padStart(9)}   heap after reading ${mb(chain.retained).padStart(9)} (${Math.round(chain.retained / chain.records)} B/record)   ${sec(chain.ms)}`);
  console.log(`  ratio array / stream: peak RSS ${(array.rssKb / stream.rssKb).toFixed(2)}x, heap ${(array.retained / stream.retained).toFixed(2)}x`);
  console.log(`  ratio stream / chain after chain: peak RSS ${(stream.rssKb / chain.rssKb).toFixed(2)}x, heap ${(stream.retained / chain.retained).toFixed(2)}x, time ${(stream.ms / chain.ms).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
