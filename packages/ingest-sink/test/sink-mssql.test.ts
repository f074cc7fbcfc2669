// Integration suite against a real SQL Server or Babelfish. It runs only when
// MSSQL_URL is set (no SQL Server can run on the CI machine); see the package
// README, "Testing against SQL Server", for a container to point it at.
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSink, migrateDatabase, parseDbUrl, SchemaDriftError, type MssqlConnection, type Sink } from '../src/index.js';
import { chainEvent, makeEvent, makeEvents } from './helpers/events.js';
import { tempDir } from './helpers/tmp.js';

const url = process.env.MSSQL_URL;

describe.runIf(url)('SQL Server sink (MSSQL_URL)', () => {
  let pool: sql.ConnectionPool;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    pool = await new sql.ConnectionPool(structuredClone((parseDbUrl(url!) as MssqlConnection).config) as sql.config).connect();
  });
  afterAll(async () => {
    await pool?.close();
    await cleanup?.();
  });

  const countIds = async (ids: string[]) => {
    const r = await pool.request().query(`SELECT count(*) AS n FROM dbo.security_audit_events WHERE event_id IN (${ids.map((i) => `'${i}'`).join(',')})`);
    return Number(r.recordset[0].n);
  };

  for (const stagingLoad of ['bulk', 'values'] as const) {
    it(`commits, ignores a resend, rejects poison and chain conflicts (staging by ${stagingLoad})`, async () => {
      const conn = { ...(parseDbUrl(url!) as MssqlConnection), stagingLoad };
      const sink: Sink = createSink({ connection: conn, migrate: true, spool: { dir: `${dir}/${stagingLoad}` } });
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
        expect(sink.stats()).toMatchObject({ committed: 1502, duplicates: 700, chainConflicts: 1 });
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
    });
  }

  it('refuses to call tables migrated when a column is narrower than this version writes, and accepts them after its fix', async () => {
    await migrateDatabase(url!);
    // As the DDL before 2026-12-05 made it.
    await pool.request().batch('ALTER TABLE dbo.security_audit_events ALTER COLUMN epoch INT NULL');
    const err = await migrateDatabase(url!).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaDriftError);
    const drift = (err as SchemaDriftError).drift;
    expect(drift.map((d) => d.column)).toEqual(['epoch']);
    for (const d of drift) await pool.request().batch(d.fix);
    await expect(migrateDatabase(url!)).resolves.toMatchObject({ dialect: 'mssql' });
  });

  it('adds reject_key to a rejects table made before it, with its filtered unique index', async () => {
    await migrateDatabase(url!);
    await pool.request().batch(`IF EXISTS (SELECT 1 FROM sys.indexes WHERE name LIKE N'UX_security_audit_rejects_reject_key%') DROP INDEX UX_security_audit_rejects_reject_key ON dbo.security_audit_rejects`);
    await pool.request().batch('ALTER TABLE dbo.security_audit_rejects DROP COLUMN reject_key');
    await expect(migrateDatabase(url!)).resolves.toMatchObject({ dialect: 'mssql' });
    const cols = await pool.request().query(`SELECT IS_NULLABLE AS n FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = N'security_audit_rejects' AND COLUMN_NAME = N'reject_key'`);
    expect(cols.recordset).toEqual([{ n: 'YES' }]);
  });
});
