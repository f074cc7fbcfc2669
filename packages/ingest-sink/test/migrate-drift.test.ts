// migrate() against tables an earlier version made: real PostgreSQL, real
// SQLite files. The DDL creates only what is missing, so the drift check is
// what tells an operator that a table cannot hold what this version writes.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pgDriver from 'pg';
import { createTableStatements } from '@audit-trail/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, migrateDatabase, SchemaDriftError, SinkError } from '../src/index.js';
import { parseDbUrl } from '../src/sink/connection.js';
import { createAdapter } from '../src/sink/create-adapter.js';
import { makeEvent } from './helpers/events.js';
import { createTempDatabase, PG_ADMIN_URL, withTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';

const { Client } = pgDriver;

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

/**
 * The DDL of the version before reject keys (2026-12-06): the rejects table
 * without `reject_key` and its unique index, the events table without
 * `k8s_node` (2026-12-07); with `withoutMac`, without `mac` too, as if an
 * operator had dropped it.
 */
const beforeRejectKeys = (dialect: 'postgres' | 'sqlite', withoutMac = true) =>
  createTableStatements(dialect)
    .filter((s) => !s.includes('reject_key)'))
    .map((s) => s.replace(/,\n\s*reject_key [^\n]*/, '').replace(/\n\s*k8s_node [^\n]*,/, ''))
    .map((s) => (withoutMac ? s.replace(/\n\s*mac [^\n]*,/, '') : s));

/** Writes an event and a refused line, then both again through a new sink (a replay, a resend): the second run stores nothing new. */
async function refuseTwice(url: string, spoolDir: string): Promise<void> {
  for (let run = 0; run < 2; run++) {
    const sink = createSink({ url, spool: { dir: spoolDir } });
    await sink.write([makeEvent(), { line: '{"event_type":"nope"}', source: 'forward:app' }]);
    await sink.flush();
    expect(sink.stats(), `run ${run}`).toMatchObject({ committed: 1, rejected: 1 - run, duplicateRejects: run });
    await sink.close();
  }
}

describe('migrate() on tables made by an earlier version', () => {
  it('SQLite: adds the nullable columns the tables lack (reject_key, k8s_node, mac) and the index on reject_key; old rejects keep a NULL key, new ones are stored once', async () => {
    const file = join(dir, 'old.db');
    const db = new Database(file);
    for (const s of beforeRejectKeys('sqlite')) db.exec(s);
    db.prepare('INSERT INTO security_audit_rejects (source, reason, raw_payload) VALUES (?, ?, ?)').run('direct', 'old', 'x');
    db.prepare('INSERT INTO security_audit_rejects (source, reason, raw_payload) VALUES (?, ?, ?)').run('direct', 'old', 'x');
    db.close();

    await expect(migrateDatabase(`sqlite:${file}`)).resolves.toMatchObject({ dialect: 'sqlite' });
    await expect(migrateDatabase(`sqlite:${file}`)).resolves.toMatchObject({ dialect: 'sqlite' });
    await refuseTwice(`sqlite:${file}`, join(dir, 'spool'));
    const check = new Database(file, { readonly: true });
    const rows = check.prepare('SELECT reason, reject_key FROM security_audit_rejects ORDER BY id').all() as { reason: string; reject_key: string | null }[];
    expect(rows.map((r) => [r.reason.slice(0, 3), r.reject_key === null ? null : r.reject_key.length])).toEqual([['old', null], ['old', null], ['[{"', 43]]);
    const cols = check.prepare("SELECT name FROM pragma_table_info('security_audit_events') WHERE name IN ('mac', 'k8s_node')").all();
    expect(cols).toHaveLength(2);
    check.close();
  });

  it('PostgreSQL: a sink of this version on tables not yet upgraded, without migrate, keeps its batch (an event needing k8s_node, a reject needing reject_key) in its spool until migrate runs; nothing is lost', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    for (const s of beforeRejectKeys('postgres', false)) await pg.query(s);
    const sink = createSink({ url: pg.url, spool: { dir: join(dir, 'spool') }, retry: { initialDelayMs: 20, maxDelayMs: 100 }, onError: () => undefined });
    const event = makeEvent();
    await sink.write([event, 'not an event']);
    await expect.poll(() => sink.stats().retries, { timeout: 10_000 }).toBeGreaterThan(2);
    // Its check before the first write found the tables short of this version's columns (check-first.ts).
    expect(sink.stats()).toMatchObject({ committed: 0, spooledEvents: 2, lastError: { code: 'SINK_SCHEMA_DRIFT' } });
    expect(sink.stats().lastError!.message).toContain('k8s_node');
    await migrateDatabase(pg.url);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 1, rejected: 1, spooledEvents: 0 });
    await sink.close();
    expect((await pg.query('SELECT count(*)::int AS n FROM security_audit_events')).rows[0].n).toBe(1);
    expect((await pg.query('SELECT raw_payload FROM security_audit_rejects')).rows).toEqual([{ raw_payload: 'not an event' }]);
    });
  });

  it('PostgreSQL: migrating while a batch is in flight takes the tables in the writer\'s order (events, then rejects): the batch and the migration both finish, no deadlock', async () => {
    const pg = await createTempDatabase('at_drift');
    const batch = new Client({ connectionString: pg.url });
    try {
      for (const s of beforeRejectKeys('postgres', false)) await pg.query(s);
      await batch.connect();
      // A sink's batch: it has written its events (the lock an INSERT takes) and is about to write its rejects.
      await batch.query('BEGIN');
      await batch.query('LOCK TABLE security_audit_events IN ROW EXCLUSIVE MODE');
      const migrating = migrateDatabase(pg.url);
      // Wait until the migration waits for the batch's lock.
      await expect.poll(async () => (await pg.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n, { timeout: 10_000 }).toBe(1);
      // Had the migration altered the rejects table first, this would wait for it while it waits for us: a deadlock.
      await batch.query("INSERT INTO security_audit_rejects (source, reason, raw_payload) VALUES ('direct', 'r', 'x')");
      await batch.query('COMMIT');
      await expect(migrating).resolves.toMatchObject({ dialect: 'postgres' });
      expect((await pg.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'security_audit_rejects' AND column_name = 'reject_key'")).rows[0].n).toBe(1);
    } finally {
      await batch.end();
      await pg.drop();
    }
  });

  it('PostgreSQL: the same upgrade, in the migration transaction', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    for (const s of beforeRejectKeys('postgres')) await pg.query(s);
    await pg.query("INSERT INTO security_audit_rejects (source, reason, raw_payload) VALUES ('direct', 'old', 'x'), ('direct', 'old', 'x')");
    await expect(migrateDatabase(pg.url)).resolves.toMatchObject({ dialect: 'postgres' });
    await refuseTwice(pg.url, join(dir, 'spool'));
    const { rows } = await pg.query('SELECT reason, length(reject_key) AS key_length FROM security_audit_rejects ORDER BY id');
    expect(rows.map((r) => [r.reason.slice(0, 3), r.key_length])).toEqual([['old', null], ['old', null], ['[{"', 43]]);
    const ix = await pg.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'ux_security_audit_rejects_reject_key'");
    expect(ix.rows[0].indexdef).toMatch(/CREATE UNIQUE INDEX .* \(reject_key\) WHERE \(reject_key IS NOT NULL\)/);
    });
  });

  it('PostgreSQL: lists what cannot hold new events with its fix, creates what is missing, and passes once the fixes ran', async () => {
    await withTempDatabase('at_drift', async (pg) => {
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
    });
  });

  it('PostgreSQL: the fix of timestamp columns without time zone keeps every stored time, in a database whose TimeZone is not UTC: the times the sink wrote, and those its DEFAULT now() filled (found by a review: ingested_at moved by the offset)', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    // initdb sets the database's TimeZone to the host's zone; behind UTC, a wrong cast makes every event look future-dated.
    await pg.query(`ALTER DATABASE ${pg.name} SET timezone = 'America/New_York'`);
    const sink = createSink({ url: pg.url, migrate: true, spool: { dir: join(dir, 'spool') } });
    const event = makeEvent();
    await sink.write([event, { line: 'not json', source: 'file:x' }]);
    await sink.flush();
    await sink.close();
    // The tables as an operator's own DDL with TIMESTAMP(3) held them, written by a version that
    // wrote into them (this one no longer does: check-first.ts): event_timestamp the event's UTC
    // wall time (the sink sends it with its Z, which a timestamp without time zone drops), the
    // DEFAULT now() columns the wall time of the session's zone, the database's.
    await pg.query("ALTER TABLE security_audit_events ALTER COLUMN event_timestamp TYPE TIMESTAMP(3) USING event_timestamp AT TIME ZONE 'UTC', ALTER COLUMN ingested_at TYPE TIMESTAMP(3) USING ingested_at AT TIME ZONE 'America/New_York'");
    await pg.query("ALTER TABLE security_audit_rejects ALTER COLUMN received_at TYPE TIMESTAMP(3) USING received_at AT TIME ZONE 'America/New_York'");
    const err = await rejection(migrateDatabase(pg.url));
    expect(err.drift.map((d) => d.column).sort()).toEqual(['event_timestamp', 'ingested_at', 'received_at']);
    // Run as an operator would: a new session, in the database's TimeZone.
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    try {
      for (const d of err.drift) await client.query(d.fix);
    } finally {
      await client.end();
    }
    await expect(migrateDatabase(pg.url)).resolves.toMatchObject({ dialect: 'postgres' });
    const { rows } = await pg.query('SELECT event_timestamp, ingested_at FROM security_audit_events');
    const rejected = await pg.query('SELECT received_at FROM security_audit_rejects');
    expect((rows[0].event_timestamp as Date).toISOString()).toBe(event.event_time);
    // Stored seconds after the event was made: within a minute, not five hours away.
    expect(Math.abs((rows[0].ingested_at as Date).getTime() - Date.parse(event.event_time as string))).toBeLessThan(60_000);
    expect(Math.abs((rejected.rows[0].received_at as Date).getTime() - Date.parse(event.event_time as string))).toBeLessThan(60_000);
    });
  });

  it('PostgreSQL: a database not in UTF8 (SQL_ASCII, LATIN1) is refused by migrate and by the sink\'s check, before any table is made', async () => {
    // In SQL_ASCII (initdb under the C locale) VARCHAR(128) counts bytes: a
    // valid 128-character Cyrillic service name (256 bytes) was refused
    // into the rejects as DB_REFUSED; in LATIN1 an emoji has no equivalent.
    for (const encoding of ['SQL_ASCII', 'LATIN1']) {
      const name = `at_enc_${randomBytes(6).toString('hex')}`;
      const admin = new Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name} ENCODING '${encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
      const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
      try {
        const err = (await migrateDatabase(url).then(() => undefined, (e: unknown) => e)) as SinkError;
        expect(err).toBeInstanceOf(SinkError);
        expect([encoding, err.code]).toEqual([encoding, 'SINK_SCHEMA_DRIFT']);
        expect(err.message).toContain(`encoding is ${encoding}, not UTF8`);
        const db = new Client({ connectionString: url });
        await db.connect();
        const { rows } = await db.query("SELECT to_regclass('security_audit_events') IS NULL AS none");
        await db.end();
        expect(rows[0].none).toBe(true);
        // The check a sink runs at start and while idle says the same.
        const adapter = await createAdapter(parseDbUrl(url));
        await expect(adapter.check()).rejects.toMatchObject({ code: 'SINK_SCHEMA_DRIFT' });
        await adapter.close();
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    }
  });

  it('PostgreSQL: a sink told to migrate does not start on such tables, and says why', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    for (const s of createTableStatements('postgres')) await pg.query(s);
    await pg.query('ALTER TABLE security_audit_events ALTER COLUMN image SET NOT NULL');
    const sink = createSink({ url: pg.url, migrate: true, spool: { dir: join(dir, 'spool') } });
    const err = await rejection(sink.ready);
    expect(err.drift).toEqual([expect.objectContaining({ column: 'image', fix: 'ALTER TABLE security_audit_events ALTER COLUMN image DROP NOT NULL;' })]);
    await sink.close();
    });
  });

  it('SQLite: a table without a NOT NULL column this version writes stops the sink (migrate is its default) until the column is added', async () => {
    const file = join(dir, 'audit.db');
    const db = new Database(file);
    for (const s of createTableStatements('sqlite')) db.exec(s.replace(/\n\s*reason TEXT NOT NULL,/, ''));
    db.close();

    const sink = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') } });
    const err = await rejection(sink.ready);
    expect(err.drift).toEqual([
      { table: 'security_audit_rejects', column: 'reason', expected: 'TEXT', found: undefined, problem: 'missing', fix: expect.stringMatching(/^-- SQLite cannot add the NOT NULL column security_audit_rejects\.reason to an existing table/) },
    ]);
    await sink.close();

    // SQLite adds a NOT NULL column only with a default; this table is empty, so one will do here.
    const fix = new Database(file);
    fix.exec("ALTER TABLE security_audit_rejects ADD COLUMN reason TEXT NOT NULL DEFAULT ''");
    fix.close();
    const again = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') } });
    await again.ready;
    await again.write([wideEvent(), '{"not":"an event"}']);
    await again.flush();
    expect(again.stats()).toMatchObject({ committed: 1, rejected: 1 });
    await again.close();
  });

  it('a database that cannot be reached or opened fails migrate with a typed SINK_DB naming why, the driver\'s error as cause', async () => {
    const cases: [string, RegExp][] = [
      ['postgres://postgres@127.0.0.1:5432/at_no_such_database', /^postgres: database "at_no_such_database" does not exist$/],
      ['postgres://no_such_role@127.0.0.1:5432/postgres', /^postgres: role "no_such_role" does not exist$/],
      [`sqlite:${join(dir, 'no-such-dir', 'a.db')}`, /^sqlite: cannot open \/.*\/no-such-dir\/a\.db: Cannot open database because the directory does not exist$/],
    ];
    for (const [url, message] of cases) {
      const err = await migrateDatabase(url).then(() => undefined, (e: unknown) => e);
      expect(err, url).toMatchObject({ name: 'SinkError', code: 'SINK_DB', message: expect.stringMatching(message) });
      expect((err as Error).cause, url).toBeInstanceOf(Error);
    }
  });

  it('SQLite: a unique index the writer relies on that is plain, partial or on other columns under its name is refused with DROP INDEX as the fix, where migrate passed (the name taken) and every write then failed on ON CONFLICT(event_id) (found by a probe)', async () => {
    const file = join(dir, 'audit.db');
    await migrateDatabase(`sqlite:${file}`);
    const ix = 'ux_security_audit_events_event_id';
    const cases: [string, RegExp][] = [
      [`CREATE INDEX ${ix} ON security_audit_events (event_id)`, /^not unique: found INDEX \(event_id\), expected UNIQUE \(event_id\); the writer relies on it \(Idempotency: a resent event is ignored\)$/],
      [`CREATE UNIQUE INDEX ${ix} ON security_audit_events (event_id) WHERE event_type = 'WEBAUTHN_AUTH_FAILURE'`, /^partial \(WHERE event_type = 'WEBAUTHN_AUTH_FAILURE'\): rows outside it may repeat the key: /],
      [`CREATE UNIQUE INDEX ${ix} ON security_audit_events (event_id, service)`, /^on \(event_id, service\), not \(event_id\): found UNIQUE \(event_id, service\)/],
    ];
    for (const [create, problem] of cases) {
      const db = new Database(file);
      db.exec(`DROP INDEX ${ix}; ${create}`);
      db.close();
      const err = await rejection(migrateDatabase(`sqlite:${file}`));
      expect(err.drift, create).toEqual([expect.objectContaining({ table: 'security_audit_events', column: ix, kind: 'index', fix: `DROP INDEX ${ix};` })]);
      expect(err.drift[0]!.problem).toMatch(problem);
      expect(err.message).toContain(`  security_audit_events index ${ix}: `);
      // A sink (SQLite migrates by default) does not start on it.
      const sink = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') } });
      await rejection(sink.ready);
      await sink.close();
      // The fix, then migrate: the index is made as declared, and a resent event is a duplicate again.
      const fix = new Database(file);
      fix.exec(err.drift[0]!.fix);
      fix.close();
      await expect(migrateDatabase(`sqlite:${file}`)).resolves.toMatchObject({ dialect: 'sqlite' });
    }
    const event = makeEvent();
    for (let run = 0; run < 2; run++) {
      const sink = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, `spool-${run}`) } });
      await sink.write(event);
      await sink.flush();
      expect(sink.stats(), `run ${run}`).toMatchObject({ committed: 1 - run, duplicates: run });
      await sink.close();
    }
  });

  it('SQLite: a column of the operator\'s own that is NOT NULL without a default is refused, naming it, where migrate passed and every event became a DB_REFUSED reject (found by a probe); with a default it is accepted', async () => {
    const file = join(dir, 'audit.db');
    const db = new Database(file);
    for (const s of createTableStatements('sqlite')) db.exec(s.replace('event_json TEXT NOT NULL', 'event_json TEXT NOT NULL,\n  tenant TEXT NOT NULL'));
    db.close();
    const err = await rejection(migrateDatabase(`sqlite:${file}`));
    expect(err.drift).toEqual([
      {
        table: 'security_audit_events',
        column: 'tenant',
        expected: 'NULL, or NOT NULL with a default',
        found: 'TEXT NOT NULL',
        problem: 'NOT NULL without a default, and not a column this version writes: the database refuses every row the sink inserts (every event would be refused into the rejects table)',
        fix: '-- SQLite cannot alter security_audit_events.tenant: drop it (ALTER TABLE security_audit_events DROP COLUMN tenant;) or create a new table where it allows NULL or has a default, and copy the rows into it',
      },
    ]);
    const sink = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') } });
    await rejection(sink.ready);
    await sink.close();
    // The fix SQLite allows: drop the column, or give it a default.
    const fix = new Database(file);
    fix.exec("ALTER TABLE security_audit_events DROP COLUMN tenant; ALTER TABLE security_audit_events ADD COLUMN tenant TEXT NOT NULL DEFAULT 'acme'");
    fix.close();
    await expect(migrateDatabase(`sqlite:${file}`)).resolves.toMatchObject({ dialect: 'sqlite' });
    const again = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') } });
    await again.write(makeEvent());
    await again.flush();
    expect(again.stats()).toMatchObject({ committed: 1, rejected: 0 });
    await again.close();
  });

  it('PostgreSQL: a plain index under the name of the unique index on event_id is refused with DROP INDEX as the fix, where migrate passed and every resent event was stored again (ON CONFLICT DO NOTHING had no unique index; found by a probe); a sink that does not migrate keeps its events spooled', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    await migrateDatabase(pg.url);
    await pg.query('DROP INDEX ux_security_audit_events_event_id; CREATE INDEX ux_security_audit_events_event_id ON security_audit_events (event_id)');
    const err = await rejection(migrateDatabase(pg.url));
    expect(err.drift).toEqual([
      {
        table: 'security_audit_events',
        column: 'ux_security_audit_events_event_id',
        kind: 'index',
        expected: 'UNIQUE (event_id)',
        found: 'INDEX (event_id)',
        problem: 'not unique: found INDEX (event_id), expected UNIQUE (event_id); the writer relies on it (Idempotency: a resent event is ignored)',
        fix: 'DROP INDEX ux_security_audit_events_event_id;',
      },
    ]);
    expect(err.message).toMatch(/^postgres: 1 unique index\(es\) of the existing audit tables cannot hold what this version writes:\n  security_audit_events index ux_security_audit_events_event_id: not unique/);
    // PostgreSQL's default: no migrate; its check holds the event in the spool.
    const event = makeEvent();
    const sink = createSink({ url: pg.url, spool: { dir: join(dir, 'spool') }, retry: { initialDelayMs: 20, maxDelayMs: 100 }, onError: () => undefined });
    await sink.write(event);
    await expect.poll(() => sink.stats().retries, { timeout: 10_000 }).toBeGreaterThan(1);
    expect(sink.stats()).toMatchObject({ committed: 0, spooledEvents: 1, lastError: { code: 'SINK_SCHEMA_DRIFT' } });
    await pg.query(err.drift[0]!.fix);
    await migrateDatabase(pg.url);
    await sink.flush();
    await sink.write(event);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 1, duplicates: 1, spooledEvents: 0 });
    await sink.close();
    expect((await pg.query('SELECT count(*)::int AS n FROM security_audit_events')).rows[0].n).toBe(1);
    const { rows } = await pg.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'ux_security_audit_events_event_id'");
    expect(rows[0].indexdef).toMatch(/^CREATE UNIQUE INDEX /);
    });
  });

  it('PostgreSQL: a partial unique index under that name, and the name held by a renamed table\'s index (the new table then got none), are refused too, each with its fix', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    await migrateDatabase(pg.url);
    await pg.query("DROP INDEX ux_security_audit_rejects_reject_key; CREATE UNIQUE INDEX ux_security_audit_rejects_reject_key ON security_audit_rejects (reject_key) WHERE source <> 'direct'");
    const partial = await rejection(migrateDatabase(pg.url));
    expect(partial.drift).toEqual([expect.objectContaining({ column: 'ux_security_audit_rejects_reject_key', fix: 'DROP INDEX ux_security_audit_rejects_reject_key;' })]);
    // The predicate as PostgreSQL spells it (pg_get_expr).
    expect(partial.drift[0]!.problem).toMatch(/^partial WHERE \(\(source\)::text <> 'direct'::text\), not WHERE reject_key IS NOT NULL: found UNIQUE \(reject_key\) WHERE /);
    await pg.query(partial.drift[0]!.fix);
    await migrateDatabase(pg.url);
    // An operator keeps the old rows aside: the indexes go with the table, names and all.
    await pg.query('ALTER TABLE security_audit_events RENAME TO security_audit_events_2026');
    const renamed = await rejection(migrateDatabase(pg.url));
    expect(renamed.drift.map((d) => [d.column, d.found, d.fix])).toEqual([
      ['ux_security_audit_events_event_id', undefined, 'CREATE UNIQUE INDEX ux_security_audit_events_event_id ON security_audit_events (event_id);'],
      ['ux_security_audit_events_chain_seq', undefined, 'CREATE UNIQUE INDEX ux_security_audit_events_chain_seq ON security_audit_events (chain_id, seq) WHERE chain_id IS NOT NULL;'],
    ]);
    expect(renamed.drift[0]!.problem).toContain("if its name is taken by another table's index (a renamed table keeps its indexes' names), which the DDL took for this one, drop or rename that index first");
    await pg.query('ALTER INDEX ux_security_audit_events_event_id RENAME TO ux_security_audit_events_2026_event_id; ALTER INDEX ux_security_audit_events_chain_seq RENAME TO ux_security_audit_events_2026_chain_seq');
    await expect(migrateDatabase(pg.url)).resolves.toMatchObject({ dialect: 'postgres' });
    });
  });

  it('PostgreSQL: an invalid unique index under its name (a CREATE UNIQUE INDEX CONCURRENTLY that failed on duplicates) is refused with DROP INDEX as the fix, where migrate passed it and every reject then failed: ON CONFLICT does not infer an invalid index (found by a review)', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    await migrateDatabase(pg.url);
    await pg.query('DROP INDEX ux_security_audit_rejects_reject_key');
    await pg.query("INSERT INTO security_audit_rejects (source, reason, raw_payload, reject_key) VALUES ('direct', 'r', 'x', 'k'), ('direct', 'r', 'x', 'k')");
    // Outside a transaction, as CONCURRENTLY must be: it fails on the duplicate and leaves the index, invalid.
    await expect(pg.query('CREATE UNIQUE INDEX CONCURRENTLY ux_security_audit_rejects_reject_key ON security_audit_rejects (reject_key) WHERE reject_key IS NOT NULL')).rejects.toThrow(/could not create unique index/);
    const { rows } = await pg.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ux_security_audit_rejects_reject_key'::regclass");
    expect(rows).toEqual([{ indisvalid: false }]);
    const err = await rejection(migrateDatabase(pg.url));
    expect(err.drift).toEqual([expect.objectContaining({ column: 'ux_security_audit_rejects_reject_key', kind: 'index', fix: 'DROP INDEX ux_security_audit_rejects_reject_key;' })]);
    expect(err.drift[0]!.problem).toMatch(/^not in use \(invalid: a CREATE INDEX CONCURRENTLY that failed; or disabled, or hypothetical\), so the writer cannot rely on it \(ON CONFLICT does not use it\): found UNIQUE \(reject_key\) WHERE /);
    await pg.query("DELETE FROM security_audit_rejects WHERE reject_key = 'k'");
    await pg.query(err.drift[0]!.fix);
    await expect(migrateDatabase(pg.url)).resolves.toMatchObject({ dialect: 'postgres' });
    await refuseTwice(pg.url, join(dir, 'spool'));
    });
  });

  it('PostgreSQL: a column of the operator\'s own that is NOT NULL without a default (events or rejects) is refused, naming it with DROP NOT NULL as the fix, where every event became a DB_REFUSED reject (found by a probe); a default, an identity, NULL allowed or a BEFORE INSERT trigger pass', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    await migrateDatabase(pg.url);
    await pg.query('ALTER TABLE security_audit_events ADD COLUMN tenant TEXT NOT NULL, ADD COLUMN region TEXT NOT NULL DEFAULT \'eu\', ADD COLUMN seq2 BIGINT GENERATED ALWAYS AS IDENTITY, ADD COLUMN note TEXT');
    await pg.query('ALTER TABLE security_audit_rejects ADD COLUMN tenant TEXT NOT NULL');
    const err = await rejection(migrateDatabase(pg.url));
    expect(err.drift.map((d) => [d.table, d.column, d.found, d.fix])).toEqual([
      ['security_audit_events', 'tenant', 'text NOT NULL', 'ALTER TABLE security_audit_events ALTER COLUMN tenant DROP NOT NULL; -- or give it a default: ALTER TABLE security_audit_events ALTER COLUMN tenant SET DEFAULT <value>;'],
      ['security_audit_rejects', 'tenant', 'text NOT NULL', 'ALTER TABLE security_audit_rejects ALTER COLUMN tenant DROP NOT NULL; -- or give it a default: ALTER TABLE security_audit_rejects ALTER COLUMN tenant SET DEFAULT <value>;'],
    ]);
    expect(err.message).toContain('security_audit_events.tenant: NOT NULL without a default, and not a column this version writes: the database refuses every row the sink inserts (every event would be refused into the rejects table)');
    // A sink told to migrate does not start; one that does not keeps its events spooled.
    const started = createSink({ url: pg.url, migrate: true, spool: { dir: join(dir, 'spool-m') } });
    await rejection(started.ready);
    await started.close();
    const sink = createSink({ url: pg.url, spool: { dir: join(dir, 'spool') }, retry: { initialDelayMs: 20, maxDelayMs: 100 }, onError: () => undefined });
    await sink.write([makeEvent(), 'not an event']);
    await expect.poll(() => sink.stats().retries, { timeout: 10_000 }).toBeGreaterThan(1);
    expect(sink.stats()).toMatchObject({ committed: 0, rejected: 0, spooledEvents: 2, lastError: { code: 'SINK_SCHEMA_DRIFT' } });
    for (const d of err.drift) await pg.query(d.fix);
    // A table with a BEFORE INSERT row trigger, which may fill any column, is not refused for one: the trigger may set it.
    await pg.query("ALTER TABLE security_audit_events ADD COLUMN shard TEXT NOT NULL; CREATE FUNCTION at_fill_shard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.shard := 'a'; RETURN NEW; END $$; CREATE TRIGGER at_fill_shard BEFORE INSERT ON security_audit_events FOR EACH ROW EXECUTE FUNCTION at_fill_shard()");
    await migrateDatabase(pg.url);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 1, rejected: 1, spooledEvents: 0 });
    await sink.close();
    expect((await pg.query('SELECT shard FROM security_audit_events')).rows).toEqual([{ shard: 'a' }]);
    });
  });

  it('PostgreSQL: a view holding the events table\'s name is named as a view, with ALTER VIEW ... RENAME as the fix, where each column was listed with an ALTER TABLE ... ADD COLUMN that fails on a view (found by a probe)', async () => {
    await withTempDatabase('at_drift', async (pg) => {
    await pg.query('CREATE TABLE legacy_events (id BIGINT, payload TEXT); CREATE VIEW security_audit_events AS SELECT id, payload AS event_json FROM legacy_events');
    const err = await rejection(migrateDatabase(pg.url));
    expect(err.drift).toEqual([
      {
        table: 'security_audit_events',
        column: '',
        kind: 'view',
        expected: 'TABLE',
        found: 'VIEW',
        problem: expect.stringMatching(/^a view, not a table: the sink inserts into it .*rename the view or drop it, and migrate again, which creates the table$/),
        fix: 'ALTER VIEW security_audit_events RENAME TO security_audit_events_view;',
      },
    ]);
    expect(err.message).not.toContain('ADD COLUMN');
    await pg.query(err.drift[0]!.fix);
    await expect(migrateDatabase(pg.url)).resolves.toMatchObject({ dialect: 'postgres' });
    expect((await pg.query("SELECT relkind FROM pg_class WHERE relname = 'security_audit_events'")).rows).toEqual([{ relkind: 'r' }]);
    });
  });

  it('SQLite: a fresh database, and one migrated twice, have no drift', async () => {
    const url = `sqlite:${join(dir, 'fresh.db')}`;
    await expect(migrateDatabase(url)).resolves.toMatchObject({ dialect: 'sqlite' });
    await expect(migrateDatabase(url)).resolves.toMatchObject({ dialect: 'sqlite' });
  });
});
