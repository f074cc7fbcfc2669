/**
 * Instructions per SQLite insert for the ways of binding a row with
 * better-sqlite3: one array (`stmt.run(values)`), the values as arguments
 * (`stmt.run(...values)`, what the sink does, with `ingested_at` bound once
 * per transaction), or the values as arguments with `ingested_at` left to the
 * column's per-row `strftime` default (`row-default`, the sink until
 * 2026-12-07). Wall time on this VM varies too much to show a 10-20%
 * difference; instruction counts do not. Run it under callgrind, collecting
 * only inside better-sqlite3's run():
 *
 *   cd bench && for m in array spread row-default; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
 *     --toggle-collect='Statement::JS_run*' node sqlite-bind-instructions.mjs 10000 $m 2>&1 | grep Collected; done
 *
 * Divide each total by the row count. Plain JavaScript on the built
 * @audit-trail/schema (npm run build), so callgrind runs node alone, without
 * a TypeScript loader; the events are bench/sink/events.ts's failure shape.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { completeEvent, createTableStatements, EVENTS_TABLE, INSERT_COLUMNS, parseAuditEvent, toRow } from '@audit-trail/schema';

const n = Number(process.argv[2] ?? 10_000);
const mode = process.argv[3] ?? 'spread';
if (!['array', 'spread', 'row-default'].includes(mode)) throw new Error('mode is array, spread or row-default');
const rows = [];
for (let i = 0; i < n; i++) {
  const draft = {
    event_type: 'WEBAUTHN_AUTH_FAILURE',
    user_id: `user-${i % 5000}`,
    client_ip: '10.0.0.1',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    error: { code: 'SIGNATURE_INVALID', message: 'assertion signature did not verify' },
    webauthn: { failure_stage: 'signature', sign_count: i, rp_id: 'example.com', origin: 'https://example.com' },
  };
  const line = JSON.stringify(completeEvent(draft, { producer: { service: 'bench', instance: 'web-1' } }));
  const parsed = parseAuditEvent(line);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  rows.push(toRow(parsed.event, { raw: line, source_tag: 'swarm.audit.node1.web.task1' }));
}
const dir = mkdtempSync(join(tmpdir(), 'at-bench-bind-'));
const db = new Database(join(dir, 'bind.db'));
// The sink's pragmas (sqlite-core.js applySqlitePragmas).
for (const p of ['page_size = 16384', 'journal_mode = WAL', 'synchronous = FULL', 'wal_autocheckpoint = 2560']) db.pragma(p);
for (const s of createTableStatements('sqlite')) db.exec(s);
// The sink's statement (ingested_at bound last), or the one before it (the column default).
const bound = mode !== 'row-default';
const stmt = db.prepare(`INSERT INTO ${EVENTS_TABLE} (${INSERT_COLUMNS.map((c) => c.name).join(', ')}${bound ? ', ingested_at' : ''}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')}${bound ? ', ?' : ''}) ON CONFLICT(event_id) DO NOTHING`);
const tx = db.transaction((chunk) => {
  const at = new Date().toISOString();
  if (mode === 'spread') for (const r of chunk) stmt.run(...r, at);
  else if (mode === 'array') for (const r of chunk) stmt.run([...r, at]);
  else for (const r of chunk) stmt.run(...r);
});
for (let i = 0; i < rows.length; i += 1000) tx.immediate(rows.slice(i, i + 1000));
db.close();
rmSync(dir, { recursive: true, force: true });
console.log(`${n} rows inserted, values bound as ${mode === 'array' ? 'one array' : 'arguments'}, ingested_at ${bound ? 'bound once per transaction' : 'from the column default'}`);
