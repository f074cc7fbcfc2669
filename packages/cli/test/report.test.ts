import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeEvent, type AuditEventDraft } from '@audit-trail/schema';
import { createSink } from '@audit-trail/ingest-sink';
import { createTempDatabase, terminateSessions } from '../../ingest-sink/test/helpers/postgres.js';
import { main } from '../src/main.js';
import { runCli } from './support/run-cli.js';

const DAY = 86_400_000;
const producer = { service: 'webauthn-api' };

/** An event dated `daysAgo` days back. */
function at(daysAgo: number, draft: AuditEventDraft) {
  return completeEvent(draft, { producer, now: () => new Date(Date.now() - daysAgo * DAY) });
}

function authFailure(daysAgo: number, user: string, ip: string, code = 'BAD_SIGNATURE') {
  return at(daysAgo, {
    event_type: 'WEBAUTHN_AUTH_FAILURE',
    user_id: user,
    client_ip: ip,
    error: { code, message: 'signature did not verify' },
    webauthn: { failure_stage: 'signature', credential_id: 'AAEC' },
    runtime: { swarm_node: 'node-1' },
  } as AuditEventDraft);
}

const events = [
  authFailure(1, 'alice', '203.0.113.7'),
  authFailure(2, 'bob', '198.51.100.4', 'CHALLENGE_MISMATCH'),
  authFailure(100, 'carol', '192.0.2.1'), // outside the default 90 days
  at(1, {
    event_type: 'WEBAUTHN_AUTH_SUCCESS',
    user_id: 'alice',
    client_ip: '203.0.113.7',
    webauthn: { credential_id: 'AAEC', sign_count: 7, user_verified: true },
  } as AuditEventDraft),
  at(5, {
    event_type: 'WEBAUTHN_REG_FAILURE',
    user_id: 'dave',
    client_ip: '192.0.2.50',
    error: { code: 'ATTESTATION_INVALID', message: 'attestation did not verify' },
    webauthn: { failure_stage: 'attestation' },
    runtime: { k8s_node: 'worker-7' },
  } as AuditEventDraft),
  at(3, {
    event_type: 'CONTAINER_EXEC',
    runtime: { swarm_node: 'node-2' },
    container: { id: 'a'.repeat(64), name: 'api-1', image: 'registry.example/api:1.4' },
    process: { command_line: '/bin/bash', tty: true, exec_user: 'root' },
    detector: { name: 'falco', rule: 'Terminal shell in container' },
  } as AuditEventDraft),
  // Dated a day after it is stored: a producer whose clock runs ahead (or a record dated forward).
  at(-1, {
    event_type: 'CONTAINER_START',
    runtime: { swarm_node: 'node-3' },
    container: { id: 'b'.repeat(64), name: 'clock-1', image: 'registry.example/clock:1' },
    lifecycle: { action: 'start' },
  } as AuditEventDraft),
];

const cli = (...argv: string[]) => runCli(argv);

