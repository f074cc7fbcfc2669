// Peak memory and time of `audit-trail report failures` over a large SQLite
// table, side by side in one run: the report as the CLI writes it now (rows
// read as the driver steps the statement, csv and json written a row at a
// time, packages/cli/src/report/format.ts) against reading the whole result
// into an array and writing it as one string (what the CLI did until
// 2026-12-07: csv and json failed with "Invalid string length" at 1.5M rows,
// the table overflowed the stack at 130 000). Each path runs in its own
// process under /usr/bin/time, both on the built packages (dist); ratio =
// whole result / now.
//   npm run build && npx tsx -C @audit-trail/source bench/report-memory.ts [rows=300000] [detailChars=400]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { createTableStatements, exampleEvents, INSERT_COLUMNS, newEventId, parseAuditEvent, toRow } from '@audit-trail/schema';

const rows = Number(process.argv[2] ?? 300_000);
const detail = Number(process.argv[3] ?? 400);
const REPO = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'at-report-mem-'));
const file = join(dir, 'audit.db');

/** `rows` authentication failures of the last 30 days, each with `detail` characters of error message. */
function fill(): void {
  const db = new Database(file);
  for (const s of createTableStatements('sqlite')) db.exec(s);
  const insert = db.prepare(`INSERT INTO security_audit_events (${INSERT_COLUMNS.map((c) => c.name).join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`);
  const now = Date.now();
  const message = 'm'.repeat(Math.max(1, Math.min(detail, 512)));
  db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      const draft = { ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_id: newEventId(), event_time: new Date(now - (i % 2_592_000) * 1000).toISOString(), user_id: `u-${i % 5000}`, error: { code: 'SIGNATURE_INVALID', message } };
      const parsed = parseAuditEvent(draft);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      insert.run(...toRow(parsed.event, { raw: JSON.stringify(draft) }));
    }
  })();
  db.close();
}

// The whole result at once, as the CLI read and wrote it before: query() into an array, one string out.
const WHOLE = `
import { openReader } from '@audit-trail/ingest-sink';
import { bindQuery, REPORT_QUERIES } from '@audit-trail/schema';
import { writeSync } from 'node:fs';
const [url, format] = process.argv.slice(-2);
const reader = await openReader(url);
const q = bindQuery(REPORT_QUERIES['webauthn-failures'], reader.dialect, {});
const all = await reader.query({ text: q.text, positional: q.positional, named: q.named });
const cols = REPORT_QUERIES['webauthn-failures'].columns;
const text = format === 'json' ? JSON.stringify(all, null, 2) : all.map((r) => cols.map((c) => JSON.stringify(String(r[c] ?? ''))).join(',')).join('\\r\\n');
writeSync(1, text.slice(0, 1));
await reader.close();
`;

/** Peak RSS (MB) and seconds of `args` run by node, its stdout discarded; or why it failed (the last line it printed). */
function measure(args: string[]): { mb: number; s: number } | { failed: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24 });
  const lines = String(r.stderr).trim().split('\n');
  if (r.status !== 0) return { failed: lines.filter((l) => !/^Command exited|^\d+ [\d.]+$/.test(l)).at(-1) ?? `status ${r.status}` };
  const [kb, s] = lines.at(-1)!.split(' ').map(Number);
  return { mb: Math.round(kb! / 1024), s: s! };
}

try {
  fill();
  const url = `sqlite:${file}`;
  const cli = join(REPO, 'packages/cli/dist/bin.js');
  console.log(`node ${process.version}; ${rows} failures with ${detail}-character messages in SQLite; peak RSS and seconds per process`);
  for (const format of ['csv', 'json', 'table'] as const) {
    const now = measure([cli, 'report', 'failures', '--db', url, '--format', format]);
    const before = format === 'table' ? undefined : measure(['--input-type=module', '-e', WHOLE, url, format]);
    const shown = (r: ReturnType<typeof measure> | undefined) => (r === undefined ? '-' : 'failed' in r ? `failed: ${r.failed}` : `${r.mb} MB, ${r.s} s`);
    const ratio = now && before && !('failed' in now) && !('failed' in before) ? `  whole/now = ${(before.mb / now.mb).toFixed(1)}x memory` : '';
    console.log(`  ${format.padEnd(6)} now (streamed): ${shown(now).padEnd(22)} whole result in memory: ${shown(before)}${ratio}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
