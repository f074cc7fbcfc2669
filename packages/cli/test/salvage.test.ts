import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { open, readFile, truncate, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { makeEvents } from '../../ingest-sink/test/helpers/events.js';
import { tempDir } from '../../ingest-sink/test/helpers/tmp.js';
import { encodeFrames, type SpoolEntry } from '../../ingest-sink/src/spool/record.js';
import { Spool } from '../../ingest-sink/src/spool/spool.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-cli-salvage-')));
afterEach(() => cleanup());

// Terminal escapes, and what JSON.stringify leaves raw: a bidi override, the C1 CSI, a zero-width space.
const HOSTILE = 'evil\n\u001b[2J\'; DROP TABLE security_audit_events;-- \u202egpj.exe \u009b2J a\u200bdmin';

/**
 * A real quarantine file: 50 events and a reject appended to a spool, one
 * byte of the 11th record flipped on disk, then read back, which copies the
 * 11th record onwards to quarantine/.
 */
async function quarantined(): Promise<{ file: string; events: Record<string, unknown>[] }> {
  const events = makeEvents(50);
  const entries: SpoolEntry[] = [
    ...events.map((e) => ({ line: JSON.stringify(e), meta: { source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1' }, source: 'forward:10.0.0.7' })),
    { line: HOSTILE, reject: 'FORWARD_BAD_RECORD: not an event', source: 'forward:10.0.0.8' },
  ];
  const spoolDir = join(dir, 'spool');
  const { spool } = await Spool.open({ dir: spoolDir });
  let end = { seg: 0, end: 0 };
  let damageAt = 0;
  for (const [i, entry] of entries.entries()) {
    const { buffer } = encodeFrames([entry]);
    const at = await spool.append(buffer);
    if (i === 10) damageAt = at.end + 40;
    end = { seg: at.seg, end: at.end + buffer.length };
  }
  const path = join(spoolDir, `seg-${String(end.seg).padStart(12, '0')}.log`);
  const bytes = await readFile(path);
  bytes[damageAt] = bytes[damageAt]! ^ 0x20;
  await writeFile(path, bytes);
  const { records, skipped } = await spool.read({ seg: end.seg, end: 0 }, end, 1 << 30);
  expect(records).toHaveLength(10);
  await spool.close(false);
  return { file: skipped[0]!.quarantined!, events };
}

describe('audit-trail salvage', () => {
  it('recovers every intact record of a quarantine file into SQLite, with its meta, source and reject reason; a second run stores no event and no reject twice', async () => {
    const { file, events } = await quarantined();
    const db = join(dir, 'a.db');
    const r = await runCli(['salvage', '--db', `sqlite:${db}`, file]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`^${file}: 40 record\\(s\\) recovered; \\d+ byte\\(s\\) unreadable at 0-\\d+\\n$`));
    expect(r.out).toBe(`sqlite:${db}: read 40, committed 39, duplicates 0, rejected 1\n`);
    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT event_id, source_tag, swarm_node FROM security_audit_events ORDER BY event_id').all();
    expect(rows).toEqual(events.slice(11).map((e) => ({ event_id: e.event_id, source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1' })).sort((a, b) => String(a.event_id).localeCompare(String(b.event_id))));
    expect(d.prepare('SELECT source, reason, raw_payload FROM security_audit_rejects').all()).toEqual([{ source: 'forward:10.0.0.8', reason: 'FORWARD_BAD_RECORD: not an event', raw_payload: HOSTILE }]);
    d.close();
    const again = await runCli(['salvage', '--db', `sqlite:${db}`, file]);
    expect(again.out).toBe(`sqlite:${db}: read 40, committed 0, duplicates 39, rejected 0, rejects already stored 1\n`);
    const after = new Database(db, { readonly: true });
    expect(after.prepare('SELECT count(*) AS n FROM security_audit_rejects').get()).toEqual({ n: 1 });
    after.close();
  });

  it('exits 1, as ingest does, when its own spool held damaged records, which it quarantines rather than delivers: they may be records an earlier salvage accepted (found by a probe: exit 0)', async () => {
    const { file } = await quarantined();
    const db = `sqlite:${join(dir, 'a.db')}`;
    const spool = join(dir, 'salvage-spool');
    // No tables and no migrate: every record recovered is accepted into the spool and stays there.
    const first = await runCli(['salvage', '--db', db, '--no-migrate', '--spool', spool, '--timeout', '0.5', file]);
    expect(first.code).toBe(1);
    expect(first.err).toContain('40 events are still spooled');
    // A byte in the middle of its segment goes bad.
    const seg = join(spool, readdirSync(spool).find((n) => n.startsWith('seg-'))!);
    const bytes = await readFile(seg);
    const at = bytes.length >> 1;
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(seg, bytes);
    expect((await runCli(['migrate', '--db', db])).code).toBe(0);
    const junk = join(dir, 'junk.bad');
    await writeFile(junk, Buffer.alloc(64, 0xee));
    const second = await runCli(['salvage', '--db', db, '--spool', spool, junk]);
    expect(second.err).toContain('SINK_SPOOL_IO');
    expect(second.err).toMatch(/audit-trail salvage: the spool held 1 damaged region \(\d+ bytes\), not delivered \(the lines above say where they are kept\); events an earlier run accepted may be among them: `audit-trail salvage --db URL FILE\.\.\.` stores their intact records/);
    expect(second.code).toBe(1);
  });

  it('--dry-run prints each recovered record as one JSON line and stores nothing', async () => {
    const { file, events } = await quarantined();
    const r = await runCli(['salvage', '--dry-run', '--db', `sqlite:${join(dir, 'never.db')}`, file]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(40);
    expect(JSON.parse(lines[0]!)).toEqual({ line: JSON.stringify(events[11]), source: 'forward:10.0.0.7', meta: { source_tag: 'swarm.audit.n1.api.t1', swarm_node: 'n1' } });
    expect(JSON.parse(lines[39]!)).toEqual({ line: HOSTILE, source: 'forward:10.0.0.8', reject: 'FORWARD_BAD_RECORD: not an event' });
    expect(r.out).not.toContain('\u001b');
    // Escaped (\uXXXX) as report --format json escapes them: JSON.stringify alone left them raw.
    expect(r.out).not.toMatch(/[\u202e\u009b\u200b]/);
    expect(r.out).toContain('\\u202egpj.exe \\u009b2J a\\u200bdmin');
    await expect(readFile(join(dir, 'never.db'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('names a file with nothing intact; refuses to run without a file or with one it cannot read', async () => {
    const junk = join(dir, 'junk.bad');
    await writeFile(junk, Buffer.alloc(4096, 0xee));
    const r = await runCli(['salvage', '--dry-run', junk]);
    expect(r).toEqual({ code: 0, out: '', err: `${junk}: 0 record(s) recovered; 4096 byte(s) unreadable at 0-4096\n` });
    const none = await runCli(['salvage']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('name at least one quarantined spool file');
    const missing = await runCli(['salvage', '--dry-run', join(dir, 'quarantine', '*.bad')]);
    expect(missing).toMatchObject({ code: 2, out: '', err: expect.stringContaining('cannot read') });
    expect(missing.err).toContain('ENOENT');
  });

  it('refuses what is not a regular file (/dev/zero, a directory, a pipe) and a file over 256 MiB, naming it and the bound, before reading any file or creating the database', async () => {
    const { file: good } = await quarantined();
    const big = join(dir, 'big.bad');
    await writeFile(big, '');
    await truncate(big, 256 * 1024 * 1024 + 1); // sparse: no disk used
    const fifo = join(dir, 'fifo.bad');
    execFileSync('mkfifo', [fifo]);
    const db = join(dir, 'never.db');
    const cases: [string, string][] = [
      ['/dev/zero', 'cannot read /dev/zero: a character device, not a regular file (salvage reads quarantined spool files)'],
      [join(dir, 'spool'), `cannot read ${join(dir, 'spool')}: a directory, not a regular file (salvage reads quarantined spool files)`],
      [fifo, `cannot read ${fifo}: a pipe, not a regular file (salvage reads quarantined spool files)`],
      [big, `cannot read ${big}: 268435457 bytes, more than the 268435456 (256 MiB) salvage reads; a quarantine file is a copy of part of one spool segment (8 MiB by default)`],
    ];
    for (const mode of [['--dry-run'], ['--db', `sqlite:${db}`]]) {
      for (const [file, message] of cases) {
        // The good file first: every file is checked before any is read, so nothing of it is printed or stored.
        const r = await runCli(['salvage', ...mode, good, file]);
        expect({ mode, file, r }).toEqual({ mode, file, r: { code: 2, out: '', err: `audit-trail salvage: ${message}\nRun "audit-trail salvage --help" for usage.\n` } });
      }
    }
    expect(existsSync(db)).toBe(false);
  });
});

describe('audit-trail salvage --dry-run | head', () => {
  it('ends quietly when its reader closes the pipe early: no EPIPE stack trace, status 141 as a process SIGPIPE ends', async () => {
    // 2000 records (about 1.3 MB of NDJSON): far more than a pipe holds, so writes go on after the reader is gone.
    const file = join(dir, 'quarantine.bin');
    await writeFile(file, encodeFrames(makeEvents(2000).map((e) => ({ line: JSON.stringify(e), meta: { source_tag: 't' }, source: 'forward:10.0.0.7' }))).buffer);
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', bin, 'salvage', '--dry-run', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // `head -1`: read the first chunk, then close the read end.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect({ code, stderr: stderr.replace(/^.*record\(s\) recovered.*\n/m, '') }).toEqual({ code: 141, stderr: '' });
  }, 30_000);

  it('an output that cannot be written (a full disk: /dev/full) is one line and status 2, not a stack trace', async () => {
    const file = join(dir, 'quarantine-full.bin');
    await writeFile(file, encodeFrames(makeEvents(50).map((e) => ({ line: JSON.stringify(e), meta: { source_tag: 't' }, source: 'forward:10.0.0.7' }))).buffer);
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    const out = await open('/dev/full', 'w');
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', bin, 'salvage', '--dry-run', file], { stdio: ['ignore', out.fd, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await out.close();
    expect({ code, stderr: stderr.replace(/^.*record\(s\) recovered.*\n/m, '') }).toEqual({ code: 2, stderr: 'audit-trail: cannot write the output: ENOSPC\n' });
  }, 30_000);
});
