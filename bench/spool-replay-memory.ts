// Peak memory and time to start a sink over a spool that a long outage
// filled, side by side in one run: the sink as it starts now (replay keeps
// the bytes of its memory budget, `spool.memoryBytes`, and only where the
// other records are: packages/ingest-sink/src/spool/spool.ts `loadBytes`)
// against reading every spooled record into memory, as replay did until
// 2026-12-07 (found by a probe: a 600 MiB spool took 784 MiB to open). Each
// runs in its own process under /usr/bin/time; ratio = every record / now.
//   npx tsx -C @audit-trail/source bench/spool-replay-memory.ts [spoolMiB=300]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const mib = Number(process.argv[2] ?? 300);
const REPO = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'at-spool-replay-'));
const spoolDir = join(dir, 'spool');
// Nothing listens on port 1: the database is down for the whole run, so everything stays spooled.
const DOWN = 'postgres://postgres@127.0.0.1:1/none';

/** Peak RSS (MB) and seconds of a child script under tsx; or why it failed. */
function measure(script: string, ...args: string[]): { mb: number; s: number; out: string } | { failed: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, '--conditions=@audit-trail/source', '--import', 'tsx', join(REPO, 'bench/spool-replay', script), spoolDir, DOWN, ...args], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 24 });
  const lines = r.stderr.trim().split('\n');
  if (r.status !== 0) return { failed: lines.filter((l) => !/^Command exited|^\d+ [\d.]+$/.test(l)).at(-1) ?? `status ${r.status}` };
  const [kb, s] = lines.at(-1)!.split(' ').map(Number);
  return { mb: Math.round(kb! / 1024), s: s!, out: r.stdout.trim() };
}

try {
  const filled = measure('fill.ts', String(mib));
  if ('failed' in filled) throw new Error(`filling the spool failed: ${filled.failed}`);
  console.log(`node ${process.version}; a spool of ${mib} MiB (${filled.out} of ~2.4 KB), database down; peak RSS and seconds per process, to ready`);
  const now = measure('open-sink.ts');
  const whole = measure('open-whole.ts');
  const shown = (r: ReturnType<typeof measure>) => ('failed' in r ? `failed: ${r.failed}` : `${r.mb} MB, ${r.s} s (${r.out})`);
  console.log(`  sink start now (replay keeps its memory budget)   ${shown(now)}`);
  console.log(`  every record read into memory (before)             ${shown(whole)}`);
  if (!('failed' in now) && !('failed' in whole)) console.log(`  every record / now = ${(whole.mb / now.mb).toFixed(1)}x memory`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
