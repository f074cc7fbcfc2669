// What reading event_json costs the PostgreSQL reports, side by side in one
// run: the shell report as generated (event_json read as jsonb once per row,
// eventsWithDoc in packages/schema/src/table/query-sql.ts) against the same
// query reading it once per field (every `doc` replaced by its own cast, as
// the reports did before), on CONTAINER_EXEC rows the report all returns
// (the schema's example event, a TTY session). Medians of 3 rounds, ratio
// per-field / once.
//   npx tsx -C @audit-trail/source bench/report-json.ts [rows=200000]
import pg from 'pg';
import { bindQuery, createTableStatements, exampleEvents, REPORT_QUERIES } from '@audit-trail/schema';

const rows = Number(process.argv[2] ?? 200_000);
const db = `at_bench_report_${process.pid}`;
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${db}`);
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  await c.connect();
  for (const s of createTableStatements('postgres')) await c.query(s);
  const json = JSON.stringify(exampleEvents.CONTAINER_EXEC);
  // One row every 30 s back from now: all within the report's 90 days up to 259 200 rows.
  await c.query(
    `INSERT INTO security_audit_events (event_id, event_timestamp, event_type, outcome, severity, service, command_line, image, container_id, event_json)
     SELECT gen_random_uuid(), now() - g * interval '30 seconds', 'CONTAINER_EXEC', 'success', 3, 'bench', 'bash -il', 'img', 'c' || (g % 50), $1
     FROM generate_series(1, $2::int) g`,
    [json, rows],
  );
  await c.query('ANALYZE security_audit_events');
  const q = bindQuery(REPORT_QUERIES['container-shell-sessions'], 'postgres', { days: 90 });
  const cast = /CROSS JOIN LATERAL \(SELECT (replace\(e\.event_json, [^)]*\)::jsonb) AS doc OFFSET 0\) j/.exec(q.text)![1]!;
  const perField = q.text.replace(/\n {2}CROSS JOIN LATERAL \(SELECT .* AS doc OFFSET 0\) j/, '').replaceAll('(doc #>>', `(${cast.replace('e.event_json', 'event_json')} #>>`);
  if (perField.includes('doc')) throw new Error('per-field query still reads doc');
  const times: Record<string, number[]> = { 'once per row (as generated)': [], 'once per field read': [] };
  for (let r = 0; r < 3; r++) {
    for (const [name, text] of [['once per row (as generated)', q.text], ['once per field read', perField]] as const) {
      const t0 = performance.now();
      const res = await c.query(text, q.positional);
      if (res.rowCount !== rows) throw new Error(`${name}: ${res.rowCount} rows, expected ${rows}`);
      times[name]!.push(performance.now() - t0);
    }
  }
  const once = median(times['once per row (as generated)']!);
  console.log(`PostgreSQL ${(await c.query('SHOW server_version')).rows[0].server_version}, container-shell-sessions over ${rows} CONTAINER_EXEC rows (ms, median of 3; ratio = this / once per row)`);
  for (const [name, xs] of Object.entries(times)) console.log(`  event_json read as jsonb ${name.padEnd(30)} ${String(Math.round(median(xs))).padStart(7)} ms (${xs.map(Math.round).join(', ')})   ${(median(xs) / once).toFixed(2)}x`);
} finally {
  await c.end().catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.end();
}
