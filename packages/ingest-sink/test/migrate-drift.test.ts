// migrate() against tables an earlier version made: real PostgreSQL, real
// SQLite files. The DDL creates only what is missing, so the drift check is
// what tells an operator that a table cannot hold what this version writes.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTableStatements } from '@audit-trail/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, migrateDatabase, SchemaDriftError } from '../src/index.js';
import { makeEvent } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

/** What a promise rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<SchemaDriftError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SchemaDriftError);
  return err as SchemaDriftError;
}

/** An event whose signed-chain fields need the current column types: an epoch past 2^31 and a non-Latin key id. */
const wideEvent = () =>
  makeEvent({ integrity: { v: 1, alg: 'HMAC-SHA256', chain_id: '0193a0c0-0000-7000-8000-000000000001', seq: 1, epoch: 2 ** 31 + 5, kid: 'ключ-1', prev: '', mac: 'A'.repeat(43) } });

describe('migrate() on tables made by an earlier version', () => {
  it('PostgreSQL: lists what cannot hold new events with its fix, creates what is missing, and passes once the fixes ran', async () => {
    const pg = await createTempDatabase('at_drift');
    try {
      // The DDL before 2026-12-05 (epoch INTEGER), without the rejects table, plus a column of the operator's own.
      const old = createTableStatements('postgres').filter((s) => !s.includes('security_audit_rejects'));
      for (const s of old) await pg.query(s.replace('epoch BIGINT', 'epoch INTEGER'));
      await pg.query('ALTER TABLE security_audit_events ADD COLUMN retention_class TEXT NOT NULL DEFAULT \'standard\'');
      await pg.query('ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE VARCHAR(64)');

      const err = await rejection(migrateDatabase(pg.url));
      expect(err.code).toBe('SINK_SCHEMA_DRIFT');
      expect(err.drift.map((d) => [d.column, d.found, d.fix])).toEqual([
        ['user_id', 'character varying(64)', 'ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE VARCHAR(256);'],
        ['epoch', 'integer', 'ALTER TABLE security_audit_events ALTER COLUMN epoch TYPE BIGINT;'],
      ]);
      expect(err.message).toContain('security_audit_events.epoch: narrower: found integer, expected BIGINT');
      // The DDL itself was committed: the missing rejects table exists now.
      const { rows } = await pg.query("SELECT to_regclass('security_audit_rejects') IS NOT NULL AS made");
      expect(rows[0].made).toBe(true);

      for (const d of err.drift) await pg.query(d.fix);
      await expect(migrateDatabase(pg.url)).resolves.toMatchObject({ dialect: 'postgres' });
      // And the event an INTEGER epoch refused is stored.
      const sink = createSink({ url: pg.url, spool: { dir: join(dir, 'spool') } });
      await sink.write(wideEvent());
      await sink.flush();
      expect(sink.stats()).toMatchObject({ committed: 1, rejected: 0 });
      await sink.close();
      const stored = await pg.query('SELECT epoch, kid, retention_class FROM security_audit_events');
      expect(stored.rows).toEqual([{ epoch: String(2 ** 31 + 5), kid: 'ключ-1', retention_class: 'standard' }]);
    } finally {
      await pg.drop();
    }
  });

  it('PostgreSQL: a sink told to migrate does not start on such tables, and says why', async () => {
    const pg = await createTempDatabase('at_drift');
    try {
      for (const s of createTableStatements('postgres')) await pg.query(s);
      await pg.query('ALTER TABLE security_audit_events ALTER COLUMN image SET NOT NULL');
      const sink = createSink({ url: pg.url, migrate: true, spool: { dir: join(dir, 'spool') } });
      const err = await rejection(sink.ready);
      expect(err.drift).toEqual([expect.objectContaining({ column: 'image', fix: 'ALTER TABLE security_audit_events ALTER COLUMN image DROP NOT NULL;' })]);
      await sink.close();
    } finally {
      await pg.drop();
    }
  });

  it('SQLite: a table without a column this version writes stops the sink (migrate is its default) until the column is added', async () => {
    const file = join(dir, 'audit.db');
    const db = new Database(file);
    for (const s of createTableStatements('sqlite')) db.exec(s.replace(/\n\s*kid TEXT NULL,/, ''));
    db.close();

    const sink = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') } });
    const err = await rejection(sink.ready);
    expect(err.drift).toEqual([{ table: 'security_audit_events', column: 'kid', expected: 'TEXT', found: undefined, problem: 'missing', fix: 'ALTER TABLE security_audit_events ADD COLUMN kid TEXT NULL;' }]);
    await sink.close();

    const fix = new Database(file);
    fix.exec(err.drift[0]!.fix);
    fix.close();
    const again = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') } });
    await again.ready;
    await again.write(wideEvent());
    await again.flush();
    expect(again.stats()).toMatchObject({ committed: 1, rejected: 0 });
    await again.close();
  });

  it('SQLite: a fresh database, and one migrated twice, have no drift', async () => {
    const url = `sqlite:${join(dir, 'fresh.db')}`;
    await expect(migrateDatabase(url)).resolves.toMatchObject({ dialect: 'sqlite' });
    await expect(migrateDatabase(url)).resolves.toMatchObject({ dialect: 'sqlite' });
  });
});
