// Rows per second into SQLite and PostgreSQL through each write path, same
// events, one run, with ratios against the sink's batched path.
//   npx tsx -C @audit-trail/source bench/sink.ts [events=100000] [rowAtATime=5000] [sqlite|postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAuditEvent } from '@audit-trail/schema';
import { benchEvents, rate, time } from './sink/events.js';
import { benchPostgres } from './sink/postgres.js';
import { benchSqlite } from './sink/sqlite.js';

const n = Number(process.argv[2] ?? 100_000);
const rowAtATime = Number(process.argv[3] ?? 5000);
const only = process.argv[4];
const dir = mkdtempSync(join(tmpdir(), 'at-bench-'));

function print(title: string, results: Record<string, number>): void {
  const sink = Object.entries(results).find(([k]) => k.startsWith('sink'))![1];
  console.log(`\n${title} (${n} events; rows/s; ratio = sink / path)`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`  ${name.padEnd(55)} ${String(r).padStart(8)}   sink/this = ${(sink / r).toFixed(2)}x`);
  }
}

try {
  const { lines, rows } = benchEvents(n);
  console.log(`node ${process.version}, ${lines.length} events, mean line ${Math.round(lines.reduce((a, l) => a + l.length, 0) / lines.length)} bytes`);
  // The sink validates every event with the schema; the ceilings do not. This is that cost alone, on one core.
  const ms = await time(() => {
    for (const l of lines) if (!parseAuditEvent(l).ok) throw new Error('invalid bench event');
  });
  console.log(`parseAuditEvent alone (one core): ${rate(lines.length, ms)} events/s`);
  if (only !== 'postgres') print('SQLite (WAL, synchronous=FULL, file in tmpdir)', await benchSqlite(dir, lines, rows, rowAtATime));
  if (only !== 'sqlite') print('PostgreSQL 15 (127.0.0.1)', await benchPostgres(dir, lines, rows, rowAtATime));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