async function load(url: string) {
  const sink = createSink({ url, spool: { dir: join(tmp, `spool-${Math.random()}`) } });
  await sink.migrate();
  await sink.write(events);
  // Refused input: a line that fails validation, and one a receiver refused.
  await sink.write(['{"event_type":"WEBAUTHN_AUTH_FAILURE"}', { line: '{"Type":"container"}', source: 'forward:10.0.0.9:41000', reject: 'CONTAINER_EVENT_UNTRUSTED_TAG: from "web"' }]);
  await sink.close();
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'at-report-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('audit-trail report on SQLite', () => {
  let url: string;
  let file: string;
  beforeAll(async () => {
    file = join(tmp, 'audit.db');
    url = `sqlite:${file}`;
    await load(url);
  });

  it('lists every WebAuthn failure of the last 90 days, registration and sign-in, by user, IP and node, newest first', async () => {
    const r = await cli('report', 'failures', '--db', url, '--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out);
    expect(rows.map((x: any) => [x.event_type, x.user_id, x.client_ip, x.node])).toEqual([
      ['WEBAUTHN_AUTH_FAILURE', 'alice', '203.0.113.7', 'node-1'],
      ['WEBAUTHN_AUTH_FAILURE', 'bob', '198.51.100.4', 'node-1'],
      ['WEBAUTHN_REG_FAILURE', 'dave', '192.0.2.50', 'worker-7'],
    ]);
    expect(rows[1].error_details).toBe('CHALLENGE_MISMATCH: signature did not verify');
    expect(rows[2]).toMatchObject({ error_details: 'ATTESTATION_INVALID: attestation did not verify', service: 'webauthn-api' });
  });

  it('keeps the reference query (authentication failures only) as auth-failures', async () => {
    const r = await cli('report', 'auth-failures', '--db', url, '--format', 'json');
    expect(JSON.parse(r.out).map((x: any) => [x.user_id, x.client_ip, x.swarm_node])).toEqual([
      ['alice', '203.0.113.7', 'node-1'],
      ['bob', '198.51.100.4', 'node-1'],
    ]);
  });

  it('widens the window with --days', async () => {
    const r = await cli('report', 'failures', '--db', url, '--days', '120', '--format', 'json');
    expect(JSON.parse(r.out).map((x: any) => x.user_id)).toEqual(['alice', 'bob', 'dave', 'carol']);
  });

  it('lists each shell opened in a container: when, where, as whom, with what', async () => {
    const r = await cli('report', 'shells', '--db', url, '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject([
      { node: 'node-2', container_name: 'api-1', container_id: 'a'.repeat(64), image: 'registry.example/api:1.4', exec_user: 'root', user_id: null, command_line: '/bin/bash', detector: 'falco' },
    ]);
  });

  it('counts shells by image and node with shells-by-image', async () => {
    const r = await cli('report', 'shells-by-image', '--db', url, '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject([{ image: 'registry.example/api:1.4', node: 'node-2', shells: 1 }]);
  });

  it('lists events dated after they were stored with future-dated, beyond --skew-minutes; other reports refuse that flag', async () => {
    const r = await cli('report', 'future-dated', '--db', url, '--format', 'json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).map((x: any) => [x.event_type, x.node, x.service])).toEqual([['CONTAINER_START', 'node-3', 'webauthn-api']]);
    expect(JSON.parse((await cli('report', 'future-dated', '--db', url, '--skew-minutes', String(2 * 1440), '--format', 'json')).out)).toEqual([]);
    expect(await cli('report', 'failures', '--db', url, '--skew-minutes', '5')).toMatchObject({ code: 2, err: expect.stringContaining('report "failures" has no --skew-minutes option') });
  });

  it('counts refused input by reason code and source', async () => {
    const r = await cli('report', 'rejects', '--db', url, '--format', 'json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).map((x: any) => [x.reason_code, x.source, x.rejects])).toEqual([
      ['CONTAINER_EVENT_UNTRUSTED_TAG', 'forward:10.0.0.9:41000', 1],
      ['SCHEMA_INVALID', 'direct', 1],
    ]);
  });

  it('prints an aligned table with a header by default', async () => {
    const r = await cli('report', 'auth-failures', '--db', url);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^event_timestamp\s+user_id\s+client_ip\s+error_details\s+swarm_node$/);
    expect(lines[1]).toMatch(/^-+( +-+){4}$/);
    expect(lines).toHaveLength(4);
  });

  it('shows control characters stored in the table as escapes, never raw, and neutralises CSV formulas', async () => {
    // Someone with database access plants an ANSI sequence and a spreadsheet formula.
    const db = new Database(file);
    db.prepare(`UPDATE security_audit_events SET user_id = ? WHERE user_id = 'bob'`).run('=HYPERLINK("x")\u001b[2J');
    db.close();
    const table = await cli('report', 'failures', '--db', url);
    expect(table.out).not.toContain('\u001b');
    expect(table.out).toContain('\\x1b[2J');
    const csv = await cli('report', 'failures', '--db', url, '--format', 'csv');
    expect(csv.out.split('\r\n')[2]).toContain(`"'=HYPERLINK(""x"")\\x1b[2J"`);
    // OWASP's payload starts with a minus and a digit, as a negative number does: only a plain number is exempt.
    const db2 = new Database(file);
    db2.prepare(`UPDATE security_audit_events SET user_id = ? WHERE user_id LIKE '%HYPERLINK%'`).run("-2+3+cmd|' /C calc'!A0");
    db2.close();
    const csv2 = await cli('report', 'failures', '--db', url, '--format', 'csv');
    expect(csv2.out).toContain(`"'-2+3+cmd|' /C calc'!A0"`);
    expect(csv2.out).not.toMatch(/(^|,)"?-2\+3/m);
  });

  it('shows format characters stored in a valid event as escapes: a right-to-left override cannot make one user id read as another', async () => {
    // The schema takes these in a user id (they are not control characters): no database access needed to plant them.
    const db = new Database(file);
    const spoof = 'mallory\u202Enimda\u202C';
    const hidden = 'admin\u200B\u{E0041}';
    db.prepare(`UPDATE security_audit_events SET user_id = ? WHERE rowid = (SELECT min(rowid) FROM security_audit_events WHERE outcome = 'failure')`).run(spoof);
    db.prepare(`UPDATE security_audit_events SET user_id = ? WHERE rowid = (SELECT max(rowid) FROM security_audit_events WHERE outcome = 'failure')`).run(hidden);
    db.close();
    for (const format of ['table', 'csv']) {
      const r = await cli('report', 'failures', '--db', url, '--format', format);
      expect(r.out).not.toMatch(/[\u202E\u202C\u200B]|\u{E0041}/u);
      expect(r.out).toContain('mallory\\u202enimda\\u202c');
      expect(r.out).toContain('admin\\u200b\\u{e0041}');
    }
    // JSON is for programs: the value exactly as stored, its format characters written as JSON escapes (found by a probe).
    const json = await cli('report', 'failures', '--db', url, '--format', 'json');
    expect(json.out).not.toMatch(/[\u202E\u202C\u200B]|\u{E0041}/u);
    expect(json.out).toContain('"mallory\\u202enimda\\u202c"');
    expect(JSON.parse(json.out).map((x: any) => x.user_id)).toEqual(expect.arrayContaining([spoof, hidden]));
  });

  it('rejects an unknown report, a bad number and an option the report does not take, with exit 2', async () => {
    const unknown = await cli('report', 'logins', '--db', url);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown report "logins"');
    const bad = await cli('report', 'failures', '--db', url, '--days', '9O');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--days must be a whole number');
    const range = await cli('report', 'failures', '--db', url, '--days', '0');
    expect(range.code).toBe(2);
    expect(range.err).toContain('--days must be a whole number from 1 to 36500, got "0"');
    const foreign = await cli('report', 'failures', '--db', url, '--min-failures', '3');
    expect(foreign.code).toBe(2);
    expect(foreign.err).toContain('has no --min-failures option');
  });

  it('fails clearly when the database file does not exist', async () => {
    const r = await cli('report', 'failures', '--db', `sqlite:${join(tmp, 'missing.db')}`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot open sqlite:.*missing\.db/);
  });
});

