// Rows per second into SQLite and PostgreSQL through each write path, same
// events, one run, with ratios against the sink's batched path. Every round
// runs all paths back to back (fresh tables); the table shows each path's
// median and range over the rounds, and the ratios are taken from medians, so
// one slow stretch of the disk cannot decide a ratio.
//   npx tsx -C @audit-trail/source bench/sink.ts [events=100000] [rowAtATime=5000] [sqlite|postgres] [rounds=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAuditEvent } from '@audit-trail/schema';
import { benchEvents, rate, time, type PathResult } from './sink/events.js';
import { benchPostgres } from './sink/postgres.js';
import { benchSqlite } from './sink/sqlite.js';

const n = Number(process.argv[2] ?? 100_000);
const rowAtATime = Number(process.argv[3] ?? 5000);
const only = process.argv[4] || undefined;
const rounds = Number(process.argv[5] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'at-bench-'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Runs `bench` `rounds` times and prints each path's median rows/s (range),
 * the sink's ratio to it, and the median CPU per row it cost: this
 * process's, and the database server's where it was sampled.
 */
async function report(title: string, bench: () => Promise<Record<string, PathResult>>): Promise<void> {
  const runs: Record<string, PathResult>[] = [];
  for (let r = 0; r < rounds; r++) runs.push(await bench());
  const names = Object.keys(runs[0]!);
  const med = Object.fromEntries(names.map((k) => [k, median(runs.map((x) => x[k]!.rate))]));
  const medianOf = (prefix: string) => Object.entries(med).find(([k]) => k.startsWith(prefix))![1];
  const sink = medianOf('sink');
  const serverSampled = runs.every((x) => names.every((k) => x[k]!.server !== undefined));
  console.log(`\n${title} (${n} events, ${rounds} rounds; rows/s median (min-max); ratio = sink / path, from medians; CPU µs per row, medians: this process${serverSampled ? ' + the database server' : ''})`);
  for (const name of names) {
    const r = med[name]!;
    const xs = runs.map((x) => x[name]!.rate);
    const range = `(${Math.min(...xs)}-${Math.max(...xs)})`;
    const cpu = median(runs.map((x) => x[name]!.cpu)).toFixed(1);
    const server = serverSampled ? ` + ${median(runs.map((x) => x[name]!.server!)).toFixed(1)}` : '';
    console.log(`  ${name.padEnd(55)} ${String(r).padStart(8)} ${range.padEnd(17)} sink/this = ${(sink / r).toFixed(2)}x   CPU ${cpu}${server} µs/row`);
  }
  // Issue 5's targets for the sink's batched path, from the same medians.
  const ratio = (prefix: string) => sink / medianOf(prefix);
  const verdict = (x: number, ok: boolean, target: string) => `${x.toFixed(2)}x (${target}) ${ok ? 'met' : 'NOT met'}`;
  const [c, l, o] = [ratio('ceiling'), ratio('1000-row literal'), ratio('one INSERT')];
  console.log(`  targets: vs ceiling ${verdict(c, c >= 0.8, '>= 0.8x')}; vs literal ${verdict(l, l > 1, '> 1x')}; vs row-at-a-time ${verdict(o, o >= 20, '>= 20x')}`);
}

try {
  const { lines, rows } = benchEvents(n);
  console.log(`node ${process.version}, ${lines.length} events, mean line ${Math.round(lines.reduce((a, l) => a + l.length, 0) / lines.length)} bytes`);
  // The sink validates every event with the schema; the ceilings do not. This is that cost alone, on one core.
  const ms = await time(() => {
    for (const l of lines) if (!parseAuditEvent(l).ok) throw new Error('invalid bench event');
  });
  console.log(`parseAuditEvent alone (one core): ${rate(lines.length, ms)} events/s`);
  if (only !== 'postgres') await report('SQLite (WAL, synchronous=FULL, file in tmpdir)', () => benchSqlite(dir, lines, rows, rowAtATime));
  if (only !== 'sqlite') await report('PostgreSQL 15 (127.0.0.1)', () => benchPostgres(dir, lines, rows, rowAtATime));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
