/**
 * SQL Server artefacts. The file checks always run. The live suite runs only
 * when MSSQL_URL is set (e.g. `mssql://sa:Passw0rd!@127.0.0.1:1433/master?encrypt=false`,
 * SQL Server or Babelfish): it creates its own database, applies the DDL twice
 * and runs every report query against fixture rows. SQL Server cannot run on
 * the development machine, so this is the one env-gated suite.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindQuery, INSERT_COLUMNS, REPORT_QUERIES, REPORT_QUERY_NAMES, resolveParams } from '../src/index.js';
import { normalise, oracle, rejectFixtures, reportFixtures, rowOf } from './support/report-fixtures.js';
import { REPO_ROOT } from './support/report-suite.js';
import { createTableStatements, MSSQL_SESSION_SETTINGS } from '../src/table/ddl.js';
import { jsonBigint } from '../src/table/query-sql.js';
import { mssqlPoolConfig } from './support/mssql-url.js';

const REFERENCE = `SELECT event_timestamp, user_id, client_ip, error_details, swarm_node
FROM dbo.security_audit_events
WHERE event_type = 'WEBAUTHN_AUTH_FAILURE'
  AND event_timestamp >= DATEADD(day, -90, SYSUTCDATETIME())
ORDER BY event_timestamp DESC;`;

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const read = (...p: string[]) => readFile(join(REPO_ROOT, 'sql', ...p), 'utf8');
/** Batches of a sqlcmd script: the text between `GO` lines. */
const batches = (script: string) => script.split(/^GO\s*$/m).map((b) => b.trim()).filter((b) => b && !/^(--[^\n]*\n?)+$/.test(b));

