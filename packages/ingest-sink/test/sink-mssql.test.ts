// Integration suite against a real SQL Server or Babelfish. It runs only when
// MSSQL_URL is set (no SQL Server can run on the CI machine); see the package
// README, "Testing against SQL Server", for a container to point it at. Each
// test creates its own database and drops it after: runs sharing one saw the
// earlier run's rejects as duplicates (found by a review).
import { randomBytes } from 'node:crypto';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSink, migrateDatabase, parseDbUrl, SchemaDriftError, type MssqlConnection, type Sink } from '../src/index.js';
import { chainEvent, makeEvent, makeEvents } from './helpers/events.js';
import { tempDir } from './helpers/tmp.js';

const url = process.env.MSSQL_URL;

/** The SQL Server collation of a database that differs from the server's (tempdb's); undefined on Babelfish. */
async function otherCollation(admin: sql.ConnectionPool): Promise<string | undefined> {
  const r = await admin.request().query(`SELECT @@VERSION AS v, CAST(SERVERPROPERTY('Collation') AS NVARCHAR(128)) AS c`);
  // Babelfish has one collation for the server and its databases ("'COLLATE' is not currently
  // supported in Babelfish" for CREATE DATABASE: babelfish_project_website issue 125), so there
  // the run uses the server's: no mismatch can arise there. SQL Server 2019+ has the UTF-8 one.
  if (String(r.recordset[0].v).startsWith('Babelfish')) return undefined;
  const server = String(r.recordset[0].c);
  return server === 'Latin1_General_100_CS_AS_SC_UTF8' ? 'Latin1_General_100_CI_AS' : 'Latin1_General_100_CS_AS_SC_UTF8';
}

