/**
 * SQL Server artefacts. The file checks always run. The live suite runs only
 * when MSSQL_URL is set (e.g. `mssql://sa:Passw0rd!@127.0.0.1:1433/master?encrypt=false`,
 * SQL Server or Babelfish): it creates its own database, applies the DDL twice
 * and runs every report query against fixture rows. SQL Server cannot run on
 * the development machine, so this is the one env-gated suite.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindQuery, INSERT_COLUMNS, REPORT_QUERIES, REPORT_QUERY_NAMES, resolveParams } from '../src/index.js';
import { normalise, oracle, rejectFixtures, reportFixtures, rowOf } from './support/report-fixtures.js';
import { REPO_ROOT } from './support/report-suite.js';
import { createTableStatements } from '../src/table/ddl.js';

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
      // One GO batch per statement the generator makes (tables, indexes).
      expect(parts.length).toBe(createTableStatements('mssql').length);
      for (const b of parts) expect(b).toMatch(/IF OBJECT_ID|IF NOT EXISTS|BEGIN TRY/);
    }
  });

  it('type sign_count as BIGINT, credential_id wide enough for 1023 bytes, Swarm columns nullable', async () => {
    const ddl = await read('mssql', '001_security_audit_events.sql');
    expect(ddl).toContain('sign_count BIGINT NULL');
    expect(ddl).toContain('credential_id VARCHAR(1364) NULL');
    for (const c of ['swarm_node', 'swarm_service', 'swarm_task_id']) expect(ddl).toMatch(new RegExp(`${c} N?VARCHAR\\(\\d+\\) NULL`));
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
    admin = await new sql.ConnectionPool(process.env.MSSQL_URL!).connect();
    babelfish = String((await admin.request().query('SELECT @@VERSION AS v')).recordset[0].v).startsWith('Babelfish');
    await admin.request().batch(`CREATE DATABASE ${dbName}`);
    const url = new URL(process.env.MSSQL_URL!);
    url.pathname = `/${dbName}`;
    pool = await new sql.ConnectionPool(url.toString()).connect();
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
});
