import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createTableStatements, EVENTS_TABLE, INSERT_COLUMNS, type ColumnValue } from '@audit-trail/schema';
import { copyPieces } from '../../packages/ingest-sink/src/adapters/postgres/copy-text.js';
import { packRows } from '../../packages/ingest-sink/src/rows/packed-rows.js';
import { readdirSync, readFileSync } from 'node:fs';
import { measurePath, measureSink, type PathResult } from './events.js';

const COLS = INSERT_COLUMNS.map((c) => c.name).join(', ');
const lit = (v: ColumnValue) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

/**
 * CPU time in ms of every PostgreSQL process on this machine (backends and
 * background workers: /proc/<pid>/stat, utime + stime), or undefined where
 * there is no /proc or no local server: the server's share of a path, for
 * a database on the same two cores. Processes that exit between two samples
 * take their time with them; every path here keeps its connections open
 * until its clock has stopped.
 */
function serverCpuMs(): number | undefined {
  let ticks = 0;
  let seen = false;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      if (!stat.includes(' (postgres) ')) continue;
      // Fields after the command name; utime and stime are the 14th and 15th of the line (proc(5)).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
      seen = true;
    }
  } catch {
    return undefined;
  }
  // USER_HZ is 100 on Linux (sysconf(_SC_CLK_TCK)).
  return seen ? ticks * 10 : undefined;
}

async function freshDb(admin: pg.Client, name: string): Promise<{ url: string; client: pg.Client }> {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const s of createTableStatements('postgres')) await client.query(s);
  return { url, client };
}

/** Rows/s into PostgreSQL for each write path, same events, one run. */
export async function benchPostgres(dir: string, lines: string[], rows: ColumnValue[][], rowAtATime: number): Promise<Record<string, PathResult>> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const out: Record<string, PathResult> = {};
  const dbs: string[] = [];
  const fresh = async (name: string) => {
    dbs.push(`at_bench_${name}`);
    return freshDb(admin, `at_bench_${name}`);
  };
  try {
    {
      const { client } = await fresh('copy');
      // Packed as the sink keeps queued rows (one text, kinds and lengths), before the clock starts.
      const packed = packRows(rows, INSERT_COLUMNS.length);
      out['ceiling: COPY, one transaction'] = await measurePath(rows.length, async () => {
        await client.query('BEGIN');
        const stream = client.query(copyFrom(`COPY ${EVENTS_TABLE} (${COLS}) FROM STDIN`));
        // The sink's own COPY text (copyPieces: its escaping, pieces of whole
        // lines under 60 000 characters). One piece per row ran ~30% slower
        // (58.9-69.2k against 81.9-83.7k rows/s, 3 alternating rounds), so
        // it was not the driver's best path.
        await pipeline(Readable.from(copyPieces([packed])), stream);
        await client.query('COMMIT');
      }, serverCpuMs);
      await client.end();
    }
    {
      const { url, client } = await fresh('sink');
      await client.end();
      out['sink: batched (validate + spool fsync + commit)'] = await measureSink({ url, spool: { dir: join(dir, 'pg.spool') } }, lines, serverCpuMs);
    }
    {
      const { client } = await fresh('literal');
      out['1000-row literal INSERTs, no tx (fluent-plugin-sql)'] = await measurePath(rows.length, async () => {
        for (let i = 0; i < rows.length; i += 1000) {
          await client.query(`INSERT INTO ${EVENTS_TABLE} (${COLS}) VALUES ${rows.slice(i, i + 1000).map((r) => `(${r.map(lit).join(', ')})`).join(', ')}`);
        }
      }, serverCpuMs);
      await client.end();
    }
    {
      const { client } = await fresh('row');
      const n = Math.min(rowAtATime, rows.length);
      const text = `INSERT INTO ${EVENTS_TABLE} (${COLS}) VALUES (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
      out[`one INSERT per row (first ${n} rows)`] = await measurePath(n, async () => {
        for (let i = 0; i < n; i++) await client.query({ name: 'row', text, values: rows[i] });
      }, serverCpuMs);
      await client.end();
    }
  } finally {
    for (const d of dbs) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    await admin.end();
  }
  return out;
}
