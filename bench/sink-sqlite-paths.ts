// SQLite alone (no sink, no validation): what transaction size, WAL
// autocheckpoint, page cache and each index of the events table cost, in
// rows/s (wall) and CPU us/row (robust to a busy machine). Explains the
// pragmas of src/adapters/sqlite/sqlite-core.js and the index figures in the
// ingest-sink README. Each database starts from SQLite's defaults (4 KiB
// pages) plus WAL, synchronous=FULL and the pragmas its run names; the sink's
// full set is applySqlitePragmas (sqlite-core.js).
//   npx tsx -C @audit-trail/source bench/sink-sqlite-paths.ts [events=100000] [all|base,tx,multi,prag,bind,page,idx]
//   BENCH_PAGE_KIB=4,4,16,4,16 ... page   page sizes to run, in order (KiB)
import { rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { createTableStatements, EVENTS_TABLE, INSERT_COLUMNS, type ColumnValue } from '@audit-trail/schema';
import { SQLITE_CHECKPOINT_BYTES } from '../packages/ingest-sink/src/adapters/sqlite/sqlite-core.js';
import { benchEvents, rate } from './sink/events.js';

const n = Number(process.argv[2] ?? 100000);
const which = (process.argv[3] ?? 'all').split(',');
const dir = mkdtempSync(join(tmpdir(), 'at-bench-sqlite-'));
const { rows } = benchEvents(n);
const COLS = INSERT_COLUMNS.map((c) => c.name).join(', ');
const ph = `(${INSERT_COLUMNS.map(() => '?').join(', ')})`;
function fresh(name: string, pragmas: string[] = [], dropIdx: string[] = [], pre: string[] = []) {
  const file = join(dir, `${name}.db`); rmSync(file, { force: true });
  const db = new Database(file);
  // Pragmas that must precede the first write (page_size), hence before WAL.
  for (const p of pre) db.pragma(p);
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
  for (const p of pragmas) db.pragma(p);
  for (const s of createTableStatements('sqlite')) if (!dropIdx.some((d) => s.includes(d + ' '))) db.exec(s);
  return db;
}
function run(name: string, opts: { tx?: number; multi?: number; pragmas?: string[]; drop?: string[]; pre?: string[]; bindArray?: boolean } = {}) {
  const tx = opts.tx ?? 1000; const multi = opts.multi ?? 1;
  const db = fresh(name, opts.pragmas, opts.drop, opts.pre);
  const one = db.prepare(`INSERT INTO ${EVENTS_TABLE} (${COLS}) VALUES ${ph} ON CONFLICT(event_id) DO NOTHING`);
  const many = multi > 1 ? db.prepare(`INSERT INTO ${EVENTS_TABLE} (${COLS}) VALUES ${Array(multi).fill(ph).join(',')} ON CONFLICT(event_id) DO NOTHING`) : undefined;
  const t = db.transaction((chunk: ColumnValue[][]) => {
    let i = 0;
    if (many) for (; i + multi <= chunk.length; i += multi) many.run(chunk.slice(i, i + multi).flat());
    // Values as arguments, as the sink binds them; bindArray passes the array (slower: sqlite-core.js).
    if (opts.bindArray) for (; i < chunk.length; i++) one.run(chunk[i]);
    else for (; i < chunk.length; i++) one.run(...chunk[i]!);
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += tx) t.immediate(rows.slice(i, i + tx));
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(40), String(rate(rows.length, ms)).padStart(7), 'rows/s', ((c.user + c.system) / rows.length).toFixed(1).padStart(6), 'us CPU/row', ((ms * 1000 - (c.user + c.system)) / rows.length).toFixed(1), 'us wait/row');
  db.close();
}
const all = which.includes('all');
if (all || which.includes('base')) run('ceiling 1000');
if (all || which.includes('tx')) { run('tx 5000', { tx: 5000 }); run('tx 10000', { tx: 10000 }); }
if (all || which.includes('multi')) { run('multi 10 tx1000', { multi: 10 }); run('multi 50 tx1000', { multi: 50 }); }
if (all || which.includes('prag')) {
  run('ckpt 10000', { pragmas: ['wal_autocheckpoint = 10000'] });
  run('cache 64MB', { pragmas: ['cache_size = -65536'] });
  run('ckpt+cache tx5000', { tx: 5000, pragmas: ['wal_autocheckpoint = 10000', 'cache_size = -65536'] });
  run('ckpt 10000 tx5000', { tx: 5000, pragmas: ['wal_autocheckpoint = 10000'] });
  run('ckpt 4000 tx5000', { tx: 5000, pragmas: ['wal_autocheckpoint = 4000'] });
  run('no autockpt tx5000', { tx: 5000, pragmas: ['wal_autocheckpoint = 0'] });
  run('cache 16MB tx5000', { tx: 5000, pragmas: ['cache_size = -16384'] });
}
if (all || which.includes('bind')) {
  run('bind values as arguments');
  run('bind one array', { bindArray: true });
}
if (all || which.includes('page')) {
  // Page size, with the sink's pragmas (WAL checkpoint every ~40 MB whatever
  // the page size). Later runs in one process come out faster, so compare
  // interleaved sizes after a warm-up: BENCH_PAGE_KIB=4,4,16,4,16,4,16.
  for (const kb of (process.env.BENCH_PAGE_KIB ?? '4,8,16').split(',').map(Number)) {
    run(`page ${kb} KiB (sink pragmas)`, { pre: [`page_size = ${kb * 1024}`], pragmas: [`wal_autocheckpoint = ${SQLITE_CHECKPOINT_BYTES / (kb * 1024)}`] });
  }
}
if (all || which.includes('idx')) {
  for (const ix of ['ix_security_audit_events_timestamp', 'ix_security_audit_events_type_time', 'ix_security_audit_events_user', 'ix_security_audit_events_client_ip', 'ux_security_audit_events_chain_seq']) run('drop ' + ix.replace('security_audit_events_', ''), { drop: [ix] });
  run('drop all 4 non-unique', { drop: ['ix_security_audit_events_timestamp', 'ix_security_audit_events_type_time', 'ix_security_audit_events_user', 'ix_security_audit_events_client_ip'] });
  run('drop user + client_ip', { drop: ['ix_security_audit_events_user', 'ix_security_audit_events_client_ip'] });
}
rmSync(dir, { recursive: true, force: true });