describe.runIf(url)('SQL Server sink (MSSQL_URL)', () => {
  let admin: sql.ConnectionPool;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    admin = await new sql.ConnectionPool(structuredClone((parseDbUrl(url!) as MssqlConnection).config) as sql.config).connect();
  });
  afterAll(async () => {
    await admin?.close();
    await cleanup?.();
  });

  /**
   * Runs `fn` in a database of its own (in `collation`, else the server's):
   * its URL (MSSQL_URL naming it) and a pool on it. Dropped after.
   */
  async function inOwnDatabase(collation: string | undefined, fn: (dbUrl: string, pool: sql.ConnectionPool) => Promise<void>): Promise<void> {
    const name = `at_sink_${randomBytes(6).toString('hex')}`;
    await admin.request().batch(`CREATE DATABASE ${name}${collation ? ` COLLATE ${collation}` : ''}`);
    let pool: sql.ConnectionPool | undefined;
    try {
      const u = new URL(url!);
      u.pathname = `/${name}`;
      const dbUrl = u.toString();
      pool = await new sql.ConnectionPool(structuredClone((parseDbUrl(dbUrl) as MssqlConnection).config) as sql.config).connect();
      if (collation) {
        const found = await pool.request().query(`SELECT CAST(DATABASEPROPERTYEX(DB_NAME(), 'Collation') AS NVARCHAR(128)) AS c`);
        expect(found.recordset[0].c).toBe(collation);
      }
      await fn(dbUrl, pool);
    } finally {
      await pool?.close();
      await admin.request().batch(`DROP DATABASE IF EXISTS ${name}`);
    }
  }

  /** Commits, ignores a resend, rejects poison and chain conflicts, stores each refusal once, keeps an event_id conflict. */
  async function writeAndCheck(dbUrl: string, pool: sql.ConnectionPool, stagingLoad: 'bulk' | 'values', spool: string): Promise<void> {
    const countIds = async (ids: string[]) => {
      const r = await pool.request().query(`SELECT count(*) AS n FROM dbo.security_audit_events WHERE event_id IN (${ids.map((i) => `'${i}'`).join(',')})`);
      return Number(r.recordset[0].n);
    };
    const conn = { ...(parseDbUrl(dbUrl) as MssqlConnection), stagingLoad };
    const sink: Sink = createSink({ connection: conn, migrate: true, spool: { dir: spool } });
    try {
      await sink.migrate();
      const events = makeEvents(1500);
      await sink.write(events);
      await sink.flush();
      await sink.write(events.slice(0, 700));
      await sink.flush();
      expect(await countIds(events.slice(0, 1000).map((e) => e.event_id as string))).toBe(1000);
      const chain = makeEvent().event_id as string;
      const holder = chainEvent(chain, 1);
      await sink.write(holder);
      await sink.flush();
      const forged = chainEvent(chain, 1);
      const receipt = await sink.write([forged, '{"broken', makeEvent({ user_agent: "O'Brien\u001b[0m; DROP TABLE x;--" })]);
      expect(receipt).toEqual({ accepted: 2, rejected: 1 });
      await sink.flush();
      const r = await pool.request().input('id', sql.Char(36), forged.event_id).query(`SELECT count(*) AS n FROM dbo.security_audit_events WHERE event_id = @id`);
      expect(r.recordset[0].n).toBe(0);
      const rej = await pool.request().query(`SELECT TOP 2 reason FROM dbo.security_audit_rejects ORDER BY id DESC`);
      expect(rej.recordset.map((x) => x.reason).join('\n')).toContain(`already held by event_id=${holder.event_id}`);
      expect(sink.stats()).toMatchObject({ committed: 1502, duplicates: 700, chainConflicts: 1, rejected: 2, duplicateRejects: 0 });
      // The same refusals again: no new reject row (reject_key, NOT EXISTS).
      const before = Number((await pool.request().query('SELECT count(*) AS n FROM dbo.security_audit_rejects')).recordset[0].n);
      await sink.write([forged, '{"broken']);
      await sink.flush();
      expect(Number((await pool.request().query('SELECT count(*) AS n FROM dbo.security_audit_rejects')).recordset[0].n)).toBe(before);
      expect(sink.stats()).toMatchObject({ duplicateRejects: 2 });
      // A stored event_id under other content is kept as a reject; the same event written out again is a duplicate.
      const reused = { ...events[0]!, user_id: 'mallory' };
      const reordered = JSON.stringify(Object.fromEntries(Object.entries(events[1]!).reverse()));
      await sink.write([reused, reordered]);
      await sink.flush();
      expect(await countIds([events[0]!.event_id as string])).toBe(1);
      const idRej = await pool.request().query(`SELECT TOP 1 reason, raw_payload FROM dbo.security_audit_rejects ORDER BY id DESC`);
      expect(idRej.recordset[0].reason).toContain(`EVENT_ID_CONFLICT: event_id=${events[0]!.event_id}`);
      expect(JSON.parse(idRej.recordset[0].raw_payload).user_id).toBe('mallory');
      expect(sink.stats()).toMatchObject({ duplicates: 701, eventIdConflicts: 1 });
    } finally {
      await sink.close();
    }
  }

  for (const stagingLoad of ['bulk', 'values'] as const) {
    it(`commits, ignores a resend, rejects poison and chain conflicts (staging by ${stagingLoad})`, async () => {
      await inOwnDatabase(undefined, (dbUrl, pool) => writeAndCheck(dbUrl, pool, stagingLoad, `${dir}/${stagingLoad}`));
    });

    it(`does the same in a database whose collation differs from the server's, which tempdb has (staging by ${stagingLoad}; Msg 468 before the staging tables said COLLATE DATABASE_DEFAULT)`, async () => {
      const collation = await otherCollation(admin);
      await inOwnDatabase(collation, (dbUrl, pool) => writeAndCheck(dbUrl, pool, stagingLoad, `${dir}/${stagingLoad}-collation`));
    });
  }

  it('refuses to call tables migrated when a column is narrower than this version writes, and accepts them after its fix', async () => {
    await inOwnDatabase(undefined, async (dbUrl, pool) => {
      await migrateDatabase(dbUrl);
      // As the DDL before 2026-12-05 made it.
      await pool.request().batch('ALTER TABLE dbo.security_audit_events ALTER COLUMN epoch INT NULL');
      const err = await migrateDatabase(dbUrl).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaDriftError);
      const drift = (err as SchemaDriftError).drift;
      expect(drift.map((d) => d.column)).toEqual(['epoch']);
      for (const d of drift) await pool.request().batch(d.fix);
      await expect(migrateDatabase(dbUrl)).resolves.toMatchObject({ dialect: 'mssql' });
    });
  });

  it('adds reject_key to a rejects table made before it, with its filtered unique index', async () => {
    await inOwnDatabase(undefined, async (dbUrl, pool) => {
      await migrateDatabase(dbUrl);
      await pool.request().batch(`IF EXISTS (SELECT 1 FROM sys.indexes WHERE name LIKE N'UX_security_audit_rejects_reject_key%') DROP INDEX UX_security_audit_rejects_reject_key ON dbo.security_audit_rejects`);
      await pool.request().batch('ALTER TABLE dbo.security_audit_rejects DROP COLUMN reject_key');
      await expect(migrateDatabase(dbUrl)).resolves.toMatchObject({ dialect: 'mssql' });
      const cols = await pool.request().query(`SELECT IS_NULLABLE AS n FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = N'security_audit_rejects' AND COLUMN_NAME = N'reject_key'`);
      expect(cols.recordset).toEqual([{ n: 'YES' }]);
    });
  });
});