describe('audit-trail report on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let url: string;
  beforeAll(async () => {
    db = await createTempDatabase('at_cli_report');
    url = db.url;
    await load(url);
  });
  afterAll(() => db.drop());

  it('runs the same reports in the PostgreSQL dialect', async () => {
    const failures = await cli('report', 'failures', '--db', url, '--format', 'json');
    expect(failures.err).toBe('');
    const rows = JSON.parse(failures.out);
    expect(rows.map((x: any) => [x.user_id, x.node])).toEqual([
      ['alice', 'node-1'],
      ['bob', 'node-1'],
      ['dave', 'worker-7'],
    ]);
    expect(rows[0].event_timestamp).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    const shells = await cli('report', 'shells', '--db', url, '--format', 'json');
    expect(JSON.parse(shells.out)).toMatchObject([{ node: 'node-2', container_name: 'api-1', exec_user: 'root', command_line: '/bin/bash', detector: 'falco' }]);
    const byImage = await cli('report', 'shells-by-image', '--db', url, '--format', 'csv');
    expect(byImage.out.split('\r\n')[1]).toMatch(/^registry\.example\/api:1\.4,node-2,1,1,/);
    const rejects = await cli('report', 'rejects', '--db', url, '--format', 'json');
    expect(JSON.parse(rejects.out).map((x: any) => [x.reason_code, Number(x.rejects)])).toEqual([
      ['CONTAINER_EVENT_UNTRUSTED_TAG', 1],
      ['SCHEMA_INVALID', 1],
    ]);
  });

  it('keeps text that looks like a number as text in JSON, and counts (BIGINT, text from the driver) as numbers (found by a probe)', async () => {
    const sink = createSink({ url, spool: { dir: join(tmp, `spool-${Math.random()}`) } });
    await sink.write([authFailure(0.5, '00123', '203.0.113.9')]);
    await sink.close();
    const failures = JSON.parse((await cli('report', 'failures', '--db', url, '--format', 'json')).out) as { user_id: unknown }[];
    expect(failures.map((x) => x.user_id)).toContain('00123');
    const [byImage] = JSON.parse((await cli('report', 'shells-by-image', '--db', url, '--format', 'json')).out) as Record<string, unknown>[];
    expect(byImage).toMatchObject({ shells: 1, containers: 1 });
    const rejects = JSON.parse((await cli('report', 'rejects', '--db', url, '--format', 'json')).out) as Record<string, unknown>[];
    expect(rejects.map((x) => typeof x.rejects)).toEqual(['number', 'number']);
  });
});

