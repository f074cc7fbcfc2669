// What the failure-bursts report costs when one IP fails slowly and often,
// side by side in one run: the report as generated (only windows that hold
// :min_failures are joined, found with LEAD; packages/schema/src/table/queries.ts)
// against the same report joining every failure's window with every failure
// of its IP (as it did before). Rows: `n` failures from one IP, one every
// 6 minutes (no window of 10 minutes holds 5), plus 10 IPs with a burst of 6
// in a minute, so both must return the same 10 rows. SQLite (a file in
// tmpdir) and PostgreSQL; ms, median of 3 rounds; ratio = every window / as generated.
//   npx tsx -C @audit-trail/source bench/report-bursts.ts [n=5000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { bindQuery, createTableStatements, REPORT_QUERIES, type Dialect, type ReportQuery } from '@audit-trail/schema';
import { eventsTable, sinceDays, withinMinutes } from '../packages/schema/src/table/query-sql.js';

const n = Number(process.argv[2] ?? 5000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The report as it was: every failure's window joined with every failure of its IP. */
function everyWindow(d: Dialect): string {
  return `WITH failures AS (
  SELECT id, client_ip, user_id, event_timestamp FROM ${eventsTable(d)}
  WHERE event_type IN ('WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_REG_FAILURE') AND client_ip IS NOT NULL AND ${sinceDays(d, 'event_timestamp', 'days')}
),
windows AS (
  SELECT w.id, w.client_ip, w.event_timestamp AS window_start, MAX(f.event_timestamp) AS window_end, COUNT(*) AS failures, COUNT(DISTINCT f.user_id) AS users
  FROM failures w JOIN failures f ON f.client_ip = w.client_ip AND ${withinMinutes(d, 'f.event_timestamp', 'w.event_timestamp', 'window_minutes')}
  GROUP BY w.id, w.client_ip, w.event_timestamp
  HAVING COUNT(*) >= :min_failures
)
SELECT client_ip, MAX(failures) AS peak_failures, MAX(users) AS peak_users, MIN(window_start) AS first_burst_at, MAX(window_end) AS last_burst_at
FROM windows GROUP BY client_ip ORDER BY peak_failures DESC, client_ip;`;
}

const generated = REPORT_QUERIES['failure-bursts-by-ip'];
const old: ReportQuery = { ...generated, sql: { mssql: everyWindow('mssql'), postgres: everyWindow('postgres'), sqlite: everyWindow('sqlite') } };

/** The failures: [event_id, ISO time, ip, user]. */
function failures(): [string, string, string, string][] {
  const now = Date.now();
  const rows: [string, string, string, string][] = [];
  for (let i = 0; i < n; i++) rows.push([crypto.randomUUID(), new Date(now - 60_000 - i * 6 * 60_000).toISOString(), '198.51.100.7', `u${i % 50}`]);
  for (let ip = 0; ip < 10; ip++) for (let k = 0; k < 6; k++) rows.push([crypto.randomUUID(), new Date(now - 3_600_000 * (ip + 1) + k * 10_000).toISOString(), `203.0.113.${ip}`, `v${k}`]);
  return rows;
}

async function measure(label: string, run: (q: ReportQuery) => Promise<number>): Promise<void> {
  const times: Record<string, number[]> = { 'as generated (bursts joined)': [], 'every window joined (before)': [] };
  for (let r = 0; r < 3; r++) {
    for (const [name, q] of [['as generated (bursts joined)', generated], ['every window joined (before)', old]] as const) {
      const t0 = performance.now();
      const rows = await run(q);
      if (rows !== 10) throw new Error(`${label} ${name}: ${rows} rows, expected 10`);
      times[name]!.push(performance.now() - t0);
    }
  }
  const base = median(times['as generated (bursts joined)']!);
  console.log(`${label}: failure-bursts-by-ip over ${n} failures of one IP, 6 min apart, and 10 bursts (ms, median of 3; ratio = this / as generated)`);
  for (const [name, xs] of Object.entries(times)) console.log(`  ${name.padEnd(30)} ${String(Math.round(median(xs))).padStart(8)} ms (${xs.map(Math.round).join(', ')})   ${(median(xs) / base).toFixed(1)}x`);
}

const dir = mkdtempSync(join(tmpdir(), 'at-bench-bursts-'));
try {
  const lite = new Database(join(dir, 'audit.db'));
  for (const s of createTableStatements('sqlite')) lite.exec(s);
  const insert = lite.prepare(
    `INSERT INTO security_audit_events (event_id, event_timestamp, event_type, outcome, severity, service, user_id, client_ip, event_json) VALUES (?, ?, 'WEBAUTHN_AUTH_FAILURE', 'failure', 3, 'bench', ?, ?, '{}')`,
  );
  lite.transaction(() => {
    for (const [id, t, ip, user] of failures()) insert.run(id, t, user, ip);
  })();
  await measure(`SQLite ${(lite.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}`, async (q) => {
    const b = bindQuery(q, 'sqlite');
    return lite.prepare(b.text).all(b.named).length;
  });
  lite.close();

  const db = `at_bench_bursts_${process.pid}`;
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
  try {
    await c.connect();
    for (const s of createTableStatements('postgres')) await c.query(s);
    const rows = failures();
    await c.query(
      `INSERT INTO security_audit_events (event_id, event_timestamp, event_type, outcome, severity, service, user_id, client_ip, event_json)
       SELECT id::uuid, t::timestamptz, 'WEBAUTHN_AUTH_FAILURE', 'failure', 3, 'bench', u, ip, '{}' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(id, t, ip, u)`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
    );
    await c.query('ANALYZE security_audit_events');
    await measure(`PostgreSQL ${(await c.query('SHOW server_version')).rows[0].server_version}`, async (q) => {
      const b = bindQuery(q, 'postgres');
      return (await c.query(b.text, b.positional)).rowCount ?? 0;
    });
  } finally {
    await c.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
