import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { makeEvents } from '../../ingest-sink/test/helpers/events.js';
import { createTempDatabase } from '../../ingest-sink/test/helpers/postgres.js';
import { startTcpProxy } from '../../ingest-sink/test/helpers/tcp-proxy.js';
import { tempDir } from '../../ingest-sink/test/helpers/tmp.js';
import { execEvent, line, otherEvents } from '../../ingest-sink/test/receivers/helpers/k8s-audit-events.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-cli-')));
afterEach(() => cleanup());

/**
 * Runs `audit-trail ingest ARGS` from source in a child process whose files
 * are limited to `fileKib` KiB (bash's ulimit -f: a write past it fails with
 * EFBIG), or with a tmpfs of `size` mounted at `at` (a small disk: ENOSPC),
 * in a mount namespace of its own (unshare as an unprivileged user maps to
 * root there). PostgreSQL's files are another process's, so unaffected.
 */
async function cliIn(args: string[], limit: { fileKib: number } | { tmpfs: { at: string; size: string } }): Promise<{ code: number; stdout: string; stderr: string }> {
  const repo = resolve(import.meta.dirname, '../../..');
  const cli = [process.execPath, '--import', 'tsx', '--conditions', '@audit-trail/source', join(repo, 'packages/cli/src/bin.ts'), 'ingest', ...args];
  let command: string[];
  if ('fileKib' in limit) command = ['/bin/bash', '-c', `ulimit -f ${limit.fileKib} && exec "$@"`, 'bash', ...cli];
  else {
    mkdirSync(limit.tmpfs.at, { recursive: true });
    command = ['unshare', '--user', '--map-root-user', '--mount', '/bin/bash', '-c', `mount -t tmpfs -o size=${limit.tmpfs.size},mode=0700 none "$0" && exec "$@"`, limit.tmpfs.at, ...cli];
  }
  return promisify(execFile)(command[0]!, command.slice(1), { cwd: repo, env: { ...process.env, AUDIT_TRAIL_DB_URL: '' } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe('audit-trail ingest', () => {
  it('loads an NDJSON file into SQLite: committed, duplicates, rejects, conflicts and events dated ahead summarised, rejects stored with the file as source; a second run adds no row', async () => {
    const events = makeEvents(30);
    // Dated an hour ahead of this clock: stored, and named in the summary.
    events[2] = { ...events[2], event_time: new Date(Date.now() + 3_600_000).toISOString() };
    const file = join(dir, 'audit.ndjson');
    // events[1] again with another user: the same event_id holding another event, kept as a reject and named in the summary.
    const lines = [...events.map((e) => JSON.stringify(e)), JSON.stringify(events[0]), '', 'garbage line', '{"event_type":"WEBAUTHN_AUTH_FAILURE"}', JSON.stringify({ ...events[1], user_id: 'mallory' })];
    writeFileSync(file, lines.join('\r\n') + '\n');
    const db = join(dir, 'a.db');
    const r = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`sqlite:${db}: read 34, committed 30, duplicates 1, rejected 3, event_id conflicts 1, dated ahead of this clock 1\n`);
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 30 });
    expect(d.prepare('SELECT DISTINCT source FROM security_audit_rejects').all()).toEqual([{ source: `file:${file}` }]);
    d.close();
    // A second run stores nothing: the events by event_id, the refusals by reject_key.
    const again = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(again.out).toBe(`sqlite:${db}: read 34, committed 0, duplicates 31, rejected 0, rejects already stored 3, event_id conflicts 1, dated ahead of this clock 1\n`);
    const after = new Database(db, { readonly: true });
    expect(after.prepare('SELECT count(*) AS n FROM security_audit_rejects').get()).toEqual({ n: 3 });
    expect(after.prepare("SELECT reason FROM security_audit_rejects WHERE raw_payload LIKE '%mallory%'").get()).toEqual({ reason: expect.stringMatching(/^EVENT_ID_CONFLICT: event_id=/) });
    after.close();
  });

  it('reads stdin ("-"), shows progress on a terminal, and writes to PostgreSQL from AUDIT_TRAIL_DB_URL', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      const events = makeEvents(2500);
      const r = await runCli(['ingest', '--spool', join(dir, 'spool'), '-'], { env: { AUDIT_TRAIL_DB_URL: pg.url }, stdin: events.map((e) => JSON.stringify(e)).join('\n'), tty: true });
      expect(r.code).toBe(0);
      expect(r.out).toContain('read 2500, committed 2500, duplicates 0, rejected 0');
      expect(r.err).toMatch(/\r\x1b\[Kread 2500 {2}committed 2500/);
      expect(Number((await pg.query('SELECT count(*) AS n FROM security_audit_events')).rows[0].n)).toBe(2500);
    } finally {
      await pg.drop();
    }
  });

  it('exits 1 and keeps the events spooled when the database stays unreachable; a later run delivers them, and a run for another database is refused that spool', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      const file = join(dir, 'a.ndjson');
      writeFileSync(file, makeEvents(10).map((e) => JSON.stringify(e)).join('\n'));
      const spool = join(dir, 'spool');
      await runCli(['migrate', '--db', pg.url]);
      // The same database both times, behind a proxy the test cuts, then restores.
      const proxy = await startTcpProxy(5432);
      try {
        const url = pg.url.replace('postgres://postgres@', 'postgres://postgres:pw@').replace(':5432/', `:${proxy.port}/`);
        proxy.cut();
        const down = await runCli(['ingest', '--db', url, '--no-migrate', '--spool', spool, '--timeout', '0.5', file]);
        expect(down.code).toBe(1);
        expect(down.err).toContain('10 events are still spooled');
        expect(down.out + down.err).not.toContain(':pw@');
        // Another database is refused that spool: its events are not for it.
        const other = await runCli(['ingest', '--db', `sqlite:${join(dir, 'other.db')}`, '--spool', spool], { stdin: '' });
        expect(other.code).toBe(1);
        expect(other.err).toMatch(/holds 10 event\(s\) for postgres:\/\/127\.0\.0\.1:\d+\/at_cli_\w+, not for sqlite:/);
        expect(other.out + other.err).not.toContain('committed');
        proxy.restore();
        const up = await runCli(['ingest', '--db', url, '--spool', spool], { stdin: '' });
        expect(up.code).toBe(0);
        expect(up.out).toContain('committed 10');
        expect(up.out).toContain('replayed from spool 10');
      } finally {
        await proxy.close();
      }
    } finally {
      await pg.drop();
    }
  });

  it('exits 1 when the spool it opens holds damaged records, which it quarantines rather than delivers: they may be events an earlier run accepted (found by a probe: exit 0)', async () => {
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, makeEvents(30).map((e) => JSON.stringify(e)).join('\n'));
    const db = `sqlite:${join(dir, 'a.db')}`;
    const spool = join(dir, 'spool');
    // No tables and no migrate: every event is accepted into the spool and stays there.
    const first = await runCli(['ingest', '--db', db, '--no-migrate', '--spool', spool, '--timeout', '0.5', file]);
    expect(first.code).toBe(1);
    expect(first.err).toContain('30 events are still spooled');
    // A byte in the middle of the segment goes bad.
    const seg = join(spool, readdirSync(spool).find((n) => n.startsWith('seg-'))!);
    const bytes = readFileSync(seg);
    const at = bytes.length >> 1;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(seg, bytes);
    expect((await runCli(['migrate', '--db', db])).code).toBe(0);
    const second = await runCli(['ingest', '--db', db, '--spool', spool], { stdin: '' });
    const d = new Database(join(dir, 'a.db'), { readonly: true });
    const stored = (d.prepare('SELECT count(*) AS n FROM security_audit_events').get() as { n: number }).n;
    d.close();
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(30);
    expect(second.out).toContain(`committed ${stored}`);
    expect(second.err).toContain('SINK_SPOOL_IO');
    expect(second.err).toMatch(/the spool held 1 damaged region \(\d+ bytes\), not delivered \(the lines above say where they are kept\); events an earlier run accepted may be among them: `audit-trail salvage --db URL FILE\.\.\.` stores their intact records/);
    expect(second.code).toBe(1);
  });

  it('on a spool disk smaller than the input (a 1 MiB tmpfs, 2.6 MB of lines), holds the reading when the disk fills, lets delivery free it and goes on: every line stored in one run', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      const events = makeEvents(6000);
      const file = join(dir, 'a.ndjson');
      writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
      await runCli(['migrate', '--db', pg.url]);
      const r = await cliIn(['--spool', join(dir, 'disk/spool'), '--db', pg.url, '--no-migrate', file], { tmpfs: { at: join(dir, 'disk'), size: '1m' } });
      // The refusal is said once, as whatever the spool meets is; the run still succeeds. A release
      // that lands while an append holds the last free page also fails to write the spool's
      // watermark (its file's first write needs a page): said too, and harmless (duplicates on a
      // replay at most). It depends on timing (1 run in 6 here), so it may be there or not.
      const said = r.stderr.split('\n').filter(Boolean);
      expect(said).toContain('audit-trail ingest: SINK_SPOOL_IO: spool write failed: ENOSPC: no space left on device, write');
      for (const line of said) expect(line).toMatch(/^audit-trail ingest: SINK_SPOOL_IO: spool (watermark )?write failed: ENOSPC: no space left on device, write$/);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('read 6000, committed 6000, duplicates 0, rejected 0');
      expect(Number((await pg.query('SELECT count(*) AS n FROM security_audit_events')).rows[0].n)).toBe(6000);
    } finally {
      await pg.drop();
    }
  }, 60_000);

  // Files limited to 500 KiB (ulimit -f): each case's chunk fits no spool file.
  it.each([
    // Each line about 1.1 KB: a 1000-line chunk is 1.1 MB, its halves 550 KB, its quarters fit.
    ['stores a chunk larger than the spool can hold in halves: 1000 lines of 1.1 KB, every line stored in one run (it stopped every run at that chunk)', 2000, 600],
    // The chunk (600 KB) fits no file; its halves are 2 lines (400 KB) and 1 line, which the
    // 2 lines' file cannot also hold, and a new file can once they are delivered.
    ['tries a half again, whole, once the half before it is delivered: 3 lines of 200 KB, the last refused only because its sibling filled the file (found by a review: a single line so refused stopped the run)', 3, 200_000],
  ] as const)('against files limited to 500 KiB, %s', async (_name, count, userAgentLength) => {
    const pg = await createTempDatabase('at_cli');
    try {
      const lines = makeEvents(count).map((e) => JSON.stringify({ ...e, user_agent: 'u'.repeat(userAgentLength) }));
      const file = join(dir, 'a.ndjson');
      writeFileSync(file, lines.join('\n'));
      await runCli(['migrate', '--db', pg.url]);
      const r = await cliIn(['--spool', join(dir, 'spool'), '--db', pg.url, '--no-migrate', file], { fileKib: 500 });
      expect(r.stderr).toMatch(/^audit-trail ingest: SINK_SPOOL_IO: spool write failed: EFBIG/);
      expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: expect.stringContaining(`read ${count}, committed ${count}, duplicates 0, rejected 0`) });
      expect(Number((await pg.query('SELECT count(*) AS n FROM security_audit_events')).rows[0].n)).toBe(count);
    } finally {
      await pg.drop();
    }
  }, 60_000);

  it('stops with exit 1 when a single line is refused again after delivery freed the spool (it cannot fit at all), delivers what it accepted, and a second run stores the rest', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      // Line 3001 holds a user agent of 600 000 characters (a valid event: the column keeps its first 1024).
      const lines = makeEvents(6000).map((e) => JSON.stringify(e));
      lines[3000] = JSON.stringify({ ...JSON.parse(lines[3000]!), user_agent: 'u'.repeat(600_000) });
      const file = join(dir, 'a.ndjson');
      writeFileSync(file, lines.join('\n'));
      await runCli(['migrate', '--db', pg.url]);
      // Files limited to 500 KiB (ulimit -f): the long line fits in no spool segment, nor on its retry in a new one.
      const limited = await cliIn(['--spool', join(dir, 'spool'), '--db', pg.url, '--no-migrate', file], { fileKib: 500 });
      expect(limited.code).toBe(1);
      expect(limited.stderr).toMatch(/stopped reading .*a\.ndjson: the sink refused a write \(spool write failed: EFBIG/);
      // Up to the long line: its chunk went in halves, so every line before it, and none after.
      const committed = Number(/committed (\d+)/.exec(limited.stdout)![1]);
      expect(committed).toBe(3000);
      expect(Number((await pg.query('SELECT count(*) AS n FROM security_audit_events')).rows[0].n)).toBe(committed);

      const again = await runCli(['ingest', '--db', pg.url, '--spool', join(dir, 'spool2'), file]);
      expect(again.code).toBe(0);
      expect(again.out).toContain(`committed ${6000 - committed}, duplicates ${committed}, rejected 0`);
    } finally {
      await pg.drop();
    }
  }, 60_000);

  it('with --container-events, maps Docker events, Falco alerts and Kubernetes exec audit lines to container events (the shells report lists the exec), skips the other lines, and stores a second load of the file once', async () => {
    const cid = 'abcdef0123456789'.repeat(4);
    const lines = [
      JSON.stringify(makeEvents(1)[0]),
      line(execEvent()),
      ...otherEvents().map(line),
      JSON.stringify({ status: 'start', id: cid, from: 'nginx:1.25', Type: 'container', Action: 'start', Actor: { ID: cid, Attributes: { image: 'nginx:1.25', name: 'web' } }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789 }),
      JSON.stringify({ hostname: 'node-1', priority: 'Notice', rule: 'Terminal shell in container', source: 'syscall', time: '2024-05-01T10:00:00.123456789Z', output: 'A shell was spawned', output_fields: { 'container.id': cid.slice(0, 12), 'container.name': 'web', 'container.image.repository': 'nginx', 'proc.cmdline': 'bash', 'user.name': 'root' } }),
      'plain text from some program',
    ];
    const file = join(dir, 'runtime.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const db = join(dir, 'runtime.db');
    const skipped = otherEvents().length + 1;
    const first = await runCli(['ingest', '--db', `sqlite:${db}`, '--spool', join(dir, 'runtime-spool'), '--container-events', file]);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toBe(`sqlite:${db}: read ${lines.length}, committed 4, duplicates 0, rejected 0, skipped ${skipped}\n`);
    const again = await runCli(['ingest', '--db', `sqlite:${db}`, '--spool', join(dir, 'runtime-spool'), '--container-events', file]);
    expect(again.out).toBe(`sqlite:${db}: read ${lines.length}, committed 0, duplicates 4, rejected 0, skipped ${skipped}\n`);
    const d = new Database(db, { readonly: true });
    const types = (d.prepare('SELECT event_type FROM security_audit_events ORDER BY event_type').all() as { event_type: string }[]).map((r) => r.event_type);
    d.close();
    expect(types).toEqual(['CONTAINER_EXEC', 'CONTAINER_EXEC', 'CONTAINER_START', 'WEBAUTHN_AUTH_FAILURE']);
    const shells = await runCli(['report', 'shells', '--db', `sqlite:${db}`, '--days', '36500', '--format', 'json']);
    expect(shells.code).toBe(0);
    const rows = JSON.parse(shells.out) as { user_name?: string; command_line?: string }[];
    expect(rows.map((r) => r.command_line).sort()).toEqual(['/bin/sh', 'bash']);
    // A line of bad bytes that is skipped is not counted as stored with U+FFFD.
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Buffer.concat([Buffer.from('plain '), Buffer.from([0xff]), Buffer.from(' text\n')]));
    const skippedBad = await runCli(['ingest', '--db', `sqlite:${db}`, '--spool', join(dir, 'runtime-spool'), '--container-events', bad]);
    expect(skippedBad).toMatchObject({ code: 0, err: '' });
    expect(skippedBad.out).toBe(`sqlite:${db}: read 1, committed 0, duplicates 0, rejected 0, skipped 1\n`);
    // Without the option the same file is read as audit lines: everything else is a reject.
    const plain = await runCli(['ingest', '--db', `sqlite:${join(dir, 'plain.db')}`, '--spool', join(dir, 'plain-spool'), file]);
    expect(plain.out).toContain(`read ${lines.length}, committed 1, duplicates 0, rejected ${lines.length - 1}`);
  });

  it('with --node, stores the node a file of Docker events was collected on (the stream names none): the shells report groups by it; the file\'s audit lines keep their own; --node alone is a usage error', async () => {
    const cid = 'fedcba9876543210'.repeat(4);
    const exec = JSON.stringify({ status: 'exec_start: bash', id: cid, from: 'nginx:1.25', Type: 'container', Action: 'exec_start: bash', Actor: { ID: cid, Attributes: { image: 'nginx:1.25', name: 'web' } }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789 });
    const [audit] = makeEvents(1);
    const file = join(dir, 'node-3-events.ndjson');
    writeFileSync(file, `${exec}\n${JSON.stringify(audit)}\n`);
    const db = join(dir, 'nodes.db');
    const run = await runCli(['ingest', '--db', `sqlite:${db}`, '--spool', join(dir, 'nodes-spool'), '--container-events', '--node', 'worker-3', file]);
    expect(run).toMatchObject({ code: 0, err: '' });
    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT event_type, swarm_node FROM security_audit_events ORDER BY event_type').all();
    d.close();
    expect(rows).toEqual([
      { event_type: 'CONTAINER_EXEC', swarm_node: 'worker-3' },
      { event_type: audit!.event_type, swarm_node: null },
    ]);
    const shells = await runCli(['report', 'shells-by-image', '--db', `sqlite:${db}`, '--days', '36500', '--format', 'json']);
    expect(JSON.parse(shells.out)).toEqual([expect.objectContaining({ image: 'nginx:1.25', node: 'worker-3', shells: 1 })]);
    const alone = await runCli(['ingest', '--db', `sqlite:${db}`, '--node', 'worker-3', file]);
    expect(alone).toMatchObject({ code: 2, err: expect.stringContaining('--node names where container events were collected: give it with --container-events') });
    const bad = await runCli(['ingest', '--db', `sqlite:${db}`, '--container-events', '--node', 'worker 3\u001b[2J', file]);
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining('is not a node name') });
  });

  it('says on stderr, once, what it found wrong with its spool (a corrupt tail quarantined), which was kept only as the sink\'s lastError, and exits 1', async () => {
    const file = join(dir, 'one.ndjson');
    writeFileSync(file, `${JSON.stringify(makeEvents(1)[0])}\n`);
    const db = `sqlite:${join(dir, 'spooled.db')}`;
    const spool = join(dir, 'spool');
    expect((await runCli(['ingest', '--db', db, '--spool', spool, file])).code).toBe(0);
    // A segment that holds no record: what a torn write or a damaged disk leaves.
    writeFileSync(join(spool, 'seg-000000000009.log'), 'not a spool record, only damage');
    const r = await runCli(['ingest', '--db', db, '--spool', spool, file]);
    // Damage it did not deliver: exit 1, however little (it cannot tell what it held).
    expect(r.code).toBe(1);
    expect(r.err).toContain('the spool held 1 damaged region (31 bytes)');
    expect(r.out).toContain('duplicates 1');
    const said = r.err.split('\n').filter((l) => l.startsWith('audit-trail ingest: SINK_SPOOL_IO: '));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/spool had 1 torn or corrupt tail\(s\), 31 bytes not loaded \(copies in .*quarantine; `audit-trail salvage` recovers their intact records\): seg-000000000009\.log at byte 0/);
  });

  it('reports usage mistakes with exit 2', async () => {
    expect(await runCli(['ingest', '--batch', 'zero'])).toMatchObject({ code: 2, err: expect.stringContaining('--batch must be a whole number from 1 to 100000, got "zero"') });
    // Node's timers take at most 2^31-1 ms; a longer wait would end at once.
    expect(await runCli(['ingest', '--timeout', '2200000'])).toMatchObject({ code: 2, err: expect.stringContaining('--timeout must be a number of seconds from 0.001 to 2147483 (at most 3 decimals), got "2200000"') });
    // Number() would read these as 1000 and 16 seconds.
    for (const v of ['1e3', '0x10']) expect(await runCli(['ingest', '--timeout', v])).toMatchObject({ code: 2, err: expect.stringContaining(`--timeout must be a number of seconds from 0.001 to 2147483 (at most 3 decimals), got "${v}"`) });
  });

  it('SIGTERM while stdin stays open: the lines already read are written and delivered, not lost with the process; exit 143', async () => {
    const db = join(dir, 'signal.db');
    const bin = resolve(import.meta.dirname, '../src/bin.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', bin, 'ingest', '--db', `sqlite:${db}`, '--spool', join(dir, 'signal-spool'), '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // 500 lines, fewer than one write's 1000, the pipe kept open: the signal comes while the reader waits for more.
    child.stdin.write(`${makeEvents(500).map((e) => JSON.stringify(e)).join('\n')}\n`);
    // Signalled once the lines were read and written (a fixed 2.5 s wait failed on a loaded
    // machine, the child still starting): the reader is then waiting for more.
    const stored = () => {
      if (!existsSync(db)) return 0;
      try {
        const d = new Database(db, { readonly: true });
        try {
          return (d.prepare('SELECT count(*) AS n FROM security_audit_events').get() as { n: number }).n;
        } finally {
          d.close();
        }
      } catch {
        return 0;
      }
    };
    await expect.poll(stored, { timeout: 20_000, interval: 100 }).toBe(500);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect({ code, out, err }).toEqual({ code: 143, out: `sqlite:${db}: read 500, committed 500, duplicates 0, rejected 0\n`, err: expect.stringContaining('stopped by SIGTERM') });
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 500 });
    d.close();
  }, 30_000);

  describe('SIGINT while reading a named pipe (read as a file stream, its open or read blocked a libuv thread that nothing could end)', () => {
    const bin = resolve(import.meta.dirname, '../src/bin.ts');
    /** The ingest of `fifo` into `db`, as a process of its own, with what it prints and how it ends. */
    const startIngest = (db: string, fifo: string) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', bin, 'ingest', '--db', `sqlite:${db}`, '--spool', join(dir, 'fifo-spool'), fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
      const printed = { out: '', err: '' };
      child.stdout.on('data', (d: Buffer) => (printed.out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (printed.err += d.toString()));
      // A generous bound, not a duration asserted: 'still running' is the bug.
      const ended = new Promise<number | null | 'still running'>((r) => {
        child.on('exit', (code) => r(code));
        setTimeout(r, 20_000, 'still running').unref();
      });
      return { child, printed, ended };
    };

    it('with no writer: stops at once, prints the summary and exits 130', async () => {
      const fifo = join(dir, 'quiet.fifo');
      execFileSync('mkfifo', [fifo]);
      const db = join(dir, 'fifo.db');
      const { child, printed, ended } = startIngest(db, fifo);
      try {
        // Ready once it opened the FIFO, or waits in its open for a writer (Linux: wchan wait_for_partner).
        const opened = () =>
          readdirSync(`/proc/${child.pid}/fd`).some((fd) => readlinkSync(`/proc/${child.pid}/fd/${fd}`) === fifo) ||
          readdirSync(`/proc/${child.pid}/task`).some((t) => readFileSync(`/proc/${child.pid}/task/${t}/wchan`, 'utf8') === 'wait_for_partner');
        await expect.poll(opened, { timeout: 20_000, interval: 50 }).toBe(true);
        child.kill('SIGINT');
        expect({ code: await ended, ...printed }).toEqual({ code: 130, out: `sqlite:${db}: read 0, committed 0, duplicates 0, rejected 0\n`, err: expect.stringContaining('stopped by SIGINT') });
        // Said when the signal came, before the wait for delivery (up to --timeout) that followed.
        expect(printed.err.indexOf('audit-trail ingest: SIGINT: stopped reading; writing what was read, then delivering for up to 60 s (--timeout); what is not delivered by then stays in the spool for the next run\n')).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
    }, 60_000);

    it('with a writer that wrote some lines and stays open: those lines are committed and counted, then exit 130', async () => {
      const fifo = join(dir, 'open.fifo');
      execFileSync('mkfifo', [fifo]);
      const db = join(dir, 'fifo-open.db');
      const { child, printed, ended } = startIngest(db, fifo);
      // Opens once the ingest opened it for reading; kept open (a writer gone quiet) until the end.
      const writer = await open(fifo, 'w');
      try {
        await writer.write(`${makeEvents(7).map((e) => JSON.stringify(e)).join('\n')}\n`);
        const stored = () => {
          if (!existsSync(db)) return 0;
          try {
            const d = new Database(db, { readonly: true });
            try {
              return (d.prepare('SELECT count(*) AS n FROM security_audit_events').get() as { n: number }).n;
            } finally {
              d.close();
            }
          } catch {
            return 0; // the tables are not made yet
          }
        };
        // The lines are read and written within MAX_WAIT_MS; then the reader waits in a blocked read.
        await expect.poll(stored, { timeout: 20_000, interval: 100 }).toBe(7);
        child.kill('SIGINT');
        expect({ code: await ended, ...printed }).toEqual({ code: 130, out: `sqlite:${db}: read 7, committed 7, duplicates 0, rejected 0\n`, err: expect.stringContaining('stopped by SIGINT') });
      } finally {
        child.kill('SIGKILL');
        await writer.close();
      }
    }, 60_000);
  });

  it('a slow trickle from a pipe (tail -f) is spooled within moments, not held until 1000 lines: after kill -9, the same spool delivers every line, in order', async () => {
    const db = join(dir, 'trickle.db');
    const spool = join(dir, 'trickle-spool');
    const bin = resolve(import.meta.dirname, '../src/bin.ts');
    const events = makeEvents(5);
    const count = () => {
      if (!existsSync(db)) return 0;
      const d = new Database(db, { readonly: true });
      try {
        return (d.prepare('SELECT count(*) AS n FROM security_audit_events').get() as { n: number }).n;
      } catch {
        return 0; // the tables are not made yet
      } finally {
        d.close();
      }
    };
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', bin, 'ingest', '--db', `sqlite:${db}`, '--spool', spool, '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    let stored = 0;
    try {
      // One line at a time, 100 ms apart, and stdin left open: no chunk ever fills.
      for (const e of events) {
        child.stdin.write(`${JSON.stringify(e)}\n`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The process takes a second or two to start; then each line is written within 200 ms.
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && stored < events.length; await new Promise((r) => setTimeout(r, 100))) stored = count();
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    expect(stored).toBe(events.length);
    // What the killed run had spooled but not yet committed, the next run with the same spool delivers.
    const again = await runCli(['ingest', '--db', `sqlite:${db}`, '--spool', spool, '-'], { stdin: '' });
    expect(again.code).toBe(0);
    const d = new Database(db, { readonly: true });
    const ids = (d.prepare('SELECT event_id FROM security_audit_events ORDER BY id').all() as { event_id: string }[]).map((r) => r.event_id);
    d.close();
    expect(ids).toEqual(events.map((e) => e.event_id));
  }, 30_000);

  it('keeps no line once past it: memory does not grow with what a long run (tail -f) has read, where every line read was held until the run ended (found by a probe: 200 MB of heap after 200 000 lines)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => (gc(), process.memoryUsage().heapUsed);
    // 128 MiB of lines of spaces (skipped, nothing stored), then one event. The stream
    // is asked for more only once the ingest has taken what it had: when it asks for the
    // event, every blank line but the last few chunks has been read and passed.
    const blank = `${' '.repeat(64 * 1024 - 1)}\n`;
    const event = makeEvents(1)[0]!;
    let sent = 0;
    let before = 0;
    let after = 0;
    const stdin = new Readable({
      read() {
        if (sent === 0) before = heap();
        if (sent < 2048) this.push(blank);
        else if (sent === 2048) {
          after = heap();
          this.push(`${JSON.stringify(event)}\n`);
          this.push(null);
        }
        sent++;
      },
    });
    const r = await runCli(['ingest', '--db', `sqlite:${join(dir, 'a.db')}`, '-'], { stdin });
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining('read 1, committed 1') });
    expect(after - before).toBeLessThan(48 * 1024 * 1024);
  }, 60_000);

  it('a write refused while the pipe is idle stops the ingest at once with its error (exit 1), not when the next line comes', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      await runCli(['migrate', '--db', pg.url]);
      // Files limited to 2 KiB (ulimit -f): the spool takes the first lines, then a line longer than
      // that fails with EFBIG, in its segment and again on its retry in a new one.
      // PostgreSQL's files are another process's, so unaffected.
      const repo = resolve(import.meta.dirname, '../../..');
      const cli = [process.execPath, '--import', 'tsx', '--conditions', '@audit-trail/source', join(repo, 'packages/cli/src/bin.ts'), 'ingest', '--db', pg.url, '--no-migrate', '--spool', join(dir, 'spool'), '-'];
      const child = spawn('/bin/bash', ['-c', 'ulimit -f 2 && exec "$@"', 'bash', ...cli], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AUDIT_TRAIL_DB_URL: '' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      let gone = false;
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => ((gone = true), r(code))));
      // The ingest stops at once on the refused write: a line written after that finds the pipe closed (EPIPE).
      child.stdin.on('error', () => undefined);
      // Once the sink is up (its spool made), a line every 300 ms: each is written alone, about 470 bytes
      // of spool; the 3rd holds a 3000-character user agent, more than a segment can take. Then
      // nothing more, stdin left open (tail -f on a quiet log).
      for (const deadline = Date.now() + 15_000; !existsSync(join(dir, 'spool')) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      const events = makeEvents(6);
      events[2] = { ...events[2]!, user_agent: 'u'.repeat(3000) };
      for (const e of events) {
        if (gone) break;
        child.stdin.write(`${JSON.stringify(e)}\n`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(r, 15_000, 'still running'))]);
      child.kill('SIGKILL');
      expect({ code, err }).toEqual({ code: 1, err: expect.stringMatching(/stopped reading stdin: the sink refused a write \(spool write failed: EFBIG/) });
      const committed = Number(/committed (\d+)/.exec(out)![1]);
      expect(committed).toBeGreaterThan(0);
      expect(Number((await pg.query('SELECT count(*) AS n FROM security_audit_events')).rows[0].n)).toBe(committed);
    } finally {
      await pg.drop();
    }
  }, 30_000);
});