describe('audit-trail report: a table cut by character (found by a probe)', () => {
  it('shows a user id of 120 characters, two beyond U+FFFF, whole, and pads by character; it cut inside a pair, which printed U+FFFD', async () => {
    const url = `sqlite:${join(tmp, 'wide.db')}`;
    const sink = createSink({ url, spool: { dir: join(tmp, `spool-${Math.random()}`) } });
    await sink.migrate();
    await sink.write([authFailure(0.5, `${'x'.repeat(118)}\u{1F600}\u{1F600}`, '203.0.113.9'), authFailure(0.6, 'bob', '203.0.113.9')]);
    await sink.close();
    const lines = (await cli('report', 'failures', '--db', url)).out.split('\n');
    expect(lines.join('\n')).not.toContain('\uFFFD');
    expect(lines[2]).toContain(`${'x'.repeat(118)}\u{1F600}\u{1F600}  203.0.113.9`);
    expect(lines[3]).toContain(`bob${' '.repeat(117)}  203.0.113.9`);
  });
});

describe('audit-trail report: user ids that differ only by what a terminal does not show (found by a probe)', () => {
  // Each is a valid user id: the schema takes them (none is a control character).
  const ids: [string, string][] = [
    ['admin', 'admin'],
    ['admin\u034F', 'admin\\u034f'],
    ['admin\uFE0F', 'admin\\ufe0f'],
    ['admin\u3164', 'admin\\u3164'],
    ['admin\uFFA0', 'admin\\uffa0'],
    ['admin\u2800', 'admin\\u2800'],
    ['admin\u200B', 'admin\\u200b'],
    // Typed: a backslash, "u200b". It read as the one above.
    ['admin\\u200b', 'admin\\\\u200b'],
  ];
  let url: string;
  beforeAll(async () => {
    url = `sqlite:${join(tmp, 'lookalikes.db')}`;
    const sink = createSink({ url, spool: { dir: join(tmp, `spool-${Math.random()}`) } });
    await sink.migrate();
    // Oldest first: the report lists them newest first, in this order.
    await sink.write(ids.map(([id], i) => authFailure(1 + i / 100, id, '203.0.113.9')));
    await sink.close();
  });

  it('reads each differently, in the table and in CSV, and a typed escape cannot pass for a real one', async () => {
    const table = await cli('report', 'failures', '--db', url);
    const csv = await cli('report', 'failures', '--db', url, '--format', 'csv');
    const tableIds = table.out.trimEnd().split('\n').slice(2).map((l) => l.split(/ {2,}/)[2]);
    const csvIds = csv.out.trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[2]);
    const expected = ids.map(([, shown]) => shown);
    expect({ table: tableIds, csv: csvIds }).toEqual({ table: expected, csv: expected });
  });
});