describe('SQL Server files', () => {
  it('ship the reference query verbatim (apart from whitespace)', async () => {
    const text = await read('queries', 'mssql', 'failures-by-user-ip.sql');
    const body = text.split('\n').filter((l) => !l.startsWith('--')).join('\n');
    expect(squash(body)).toBe(squash(REFERENCE));
  });

  it('make the event_id index ignore duplicates on SQL Server', async () => {
    const ddl = await read('mssql', '001_security_audit_events.sql');
    expect(ddl).toMatch(/CREATE UNIQUE INDEX UX_security_audit_events_event_id ON dbo\.security_audit_events \(event_id\) WITH \(IGNORE_DUP_KEY = ON\);/);
    // Only the idempotency key ignores duplicates: a (chain_id, seq) collision must fail loudly.
    expect(ddl.match(/IGNORE_DUP_KEY/g)).toHaveLength(1);
    expect(ddl).toMatch(/CREATE UNIQUE INDEX UX_security_audit_events_chain_seq ON dbo\.security_audit_events \(chain_id, seq\) WHERE chain_id IS NOT NULL;/);
  });

  it('give Babelfish a variant with neither IGNORE_DUP_KEY nor MERGE', async () => {
    const ddl = await read('mssql-babelfish', '001_security_audit_events.sql');
    expect(ddl).not.toMatch(/IGNORE_DUP_KEY/i);
    expect(ddl).not.toMatch(/\bMERGE\b/i);
    expect(ddl).toMatch(/CREATE UNIQUE INDEX UX_security_audit_events_event_id ON dbo\.security_audit_events \(event_id\);/);
    for (const name of REPORT_QUERY_NAMES) expect(await read('queries', 'mssql', `${name}.sql`)).not.toMatch(/\bMERGE\b/i);
  });

  it('separate every statement with a GO line and guard each one for re-runs', async () => {
    for (const dir of ['mssql', 'mssql-babelfish']) {
      const parts = batches(await read(dir, '001_security_audit_events.sql'));
      // The session settings, then one GO batch per statement the generator makes (tables, indexes).
      expect(parts.length).toBe(1 + createTableStatements('mssql').length);
      for (const b of parts.slice(1)) expect(b).toMatch(/IF OBJECT_ID|IF NOT EXISTS|BEGIN TRY/);
    }
  });

  it('set QUOTED_IDENTIFIER and ANSI_NULLS ON in a batch before any statement: the filtered unique indexes need both, and sqlcmd starts with QUOTED_IDENTIFIER off (found by a review)', async () => {
    for (const dir of ['mssql', 'mssql-babelfish']) {
      const parts = batches(await read(dir, '001_security_audit_events.sql'));
      const settings = parts[0]!.split('\n').filter((l) => l.trim() && !l.startsWith('--'));
      expect(settings, dir).toEqual([...MSSQL_SESSION_SETTINGS]);
      expect(settings).toEqual(['SET ANSI_NULLS ON;', 'SET QUOTED_IDENTIFIER ON;']);
      // The filtered indexes come after it.
      expect(parts.slice(1).some((b) => /CREATE UNIQUE INDEX .* WHERE \w+ IS NOT NULL/.test(b))).toBe(true);
    }
    expect(await readFile(join(REPO_ROOT, 'sql', 'README.md'), 'utf8')).toMatch(/sqlcmd -I /);
  });

  it('give the shell reports\' state column room for every state the launches CTE can produce, \'skip:\' + the longest included: a longer one would be cut to fit, silently (found by a review)', async () => {
    for (const name of ['container-shells', 'container-shell-sessions']) {
      const text = await read('queries', 'mssql', `${name}.sql`);
      const cte = text.slice(text.indexOf('launches (id, word, rest, state, step, more) AS ('), text.indexOf('\n)', text.indexOf('launches (id')));
      // The width: of the anchor's state ('cmd') and of the recursive step's, which SQL Server wants the same.
      const width = Number(/CAST\('cmd' AS VARCHAR\((\d+)\)\)/.exec(cte)![1]);
      expect(cte.match(/ END AS VARCHAR\((\d+)\)\),\n/)![1], name).toBe(String(width));
      // Every state is a string literal after THEN or ELSE (or the anchor's 'cmd'); one more is
      // made by appending: 'skip:' + state.
      const states = new Set(['cmd', ...[...cte.matchAll(/\b(?:THEN|ELSE) '((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"))]);
      expect(cte, name).toContain("THEN 'skip:' + state");
      // The extraction finds what the CTE is known to produce (shell-commands.ts).
      for (const known of ['shell', 'no', 'cmd+', 'sudo+', 'su-user+', 'runuser-user+', 'skip:runuser -u', 'skip:cmd+', 'python']) expect(states, `${name}: ${known}`).toContain(known);
      const longest = [...states].reduce((a, b) => (b.length > a.length ? b : a));
      for (const state of [...states, `skip:${longest}`]) expect(state.length, `${name}: '${state}' in VARCHAR(${width})`).toBeLessThanOrEqual(width);
    }
  });

  it('find bursts without adding minutes to a stored time: DATEADD past 9999-12-31 is Msg 517 (found by a review)', async () => {
    const text = await read('queries', 'mssql', 'failure-bursts-by-ip.sql');
    expect(text).not.toMatch(/DATEADD\(minute, \d/);
    expect(text).toContain('AND DATEADD(minute, -10, nth_after) < event_timestamp');
    expect(text).toContain('AND DATEADD(minute, -10, f.event_timestamp) < w.event_timestamp');
    // Bound with parameters, the minutes are negated the same way.
    expect(bindQuery(REPORT_QUERIES['failure-bursts-by-ip'], 'mssql').text).toContain('DATEADD(minute, -@window_minutes, nth_after) < event_timestamp');
  });

  it('read stored_sign_count with TRY_CONVERT, so a number written 1e3 is no conversion error (Msg 8114) that stops the report (found by a review)', async () => {
    const text = await read('queries', 'mssql', 'counter-regressions.sql');
    expect(text).not.toMatch(/CAST\(JSON_VALUE/);
    const v = "JSON_VALUE(event_json, '$.webauthn.stored_sign_count')";
    expect(text).toContain(`COALESCE(TRY_CONVERT(BIGINT, ${v}), TRY_CONVERT(BIGINT, TRY_CONVERT(FLOAT(53), ${v}))) AS stored_sign_count`);
  });

  it('read shells with a recursive CTE SQL Server accepts: WITH without RECURSIVE, one type per column in both parts, fewer steps than MAXRECURSION (100), NULL image or node last without NULLS LAST', async () => {
    for (const name of ['container-shell-sessions', 'container-shells']) {
      const text = await read('queries', 'mssql', `${name}.sql`);
      expect(text).toMatch(/^WITH launches \(id, word, rest, state, step, more\) AS \(/m);
      expect(text).not.toMatch(/RECURSIVE|NULLS (LAST|FIRST)|OFFSET/);
      const [anchor, recursive] = text.slice(text.indexOf('WITH launches'), text.indexOf('\nexecs AS')).split('UNION ALL');
      for (const part of [anchor!, recursive!]) {
        // word and rest as NVARCHAR(MAX), state as VARCHAR(32), step and more integers: "Types don't match between the anchor and the recursive part" otherwise.
        expect(part, name).toMatch(/SELECT id,\s+CAST\(.* AS NVARCHAR\(MAX\)\),\s+CAST\(.* AS NVARCHAR\(MAX\)\),\s+CAST\([\s\S]* AS VARCHAR\(32\)\),\s+(0|step \+ 1),\s+(CASE WHEN .* THEN 0 WHEN .* THEN 2 ELSE 1 END|more)\n/);
      }
      expect(recursive).toMatch(/\(step < (\d+) OR word = ''\)/);
      // One step more where the line has ended at the last (word = ''): it decides.
      expect(Number(/step < (\d+)/.exec(recursive!)![1]) + 1).toBeLessThan(100);
    }
    expect(await read('queries', 'mssql', 'container-shells.sql')).toContain('ORDER BY shells DESC, CASE WHEN image IS NULL THEN 1 ELSE 0 END, image, CASE WHEN node IS NULL THEN 1 ELSE 0 END, node;');
  });

  it('type sign_count as BIGINT, credential_id wide enough for 1023 bytes, Swarm columns nullable', async () => {
    const ddl = await read('mssql', '001_security_audit_events.sql');
    expect(ddl).toContain('sign_count BIGINT NULL');
    expect(ddl).toContain('credential_id VARCHAR(1364) NULL');
    for (const c of ['swarm_node', 'swarm_service', 'swarm_task_id']) expect(ddl).toMatch(new RegExp(`${c} N?VARCHAR\\(\\d+\\) NULL`));
  });
});

describe('MSSQL_URL as the live suite reads it', () => {
  it('gives mssql the server, login, database and TLS options of an mssql:// URL: mssql 12 reads only ADO.NET connection strings, and a URL handed over as text connected to no server ("The config.server property is required"; found by a probe)', async () => {
    const sql = (await import('mssql')).default;
    // What mssql made of a URL (its pool's `config`, which its types leave out), for those the READMEs and this file's header give.
    const seen = (url: string) => (new sql.ConnectionPool(mssqlPoolConfig(url) as never) as unknown as { config: Record<string, unknown> }).config;
    expect(seen('mssql://sa:Str0ng%21Passw0rd@127.0.0.1:1433/audit?trustServerCertificate=true')).toMatchObject({
      server: '127.0.0.1',
      port: 1433,
      user: 'sa',
      password: 'Str0ng!Passw0rd',
      database: 'audit',
      options: { trustServerCertificate: true },
    });
    expect(seen('mssql://sa:Passw0rd!@127.0.0.1:1433/master?encrypt=false')).toMatchObject({ server: '127.0.0.1', password: 'Passw0rd!', database: 'master', options: { encrypt: false } });
    // A named instance (its host written %5C, or ?instanceName=), an IPv6 host without its brackets.
    expect(seen('mssql://u:p@db%5CSQLEXPRESS/x')).toMatchObject({ server: 'db', options: { instanceName: 'SQLEXPRESS' } });
    expect(seen('sqlserver://u:p@db/x?instanceName=SQLEXPRESS')).toMatchObject({ server: 'db', options: { instanceName: 'SQLEXPRESS' } });
    expect(seen('mssql://u:p@[::1]:14330/x')).toMatchObject({ server: '::1', port: 14330 });
    // Names in any case, as the sink takes them; a value other than true or false is refused, not read as true.
    expect(seen('mssql://u:p@db/x?TrustServerCertificate=True&ENCRYPT=no')).toMatchObject({ options: { trustServerCertificate: true, encrypt: false } });
    expect(() => mssqlPoolConfig('mssql://u:p@db/x?encrypt=ture')).toThrow(/encrypt must be true or false/);
  });
});

describe.runIf(process.env.MSSQL_URL)('SQL Server live (MSSQL_URL)', () => {
  type Pool = import('mssql').ConnectionPool;
  const dbName = `at_schema_${randomBytes(6).toString('hex')}`;
  let admin: Pool;
  let pool: Pool;
  let babelfish = false;
  const now = Date.now();
  const events = reportFixtures(now);

  beforeAll(async () => {
    const sql = (await import('mssql')).default;
    admin = await new sql.ConnectionPool(mssqlPoolConfig(process.env.MSSQL_URL!) as never).connect();
    babelfish = String((await admin.request().query('SELECT @@VERSION AS v')).recordset[0].v).startsWith('Babelfish');
    await admin.request().batch(`CREATE DATABASE ${dbName}`);
    const url = new URL(process.env.MSSQL_URL!);
    url.pathname = `/${dbName}`;
    pool = await new sql.ConnectionPool(mssqlPoolConfig(url.toString()) as never).connect();
  });

  afterAll(async () => {
    await pool?.close();
    await admin?.request().batch(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin?.close();
  });

  it('applies the DDL twice and stores the fixtures', async () => {
    const script = await read(babelfish ? 'mssql-babelfish' : 'mssql', '001_security_audit_events.sql');
    for (let run = 0; run < 2; run++) for (const b of batches(script)) await pool.request().batch(b);
    const sql = (await import('mssql')).default;
    const names = INSERT_COLUMNS.map((c) => c.name);
    for (const e of events) {
      const req = pool.request();
      rowOf(e).forEach((v, i) => {
        const name = names[i]!;
        if (name === 'event_timestamp') req.input(`p${i}`, sql.DateTime2(3), new Date(String(v)));
        else req.input(`p${i}`, v);
      });
      await req.query(`INSERT INTO dbo.security_audit_events (${names.join(', ')}) VALUES (${names.map((_, i) => `@p${i}`).join(', ')})`);
    }
    for (const r of rejectFixtures(now)) {
      await pool
        .request()
        .input('at', sql.DateTime2(3), new Date(r.received_at))
        .input('source', r.source)
        .input('reason', r.reason)
        .input('raw', r.raw_payload)
        .query('INSERT INTO dbo.security_audit_rejects (received_at, source, reason, raw_payload) VALUES (@at, @source, @reason, @raw)');
    }
  });

  for (const name of REPORT_QUERY_NAMES) {
    it(`runs ${name} and matches the oracle`, async () => {
      const q = REPORT_QUERIES[name];
      const bound = bindQuery(q, 'mssql');
      const req = pool.request();
      for (const [k, v] of Object.entries(bound.named)) req.input(k, v);
      const rows = (await req.query(bound.text)).recordset.map((r: Record<string, unknown>) => normalise(r));
      const expected = (oracle[name] as (...a: unknown[]) => unknown[])(events, now, resolveParams(q));
      expect(rows).toEqual(expected);
    });
  }

  it('reads a counter written as 1e3, or beyond 2^53, as BIGINT (exactly), and text as NULL', async () => {
    const doc = (n: string) => `N'{"webauthn":{"stored_sign_count":${n}}}'`;
    const r = await pool.request().query(
      `SELECT n, ${jsonBigint('mssql', 'webauthn.stored_sign_count')} AS v FROM (VALUES (1, ${doc('1e3')}), (2, ${doc('9007199254740993')}), (3, ${doc('"x"')}), (4, ${doc('42')})) AS t(n, event_json) ORDER BY n`,
    );
    expect(r.recordset.map((x: { v: unknown }) => (x.v === null ? null : String(x.v)))).toEqual(['1000', '9007199254740993', null, '42']);
  });

  it('finds a burst dated just before 9999-12-31 23:59:59.999 (DATEADD would overflow there)', async () => {
    const sql = (await import('mssql')).default;
    const ip = '198.51.100.250';
    const template = events.find((e) => e.event_type === 'WEBAUTHN_AUTH_FAILURE')!;
    const late = Array.from({ length: 5 }, (_, i) => ({ ...template, event_id: randomUUID(), client_ip: ip, event_time: new Date(Date.UTC(9999, 11, 31, 23, 55 + i)).toISOString() }));
    const names = INSERT_COLUMNS.map((c) => c.name);
    try {
      for (const e of late) {
        const req = pool.request();
        rowOf(e as typeof template).forEach((v, i) => {
          if (names[i] === 'event_timestamp') req.input(`p${i}`, sql.DateTime2(3), new Date(String(v)));
          else req.input(`p${i}`, v);
        });
        await req.query(`INSERT INTO dbo.security_audit_events (${names.join(', ')}) VALUES (${names.map((_, i) => `@p${i}`).join(', ')})`);
      }
      const q = REPORT_QUERIES['failure-bursts-by-ip'];
      const bound = bindQuery(q, 'mssql');
      const req = pool.request();
      for (const [k, v] of Object.entries(bound.named)) req.input(k, v);
      const rows = (await req.query(bound.text)).recordset.map((r: Record<string, unknown>) => normalise(r));
      expect(rows.filter((r) => r.client_ip === ip)).toEqual([{ client_ip: ip, peak_failures: 5, peak_users: 1, first_burst_at: late[0]!.event_time, last_burst_at: late[4]!.event_time }]);
    } finally {
      await pool.request().input('ip', ip).query('DELETE FROM dbo.security_audit_events WHERE client_ip = @ip');
    }
  });
});
