import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { completeEvent, createTableStatements, type AuditEventDraft } from '@audit-trail/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { createTempDatabase, PG_ADMIN_URL } from '../../ingest-sink/test/helpers/postgres.js';
import { tempDir } from '../../ingest-sink/test/helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-cli-')));
afterEach(() => cleanup());

describe('audit-trail migrate', () => {
  it('creates the SQLite tables and indexes, and is idempotent', async () => {
    const file = join(dir, 'a.db');
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['migrate', '--db', `sqlite:${file}`]);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(/^migrated sqlite:.*a\.db \(sqlite, \d+ statements, idempotent\)\n$/);
    }
    const db = new Database(file, { readonly: true });
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    db.close();
    expect(names).toEqual(expect.arrayContaining(['security_audit_events', 'security_audit_rejects', 'ux_security_audit_events_event_id', 'ux_security_audit_events_chain_seq']));
  });

  it('refuses a password file that is not a regular file (/dev/zero) or is over 1 MiB, naming it and the limit, before connecting', async () => {
    const big = join(dir, 'big-pw');
    writeFileSync(big, 'x'.repeat(1024 * 1024 + 1));
    for (const [file, why] of [['/dev/zero', 'is a character device, not a regular file'], [big, 'is larger than the limit of 1048576 bytes (1 MiB)']]) {
      const r = await runCli(['migrate'], { env: { AUDIT_TRAIL_DB_URL: 'postgres://audit@127.0.0.1:1/audit', AUDIT_TRAIL_DB_PASSWORD_FILE: file } });
      expect(r.code, file).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(`AUDIT_TRAIL_DB_PASSWORD_FILE file ${file} ${why}: refusing to read it`);
    }
  });

  it('says, when the database user may not create the tables (a least-privilege writer), to migrate as their owner and write without migrating; ingest --no-migrate then writes (it said only "permission denied for schema public"; found by a probe)', async () => {
    const db = await createTempDatabase('at_cli_priv');
    const role = `at_cli_writer_${randomBytes(4).toString('hex')}`;
    try {
      expect((await runCli(['migrate', '--db', db.url])).code).toBe(0);
      // PostgreSQL 15 gives PUBLIC no CREATE on schema public; the writer may only read and insert.
      await db.query(`CREATE ROLE ${role} LOGIN`);
      await db.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
      await db.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
      await db.query(`GRANT SELECT, INSERT ON security_audit_events, security_audit_rejects TO ${role}`);
      await db.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      const url = db.url.replace('postgres@', `${role}@`);
      const events = [completeEvent({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: 'u', error: { code: 'BAD_SIGNATURE', message: 'x' }, webauthn: { failure_stage: 'signature' } } as AuditEventDraft, { producer: { service: 'priv' } })];
      const stdin = `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
      const denied = await runCli(['ingest', '--db', url, '--spool', join(dir, 'priv-spool'), '-'], { stdin });
      expect(denied.code).toBe(1);
      expect(denied.err).toMatch(/permission denied for schema public: this database user may not create or change the audit tables; have their owner run `audit-trail migrate` once, then write without migrating \(`audit-trail ingest --no-migrate`, createSink\(\{ migrate: false \}\)\)/);
      const written = await runCli(['ingest', '--no-migrate', '--db', url, '--spool', join(dir, 'priv-spool'), '-'], { stdin });
      expect(written).toMatchObject({ code: 0, err: '' });
      expect((await db.query('SELECT count(*)::int AS n FROM security_audit_events')).rows[0].n).toBe(1);
    } finally {
      await db.drop();
      // Roles belong to the cluster, not the database.
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('migrates PostgreSQL from AUDIT_TRAIL_DB_URL with the password from a file, never printing it', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      const pwFile = join(dir, 'pw');
      writeFileSync(pwFile, 's3cr3t-P@ss\n');
      const url = pg.url.replace('postgres@', 'postgres:placeholder@');
      const r = await runCli(['migrate'], { env: { AUDIT_TRAIL_DB_URL: url, AUDIT_TRAIL_DB_PASSWORD_FILE: pwFile } });
      expect(r.code).toBe(0);
      expect(r.out + r.err).not.toContain('s3cr3t');
      expect(r.out).toContain('postgres://postgres:***@');
      const again = await runCli(['migrate', '--db', pg.url]);
      expect(again.code).toBe(0);
      const { rows } = await pg.query("SELECT indexname FROM pg_indexes WHERE tablename = 'security_audit_events' ORDER BY indexname");
      expect(rows.map((x) => x.indexname)).toContain('ux_security_audit_events_event_id');
    } finally {
      await pg.drop();
    }
  });

  it('exits 1 on a table that cannot hold what this version writes, printing the statement that fixes it', async () => {
    const file = join(dir, 'old.db');
    const db = new Database(file);
    for (const s of createTableStatements('sqlite')) db.exec(s.replace(/\n\s*reason TEXT NOT NULL,/, ''));
    db.close();
    const r = await runCli(['migrate', '--db', `sqlite:${file}`]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('security_audit_rejects.reason: missing');
    expect(r.err).toContain('  -- SQLite cannot add the NOT NULL column security_audit_rejects.reason to an existing table: create a new table with the current DDL (sql/sqlite/) and copy the rows into it\n');
    // The table is empty: a default makes SQLite add it.
    const fixed = new Database(file);
    fixed.exec("ALTER TABLE security_audit_rejects ADD COLUMN reason TEXT NOT NULL DEFAULT '';");
    fixed.close();
    expect(await runCli(['migrate', '--db', `sqlite:${file}`])).toMatchObject({ code: 0, err: '' });
  });

  it('on tables another application made, lacking NOT NULL columns its indexes name (event_id, received_at), leaves them as they are and lists the columns with their fix, exit 1, where it printed only the database\'s "no such column: event_id" (found by a probe)', async () => {
    const file = join(dir, 'foreign.db');
    const db = new Database(file);
    db.exec('CREATE TABLE security_audit_events (id INTEGER PRIMARY KEY, payload TEXT); CREATE TABLE security_audit_rejects (id INTEGER PRIMARY KEY, note TEXT)');
    db.close();
    const r = await runCli(['migrate', '--db', `sqlite:${file}`]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).not.toContain('no such column');
    expect(r.err).toContain('security_audit_events.event_id: missing');
    expect(r.err).toContain('security_audit_rejects.received_at: missing');
    expect(r.err).toContain('  -- SQLite cannot add the NOT NULL column security_audit_events.event_id to an existing table');
    // Only one table another application made: the other is created, and the drift named is that table's.
    const half = join(dir, 'half.db');
    const h = new Database(half);
    h.exec('CREATE TABLE security_audit_rejects (id INTEGER PRIMARY KEY, note TEXT)');
    h.close();
    const r2 = await runCli(['migrate', '--db', `sqlite:${half}`]);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain('security_audit_rejects.received_at: missing');
    expect(r2.err).not.toContain('security_audit_events.');
    // Nothing added to a table that is not this version's: its nullable columns are listed, not added.
    const after = new Database(half, { readonly: true });
    expect((after.prepare("SELECT name FROM pragma_table_info('security_audit_rejects')").all() as { name: string }[]).map((c) => c.name)).toEqual(['id', 'note']);
    after.close();
  });

  it('on a column of the operator\'s own that is NOT NULL without a default, migrate and ingest exit 1 naming it, where both exited 0 and ingest turned every event into a DB_REFUSED reject (found by a probe)', async () => {
    const lines = join(dir, 'lines.ndjson');
    writeFileSync(lines, `${JSON.stringify(completeEvent({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: 'u1', error: { code: 'X', message: 'm' }, webauthn: { failure_stage: 'signature' } } as AuditEventDraft, { producer: { service: 'svc' } }))}\n`);
    const file = join(dir, 'tenant.db');
    const db = new Database(file);
    for (const s of createTableStatements('sqlite')) db.exec(s.replace('event_json TEXT NOT NULL', 'event_json TEXT NOT NULL,\n  tenant TEXT NOT NULL'));
    db.close();
    const migrate = await runCli(['migrate', '--db', `sqlite:${file}`]);
    expect(migrate).toMatchObject({ code: 1, out: '' });
    expect(migrate.err).toContain('security_audit_events.tenant: NOT NULL without a default, and not a column this version writes');
    const ingest = await runCli(['ingest', '--db', `sqlite:${file}`, '--spool', join(dir, 'spool'), lines]);
    expect(ingest.code).toBe(1);
    expect(ingest.err).toContain('security_audit_events.tenant: NOT NULL without a default');
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT count(*) AS n FROM security_audit_rejects').get()).toEqual({ n: 0 });
    after.close();
    // PostgreSQL: ingest (which migrates unless --no-migrate) refuses at start; with --no-migrate the event stays spooled.
    const pgdb = await createTempDatabase('at_cli');
    try {
      expect((await runCli(['migrate', '--db', pgdb.url])).code).toBe(0);
      await pgdb.query('ALTER TABLE security_audit_events ADD COLUMN tenant TEXT NOT NULL');
      const pgIngest = await runCli(['ingest', '--db', pgdb.url, '--spool', join(dir, 'pg-spool'), lines]);
      expect(pgIngest.code).toBe(1);
      expect(pgIngest.err).toContain('postgres: 1 column(s) of the existing audit tables cannot hold what this version writes:\n  security_audit_events.tenant: NOT NULL without a default');
      const held = await runCli(['ingest', '--no-migrate', '--db', pgdb.url, '--spool', join(dir, 'pg-spool'), '--timeout', '1', lines]);
      expect(held.code).toBe(1);
      expect(held.err).toContain('1 event is still spooled (postgres: 1 column(s) of the existing audit tables cannot hold what this version writes: security_audit_events.tenant: NOT NULL without a default');
      expect((await pgdb.query('SELECT count(*)::int AS n FROM security_audit_rejects')).rows[0].n).toBe(0);
    } finally {
      await pgdb.drop();
    }
  });

  it('on a view holding the events table\'s name, says it is a view and to rename or drop it, where it listed each column as missing with an ALTER TABLE ... ADD COLUMN that cannot work on a view (found by a probe)', async () => {
    const view = join(dir, 'view.db');
    const v = new Database(view);
    v.exec('CREATE TABLE t (x INTEGER); CREATE VIEW security_audit_events AS SELECT x AS event_id FROM t');
    v.close();
    const r = await runCli(['migrate', '--db', `sqlite:${view}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('sqlite: 1 view(s) in place of a table of the existing audit tables cannot hold what this version writes:\n  security_audit_events: a view, not a table:');
    expect(r.err).toContain('the table names are fixed (no option names others): rename the view or drop it, and migrate again, which creates the table');
    expect(r.err).toContain("  -- SQLite cannot rename a view: keep its definition (SELECT sql FROM sqlite_master WHERE name = 'security_audit_events') to create it again under another name, then DROP VIEW security_audit_events;\n");
    expect(r.err).not.toContain('ADD COLUMN');
    expect(r.err).not.toContain('security_audit_events.event_id');
    // The fix, then migrate: the table is made, and the view's data kept under the new name.
    const fix = new Database(view);
    fix.exec('DROP VIEW security_audit_events; CREATE VIEW old_events AS SELECT x AS event_id FROM t');
    fix.close();
    expect(await runCli(['migrate', '--db', `sqlite:${view}`])).toMatchObject({ code: 0, err: '' });
  });

  it('on tables an earlier version made (no k8s_node), report and verify --db say to run migrate, and ingest --no-migrate says why its events stay spooled; after migrate all three work', async () => {
    const file = join(dir, 'before.db');
    const db = new Database(file);
    for (const s of createTableStatements('sqlite')) db.exec(s.replace(/\n\s*k8s_node [^\n]*,/, ''));
    db.close();
    const url = `sqlite:${file}`;
    const report = await runCli(['report', 'failures', '--db', url]);
    expect(report.code).toBe(1);
    expect(report.err).toContain('the audit tables lack the column k8s_node, added by a later version: run `audit-trail migrate --db URL` once');
    const verify = await runCli(['verify', '--db', url]);
    expect(verify.code).toBe(2);
    expect(verify.err).toContain('lack the column k8s_node');
    const lines = join(dir, 'lines.ndjson');
    writeFileSync(lines, `${JSON.stringify(completeEvent({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: 'u1', client_ip: '192.0.2.1', error: { code: 'X', message: 'm' }, webauthn: { failure_stage: 'signature' } } as AuditEventDraft, { producer: { service: 'svc' } }))}\n`);
    const spool = join(dir, 'spool');
    const ingest = await runCli(['ingest', '--db', url, '--no-migrate', '--spool', spool, '--timeout', '1', lines]);
    expect(ingest.code).not.toBe(0);
    // Its check found the column missing before any write (check-first.ts).
    expect(ingest.err).toContain('1 event is still spooled (sqlite: 1 column(s) of the existing audit tables cannot hold what this version writes: security_audit_events.k8s_node: missing; run `audit-trail migrate --db URL` once, or leave out --no-migrate: it adds missing columns, and prints the statements that fix the rest)');
    expect(await runCli(['migrate', '--db', url])).toMatchObject({ code: 0, err: '' });
    expect(await runCli(['ingest', '--db', url, '--no-migrate', '--spool', spool, lines])).toMatchObject({ code: 0 });
    const after = await runCli(['report', 'failures', '--db', url, '--format', 'json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.out)).toHaveLength(1);
  });

  it('ingest --no-migrate into a PostgreSQL database not in UTF8 says what its check said, without sending the operator to migrate, which refuses it too (found by a review)', async () => {
    const name = `at_cli_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    try {
      // Tables made by hand (migrate refuses the database): what an operator may have.
      const db = new pg.Client({ connectionString: url });
      db.on('error', () => undefined);
      await db.connect();
      try {
        for (const s of createTableStatements('postgres')) await db.query(s);
      } finally {
        await db.end();
      }
      const migrate = await runCli(['migrate', '--db', url]);
      expect(migrate.code).not.toBe(0);
      expect(migrate.err).toContain('encoding is SQL_ASCII, not UTF8');
      const lines = join(dir, 'lines.ndjson');
      writeFileSync(lines, `${JSON.stringify(completeEvent({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: 'u1', client_ip: '192.0.2.1', error: { code: 'X', message: 'm' }, webauthn: { failure_stage: 'signature' } } as AuditEventDraft, { producer: { service: 'svc' } }))}\n`);
      const ingest = await runCli(['ingest', '--db', url, '--no-migrate', '--spool', join(dir, 'spool'), '--timeout', '1', lines]);
      expect(ingest.code).not.toBe(0);
      expect(ingest.err).toContain("1 event is still spooled (postgres: the database's encoding is SQL_ASCII, not UTF8: ");
      expect(ingest.err).toContain("CREATE DATABASE audit ENCODING 'UTF8'");
      expect(ingest.err).not.toContain('audit-trail migrate');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('prints the DDL of the dialect with --print (Babelfish without IGNORE_DUP_KEY)', async () => {
    const sqlServer = await runCli(['migrate', '--print', '--db', 'mssql://sa@localhost:1433/audit?babelfish=false']);
    expect(sqlServer.code).toBe(0);
    expect(sqlServer.out).toContain('IGNORE_DUP_KEY = ON');
    const babelfish = await runCli(['migrate', '--print', '--db', 'mssql://sa@localhost:1433/audit?babelfish=true']);
    expect(babelfish.out).toContain('CREATE TABLE dbo.security_audit_events');
    expect(babelfish.out).not.toContain('IGNORE_DUP_KEY');
  });

  it('fails clearly on bad URLs, unknown options and unreachable servers', async () => {
    // A URL it cannot use is a usage mistake (exit 2), as in every command; an unreachable server is a failure (1).
    expect(await runCli(['migrate', '--db', 'mysql://x/y'])).toMatchObject({ code: 2, err: expect.stringContaining('unsupported database URL scheme') });
    expect(await runCli(['migrate', '--bogus'])).toMatchObject({ code: 2, err: expect.stringContaining('Unknown option') });
    // Only the first sentence of Node's message: its hint about positionals quoted the option unbalanced.
    expect((await runCli(['report', 'failures', '--frobnicate'])).err).toBe(`audit-trail report: Unknown option '--frobnicate'\nRun "audit-trail report --help" for usage.\n`);
    const refused = await runCli(['migrate', '--db', 'postgres://postgres:hunter2@127.0.0.1:1/none']);
    expect(refused.code).toBe(1);
    expect(refused.err).not.toContain('hunter2');
    expect(await runCli(['migrate', '--db', 'sqlite:'])).toMatchObject({ code: 2, err: expect.stringContaining('names no file') });
  });
});