/** `n` copies of alice's stored sign-in failure (new event ids, a second apart going back), inserted by SQL: quicker than the sink for 200 000 rows. */
function copyRowsSqlite(file: string, n: number) {
  const db = new Database(file);
  const skip = ['id', 'event_id', 'event_timestamp', 'chain_id', 'seq'];
  const cols = (db.prepare('PRAGMA table_info(security_audit_events)').all() as { name: string }[]).map((c) => c.name).filter((c) => !skip.includes(c));
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})
    INSERT INTO security_audit_events (event_id, event_timestamp, ${cols.join(', ')})
    SELECT printf('00000000-0000-7000-8000-%012d', i), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d seconds', 3600 + i)), ${cols.join(', ')}
    FROM n, (SELECT * FROM security_audit_events WHERE user_id = 'alice' AND event_type = 'WEBAUTHN_AUTH_FAILURE')`);
  db.close();
}

describe('audit-trail report on large results', () => {
  const ROWS = 200_000;
  let url: string;
  let file: string;
  beforeAll(async () => {
    file = join(tmp, 'large.db');
    url = `sqlite:${file}`;
    await load(url);
    copyRowsSqlite(file, ROWS);
  }, 60_000);

  it('prints a table of 200 000 rows, aligned (it failed with "Maximum call stack size exceeded" from 130 000, found by a probe)', async () => {
    const r = await cli('report', 'failures', '--db', url);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS + 3 + 2);
    expect(new Set(lines.slice(2).map((l) => l.indexOf('203.0.113.7')).filter((i) => i >= 0))).toEqual(new Set([lines[0]!.indexOf('client_ip')]));
  }, 60_000);

  it('writes csv and json a row at a time, no further ahead of a slow reader than one write (the whole output was one string: "Invalid string length" at 1.5 M rows)', async () => {
    for (const format of ['csv', 'json']) {
      let out = '';
      let most = 0;
      // A reader that takes a chunk per turn of the event loop.
      const stdout = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk, _enc, done) {
          out += chunk;
          setImmediate(done);
        },
      });
      const write = stdout.write.bind(stdout) as (chunk: string) => boolean;
      stdout.write = ((chunk: string) => {
        const ok = write(chunk);
        most = Math.max(most, stdout.writableLength);
        return ok;
      }) as typeof stdout.write;
      const stderr = new Writable({ write: (_c, _e, done) => done() });
      const code = await main(['report', 'failures', '--db', url, '--format', format], { stdin: process.stdin, stdout, stderr, env: {} });
      expect(code).toBe(0);
      expect(out.length).toBeGreaterThan(20_000_000);
      // One 64 KiB write past a full buffer at most, never the report.
      expect(most, format).toBeLessThan(256 * 1024);
      if (format === 'csv') expect(out.split('\r\n')).toHaveLength(ROWS + 3 + 2);
      else expect(JSON.parse(out)).toHaveLength(ROWS + 3);
    }
  }, 120_000);

  it('ends quietly when its reader closes the pipe early (| head): status 141, nothing on stderr', async () => {
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    for (const format of ['csv', 'table']) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', bin, 'report', 'failures', '--db', url, '--format', format], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      // `head -1`: read the first chunk, then close the read end (a run that prints nothing ends the wait too).
      await Promise.race([new Promise((resolve) => child.stdout.once('data', resolve)), exited]);
      child.stdout.destroy();
      const code = await exited;
      expect({ format, code, stderr }).toEqual({ format, code: 141, stderr: '' });
    }
  }, 60_000);
});

describe('audit-trail report on a database never migrated', () => {
  it('says to run migrate (SINK_NOT_MIGRATED), on SQLite and PostgreSQL, with nothing on stdout (it said only "no such table: security_audit_events", found by a probe)', async () => {
    const file = join(tmp, 'never-migrated.db');
    new Database(file).close();
    const db = await createTempDatabase('at_cli_report_bare');
    try {
      for (const url of [`sqlite:${file}`, db.url]) {
        for (const format of ['table', 'csv', 'json']) {
          const r = await cli('report', 'failures', '--db', url, '--format', format);
          expect(r, `${url} ${format}`).toEqual({
            code: 1,
            out: '',
            err: 'audit-trail report: the audit table security_audit_events does not exist in this database: create the audit tables once with `audit-trail migrate --db URL`, then try again\n',
          });
        }
      }
    } finally {
      await db.drop();
    }
  });
});

describe('audit-trail report over a row whose event_json was edited into something that is not JSON', () => {
  it('fails saying that a stored event_json is not JSON and that verify --db names the row, on SQLite and PostgreSQL (it said only "malformed JSON", found by a probe)', async () => {
    const file = join(tmp, 'edited.db');
    const db = await createTempDatabase('at_cli_report_edited');
    try {
      for (const url of [`sqlite:${file}`, db.url]) {
        // No node in the row's columns: the report's node falls back to the event's own, read from event_json.
        const sink = createSink({ url, spool: { dir: join(tmp, `spool-${Math.random()}`) } });
        await sink.migrate();
        await sink.write([at(1, { event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: 'erin', client_ip: '192.0.2.9', error: { code: 'BAD_SIGNATURE', message: 'no' }, webauthn: { failure_stage: 'signature' } } as AuditEventDraft)]);
        await sink.close();
        const edit = "UPDATE security_audit_events SET event_json = substr(event_json, 1, 50) WHERE user_id = 'erin'";
        if (url === db.url) await db.query(edit);
        else {
          const d = new Database(file);
          d.exec(edit);
          d.close();
        }
        for (const format of ['table', 'csv', 'json']) {
          const r = await cli('report', 'failures', '--db', url, '--format', format);
          expect(r.code, `${url} ${format}`).toBe(1);
          expect(r.err, `${url} ${format}`).toMatch(/^audit-trail report: .*: a stored event_json is not JSON \(a row edited in the database\?\): `audit-trail verify --db URL` names it if it was signed, and `SELECT id, event_id FROM security_audit_events WHERE [^`]+` finds it\n$/);
          if (url.startsWith('sqlite:')) {
            // The query the message gives finds the row (an unsigned one, which verify --db does not name).
            const query = /`(SELECT [^`]+)`/.exec(r.err)![1]!;
            const d = new Database(file, { readonly: true });
            expect(d.prepare(query).all()).toEqual([expect.objectContaining({ event_id: expect.any(String) })]);
            d.close();
          }
        }
      }
    } finally {
      await db.drop();
    }
  });
});

describe('audit-trail report on PostgreSQL, a result larger than one cursor page', () => {
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  beforeAll(async () => {
    db = await createTempDatabase('at_cli_report_pages');
    await load(db.url);
    const skip = ['id', 'event_id', 'event_timestamp', 'chain_id', 'seq'];
    const { rows } = await db.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'security_audit_events' ORDER BY ordinal_position");
    const cols = rows.map((r: { column_name: string }) => r.column_name).filter((c: string) => !skip.includes(c));
    await db.query(`INSERT INTO security_audit_events (event_id, event_timestamp, ${cols.join(', ')})
      SELECT gen_random_uuid(), e.event_timestamp - make_interval(secs => i), ${cols.map((c: string) => `e.${c}`).join(', ')}
      FROM security_audit_events e, generate_series(1, 2500) AS i WHERE e.user_id = 'alice' AND e.event_type = 'WEBAUTHN_AUTH_FAILURE'`);
  });
  afterAll(() => db.drop());

  it('reads every row, newest first, through the cursor (1000 a fetch) in every format', async () => {
    const json = await cli('report', 'failures', '--db', db.url, '--format', 'json');
    expect(json.err).toBe('');
    const rows = JSON.parse(json.out) as { event_timestamp: string; user_id: string }[];
    expect(rows).toHaveLength(2503);
    expect(rows.map((r) => r.event_timestamp)).toEqual(rows.map((r) => r.event_timestamp).sort().reverse());
    expect(rows.filter((r) => r.user_id === 'alice')).toHaveLength(2501);
    const csv = await cli('report', 'failures', '--db', db.url, '--format', 'csv');
    expect(csv.out.split('\r\n')).toHaveLength(2503 + 2);
    const table = await cli('report', 'failures', '--db', db.url);
    expect(table.out.trimEnd().split('\n')).toHaveLength(2503 + 2);
  });

  it('a session the server ends while csv or json waits on its reader (the minute idle in transaction, a restart) exits 1 saying why and that the output is incomplete, not only pg\'s "Client has encountered a connection error and is not queryable" (found by a probe)', async () => {
    for (const format of ['csv', 'json']) {
      let out = '';
      let ended = false;
      // A reader that stops taking the output after its first chunk: meanwhile the server ends the report's session.
      const stdout = new Writable({
        highWaterMark: 1024,
        write(chunk, _enc, done) {
          out += chunk;
          if (ended) return done();
          ended = true;
          void terminateSessions(db, 'datname = current_database() AND pid <> pg_backend_pid()').then(() => setTimeout(done, 200));
        },
      });
      let err = '';
      const stderr = new Writable({
        write(chunk, _enc, done) {
          err += chunk;
          done();
        },
      });
      const code = await main(['report', 'failures', '--db', db.url, '--format', format], { stdin: process.stdin, stdout, stderr, env: {} });
      expect(code, format).toBe(1);
      expect(out.length).toBeGreaterThan(0);
      expect(err).toMatch(/^audit-trail report: PostgreSQL connection lost: terminating connection due to administrator command; reading stopped after \d+ row\(s\): the output is incomplete\n$/);
    }
  });
});
