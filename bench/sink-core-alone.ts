// The SQLite writer's own work, alone on one thread, against bench/sink.ts's
// ceiling (a prepared INSERT, one transaction per 1000 rows), same rows,
// interleaved rounds. The core is what the sink's writer thread runs per batch
// (src/adapters/sqlite/sqlite-core.js): its batches are built, packed and
// structured-cloned as the hop to the thread does, before the clock starts.
// Equal speed here means that what the sink loses against the ceiling is lost
// to running beside the main thread (validation, spool) and waiting for it,
// not in the writer's code.
//   npx tsx -C @audit-trail/source bench/sink-core-alone.ts [events=100000] [rounds=3]
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import Database from 'better-sqlite3';
import { migrationPlan, type ColumnValue } from '@audit-trail/schema';
import { sqliteCoreInit } from '../packages/ingest-sink/src/adapters/sqlite/sqlite-adapter.js';
import { openSqliteCore, type CoreBatch } from '../packages/ingest-sink/src/adapters/sqlite/sqlite-core.js';
import { packEventRows } from '../packages/ingest-sink/src/rows/row-chunk.js';
import { dedupeBatch } from '../packages/ingest-sink/src/sink/dedupe-batch.js';
import { prepareRows, toSpoolEntry, type EventRow, type PreparedRow } from '../packages/ingest-sink/src/sink/prepare.js';
import { benchEvents, measurePath, type PathResult } from './sink/events.js';
import { ceilingTransaction, freshDb } from './sink/sqlite.js';

const n = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'at-bench-core-'));
/** Removes the databases measured so far (with their WAL files), so no round pays for the previous one's. */
const clear = () => {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
};

async function ceiling(rows: ColumnValue[][]): Promise<PathResult> {
  const db = freshDb(dir, 'ceiling');
  const tx = ceilingTransaction(db);
  const m = await measurePath(rows.length, () => {
    for (let i = 0; i < rows.length; i += 1000) tx(rows.slice(i, i + 1000));
  });
  db.close();
  return m;
}

async function coreAlone(file: string, prepared: PreparedRow[]): Promise<PathResult> {
  const core = openSqliteCore(Database, sqliteCoreInit({ dialect: 'sqlite', filename: file }));
  core.migrate({ plan: migrationPlan('sqlite'), tables: [] });
  const batches: CoreBatch[] = [];
  for (let i = 0; i < prepared.length; i += 1000) {
    const events = dedupeBatch(prepared.slice(i, i + 1000)).rounds.flat() as EventRow[];
    batches.push(v8.deserialize(v8.serialize({ events: packEventRows(events), sources: events.map((e) => e.source), rejects: [] })) as CoreBatch);
  }
  const m = await measurePath(prepared.length, () => {
    for (const b of batches) core.write(b);
  });
  core.close();
  return m;
}

try {
  const { lines, rows } = benchEvents(n);
  // As the sink prepares them: 500-line writes, validated, projected and packed into row chunks.
  const prepared: PreparedRow[] = [];
  for (let i = 0; i < n; i += 500) prepared.push(...prepareRows(lines.slice(i, i + 500).map((line) => toSpoolEntry({ line }, 'direct')), 'direct'));
  const fmt = (m: PathResult) => `${String(m.rate).padStart(7)} rows/s ${m.cpu.toFixed(2)} µs CPU/row`;
  for (let r = 0; r < rounds; r++) {
    const c = await ceiling(rows);
    clear();
    const k = await coreAlone(join(dir, 'core.db'), prepared);
    clear();
    console.log(`round ${r + 1}: ceiling ${fmt(c)} | writer core alone ${fmt(k)} | core/ceiling ${(k.rate / c.rate).toFixed(2)}x`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
