import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTableStatements, EVENTS_TABLE, INSERT_COLUMNS, type ColumnValue } from '@audit-trail/schema';
import { applySqlitePragmas } from '../../packages/ingest-sink/src/adapters/sqlite/sqlite-core.js';
import { SQLITE_INSERT_EVENT } from '../../packages/ingest-sink/src/adapters/sqlite/sqlite-sql.js';
import { measurePath, measureSink, type PathResult } from './events.js';

const COLS = INSERT_COLUMNS.map((c) => c.name).join(', ');
const lit = (v: ColumnValue) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

/** A new database `name`.db in `dir` with the sink's pragmas and tables. */
export function freshDb(dir: string, name: string): Database.Database {
  const file = join(dir, `${name}.db`);
  rmSync(file, { force: true });
  const db = new Database(file);
  // The sink's own pragmas (page size, WAL, synchronous=FULL, its WAL autocheckpoint): every path on equal terms.
  applySqlitePragmas(db);
  for (const s of createTableStatements('sqlite')) db.exec(s);
  return db;
}

/**
 * The ceiling: the driver's best path, the sink's own prepared INSERT in one
 * transaction per call (1000 rows in the benches), values bound as arguments
 * (as the sink does; an array costs better-sqlite3 one v8::Object::Get per
 * cell: sqlite-core.js).
 */
export function ceilingTransaction(db: Database.Database): (rows: ColumnValue[][]) => void {
  const stmt = db.prepare(SQLITE_INSERT_EVENT);
  return db.transaction((chunk: ColumnValue[][]) => {
    // The statement's last parameter is the transaction's ingested_at, as in sqlite-core.js.
    const ingestedAt = new Date().toISOString();
    for (const r of chunk) stmt.run(...r, ingestedAt);
  });
}

/** Rows/s into SQLite for each write path, same events, one run. */
export async function benchSqlite(dir: string, lines: string[], rows: ColumnValue[][], rowAtATime: number): Promise<Record<string, PathResult>> {
  const out: Record<string, PathResult> = {};

  {
    const db = freshDb(dir, 'ceiling');
    const tx = ceilingTransaction(db);
    out['ceiling: prepared INSERT, 1 tx / 1000 rows'] = await measurePath(rows.length, () => {
      for (let i = 0; i < rows.length; i += 1000) tx(rows.slice(i, i + 1000));
    });
    db.close();
  }

  // The sink: validation + spool (fdatasync per group) + worker-thread transactions.
  {
    const file = join(dir, 'sink.db');
    rmSync(file, { force: true });
    out['sink: batched (validate + spool fsync + commit)'] = await measureSink(
      { connection: { dialect: 'sqlite', filename: file }, spool: { dir: join(dir, 'sink.spool') } },
      lines,
    );
  }

  // fluent-plugin-sql: 1000-row INSERTs with literal values, no transaction.
  {
    const db = freshDb(dir, 'literal');
    out['1000-row literal INSERTs, no tx (fluent-plugin-sql)'] = await measurePath(rows.length, () => {
      for (let i = 0; i < rows.length; i += 1000) {
        db.exec(`INSERT INTO ${EVENTS_TABLE} (${COLS}) VALUES ${rows.slice(i, i + 1000).map((r) => `(${r.map(lit).join(', ')})`).join(', ')}`);
      }
    });
    db.close();
  }

  // One INSERT per row (autocommit: one fsync per row).
  {
    const db = freshDb(dir, 'row');
    const stmt = db.prepare(`INSERT INTO ${EVENTS_TABLE} (${COLS}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`);
    const n = Math.min(rowAtATime, rows.length);
    out[`one INSERT per row (first ${n} rows)`] = await measurePath(n, () => {
      for (let i = 0; i < n; i++) stmt.run(...rows[i]!);
    });
    db.close();
  }
  return out;
}
