import { COLUMNS, EVENTS_TABLE, INDEXES, REJECT_COLUMNS, REJECT_INDEXES, REJECTS_TABLE } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { fakeMssql, lostConnectionError, type FakeCall } from '../../../test/helpers/fake-mssql.js';
import { type MssqlConnection } from '../../sink/connection.js';
import { SchemaDriftError } from '../../sink/errors.js';
import { createMssqlAdapter } from './mssql-adapter.js';
import { DESCRIBE_INDEXES, DESCRIBE_TABLES, DETECT_BABELFISH } from './mssql-sql.js';

const conn = (extra: Partial<MssqlConnection> = {}): MssqlConnection => ({ dialect: 'mssql', config: { server: 'db', options: { trustServerCertificate: true } }, babelfish: false, ...extra });
const queries = (calls: FakeCall[]) => calls.filter((c): c is Extract<FakeCall, { op: 'query' | 'batch' }> => c.op === 'query' || c.op === 'batch');

/**
 * What INFORMATION_SCHEMA.COLUMNS answers for tables made by the current
 * DDL, as SQL Server spells it (DATA_TYPE in lower case, the length apart,
 * -1 for MAX; `filled` 1 for the identity and the columns with a default),
 * with `change` applied to a column: of the events table by its name, of
 * the rejects table as `security_audit_rejects.<name>`.
 */
function catalogRows(change: Record<string, Record<string, unknown> | null> = {}): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const [table, columns] of [[EVENTS_TABLE, COLUMNS], [REJECTS_TABLE, REJECT_COLUMNS]] as const) {
    for (const c of columns) {
      const patch = change[table === EVENTS_TABLE ? c.name : `${table}.${c.name}`];
      if (patch === null) continue;
      const m = /^(\w+)(?:\((\w+)(?:,\d+)?\))?/.exec(c.type.mssql)!;
      const base = m[1]!.toLowerCase();
      const size = m[2] === undefined ? null : m[2] === 'MAX' ? -1 : Number(m[2]);
      const filled = c.name === 'id' || c.default !== undefined ? 1 : 0;
      rows.push({ table_name: table, name: c.name, data_type: base, max_length: base.endsWith('char') ? size : null, datetime_precision: base === 'datetime2' ? size : null, is_nullable: c.nullable ? 'YES' : 'NO', filled, table_type: 'BASE TABLE', ...patch });
    }
  }
  return rows;
}
/**
 * What sys.indexes (DESCRIBE_INDEXES) answers for tables made by the current
 * DDL on SQL Server, one row per key column (a bit comes back as a boolean,
 * a filter as SQL Server spells it: `([chain_id] IS NOT NULL)`), with
 * `change` applied to every row of the index of that name (null: no such index).
 */
function indexRows(change: Record<string, Record<string, unknown> | null> = {}): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const [table, indexes] of [[EVENTS_TABLE, INDEXES], [REJECTS_TABLE, REJECT_INDEXES]] as const) {
    for (const ix of indexes) {
      const patch = change[ix.name];
      if (patch === null) continue;
      const filter = ix.whereNotNull ? `([${ix.whereNotNull}] IS NOT NULL)` : null;
      ix.columns.forEach((column, i) => rows.push({ table_name: table, name: ix.name, is_unique: ix.unique === true, filter_definition: filter, column_name: column, key_ordinal: i + 1, ...patch }));
    }
  }
  return rows;
}

/** The answer to the catalog queries: `columns` to DESCRIBE_TABLES, `indexes` to DESCRIBE_INDEXES; undefined to any other SQL. */
const catalogAnswer = (sql: string, columns: Record<string, unknown>[], indexes = indexRows()) =>
  sql === DESCRIBE_TABLES ? { recordset: columns } : sql === DESCRIBE_INDEXES ? { recordset: indexes } : undefined;

/**
 * A fake that answers the Babelfish detection (any query of @@VERSION or
 * SERVERPROPERTY('babelfish')) with `version` and `babelfish` (the
 * property: 1 on Babelfish, null on SQL Server) and the catalog query with
 * `catalog`, which an `ALTER TABLE ... ADD` it is sent changes as SQL Server
 * would (the column as the current DDL declares it).
 */
const answering = (catalog: Record<string, unknown>[], version = 'Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64)', babelfish: number | null = null, indexes = indexRows()) =>
  fakeMssql((sql) => {
    if (/@@VERSION|SERVERPROPERTY\('babelfish'\)/i.test(sql)) return { recordset: [{ babelfish, version }] };
    const described = catalogAnswer(sql, catalog, indexes);
    if (described) return described;
    const add = /^ALTER TABLE dbo\.(\w+) ADD (\w+) /.exec(sql);
    if (add) catalog.push(catalogRows().find((r) => r.table_name === add[1] && r.name === add[2])!);
    return undefined;
  });

describe('mssql adapter: migrate, check and Babelfish detection (through a recording fake of the driver)', () => {
  it('detects Babelfish by SERVERPROPERTY(\'babelfish\') or @@VERSION, either sufficing, and migrates it without IGNORE_DUP_KEY; real SQL Server keeps it; babelfish: true|false is not asked (an operator can change @@VERSION: babelfishpg_tsql.version; found by a review)', async () => {
    const sqlServer = 'Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64)';
    const babelfishVersion = 'Babelfish for PostgreSQL with SQL Server Compatibility - 12.0.2000.8';
    const cases = [
      ['auto', 1, babelfishVersion, false],
      // babelfishpg_tsql.version set to look like SQL Server: the property still says Babelfish.
      ['auto', 1, 'Microsoft SQL Server 2019 (RTM-CU8) - 15.0.4073.23 (X64)', false],
      // No property (an older or other build): @@VERSION still says it.
      ['auto', null, babelfishVersion, false],
      ['auto', null, sqlServer, true],
      // Said by the connection: the server is not asked, whatever it would answer.
      [true, null, sqlServer, false],
      [false, 1, babelfishVersion, true],
    ] as const;
    const ignoresDuplicates: boolean[] = [];
    const asked: string[][] = [];
    for (const [babelfish, property, version] of cases) {
      const { driver, calls } = answering(catalogRows(), version, property);
      const a = await createMssqlAdapter(conn({ babelfish }), { driver });
      await a.migrate();
      const sent = queries(calls).map((q) => q.sql);
      expect(sent.join('\n')).toContain('CREATE TABLE dbo.security_audit_events');
      ignoresDuplicates.push(sent.join('\n').includes('IGNORE_DUP_KEY'));
      asked.push(sent.filter((q) => /@@VERSION|SERVERPROPERTY/i.test(q)));
      await a.close();
    }
    expect(ignoresDuplicates).toEqual(cases.map((c) => c[3]));
    expect(asked).toEqual(cases.map(([babelfish]) => (babelfish === 'auto' ? [DETECT_BABELFISH] : [])));
    expect(DETECT_BABELFISH).toBe("SELECT CAST(SERVERPROPERTY('babelfish') AS INT) AS babelfish, @@VERSION AS version;");
  });

  it('keeps no pool on which the Babelfish detection failed: the next call connects and asks again, instead of taking Babelfish for SQL Server for good (found by a review)', async () => {
    let fail = true;
    const { driver, calls } = fakeMssql((sql) => {
      if (/@@VERSION|SERVERPROPERTY/i.test(sql)) {
        if (fail) {
          fail = false;
          throw Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' });
        }
        return { recordset: [{ babelfish: 1, version: 'Babelfish for PostgreSQL with SQL Server Compatibility - 12.0.2000.8' }] };
      }
      return catalogAnswer(sql, catalogRows());
    });
    const a = await createMssqlAdapter(conn({ babelfish: 'auto' }), { driver });
    await expect(a.migrate()).rejects.toMatchObject({ code: 'SINK_DB', message: 'mssql: Connection lost - read ECONNRESET' });
    // The pool is closed, and no DDL ran on it.
    expect(calls.map((c) => c.op)).toEqual(['connect', 'batch', 'pool.close']);
    await a.migrate();
    expect(calls.filter((c) => c.op === 'connect')).toHaveLength(2);
    expect(queries(calls).map((q) => q.sql).join('\n')).not.toContain('IGNORE_DUP_KEY');
    await a.close();
  });

  it('migrating beside another process: a CREATE or ADD that loses the race (2714, 1913, 2705) runs the statements again; a third loss, or another error, is raised', async () => {
    const losing = { 2714: 'CREATE TABLE dbo.security_audit_rejects', 1913: 'CREATE INDEX', 2705: 'ALTER TABLE dbo.security_audit_rejects ADD reject_key' };
    for (const [number, statement] of Object.entries(losing)) {
      let raced = 0;
      // Tables of an earlier version: the rejects table lacks reject_key until the first ADD (which the other process won).
      const catalog = catalogRows({ 'security_audit_rejects.reject_key': null });
      const { driver, calls } = fakeMssql((sql) => {
        if (sql.includes(statement) && raced++ === 0) throw Object.assign(new Error('already exists'), { number: Number(number) });
        return catalogAnswer(sql, raced > 0 ? catalogRows() : catalog);
      });
      const a = await createMssqlAdapter(conn(), { driver });
      await expect(a.migrate()).resolves.toBeUndefined();
      const creates = queries(calls).filter((q) => q.sql.includes('CREATE TABLE dbo.security_audit_events'));
      expect(creates).toHaveLength(2);
      await a.close();
    }
    // Every CREATE TABLE fails with SQL Server error `number`: how many rounds migrate() runs before it gives up.
    const roundsUntilRaised = async (number: number) => {
      const { driver, calls } = fakeMssql((sql) => {
        if (sql.includes('CREATE TABLE')) throw Object.assign(new Error(`error ${number}`), { number });
        return undefined;
      });
      const a = await createMssqlAdapter(conn(), { driver });
      // Raised typed, as a write's errors are: SINK_DB with SQL Server's error as its cause.
      await expect(a.migrate()).rejects.toMatchObject({ code: 'SINK_DB', cause: { number } });
      return queries(calls).filter((q) => q.sql.includes('CREATE TABLE dbo.security_audit_events')).length;
    };
    expect(await roundsUntilRaised(2714)).toBe(3);
    expect(await roundsUntilRaised(262)).toBe(1);
  });

  it('check() reads the catalog and changes nothing: passes on current tables, SINK_NOT_MIGRATED without them, drift named, a lost connection drops the pool', async () => {
    const ok = answering(catalogRows());
    const a = await createMssqlAdapter(conn(), { driver: ok.driver });
    await expect(a.check()).resolves.toBeUndefined();
    expect(queries(ok.calls).map((q) => q.sql)).toEqual([DESCRIBE_TABLES, DESCRIBE_INDEXES]);
    expect(queries(ok.calls).every((q) => !q.inTx)).toBe(true);
    await a.close();
    // The rejects table absent: named alone, with the command that makes it.
    const half = await createMssqlAdapter(conn(), { driver: answering(catalogRows(Object.fromEntries(REJECT_COLUMNS.map((c) => [`security_audit_rejects.${c.name}`, null])))).driver });
    await expect(half.check()).rejects.toMatchObject({ code: 'SINK_NOT_MIGRATED', message: expect.stringMatching(/^mssql: the audit table\(s\) security_audit_rejects do not exist .*audit-trail migrate/) });
    await half.close();
    const drifted = await createMssqlAdapter(conn(), { driver: answering(catalogRows({ epoch: { data_type: 'int' } })).driver });
    await expect(drifted.check()).rejects.toBeInstanceOf(SchemaDriftError);
    await drifted.close();
    // A connection lost under the catalog query: SINK_DB, and the next check connects afresh.
    let lose = true;
    const lost = fakeMssql((sql) => {
      if (sql === DESCRIBE_TABLES && lose) {
        lose = false;
        // A reset socket as mssql reports it where no request is in flight (tedious wrapSocketError: ESOCKET); under one it is ECONNRESET (lostConnectionError).
        throw Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' });
      }
      return catalogAnswer(sql, catalogRows());
    });
    const c = await createMssqlAdapter(conn(), { driver: lost.driver });
    await expect(c.check()).rejects.toMatchObject({ code: 'SINK_DB', message: 'mssql: Connection lost - read ECONNRESET' });
    await expect(c.check()).resolves.toBeUndefined();
    expect(lost.calls.filter((k) => k.op === 'connect' || k.op === 'pool.close').map((k) => k.op)).toEqual(['connect', 'pool.close', 'connect']);
    await c.close();
  });

  it('after the DDL, reads the columns from INFORMATION_SCHEMA and refuses tables that cannot hold what it writes, naming the fix', async () => {
    // Tables made before 2026-12-05: epoch INT, kid and swarm_task_id single-byte; one NOT NULL column dropped by hand.
    const old = catalogRows({ epoch: { data_type: 'int' }, kid: { data_type: 'varchar' }, swarm_task_id: { data_type: 'varchar' }, event_type: null });
    const { driver, calls } = answering(old);
    const a = await createMssqlAdapter(conn(), { driver });
    const err = await a.migrate().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaDriftError);
    const drift = (err as SchemaDriftError).drift;
    expect(drift.map((d) => d.fix)).toEqual([
      'ALTER TABLE dbo.security_audit_events ADD event_type VARCHAR(50) NOT NULL;',
      'ALTER TABLE dbo.security_audit_events ALTER COLUMN swarm_task_id NVARCHAR(64) NULL;',
      'ALTER TABLE dbo.security_audit_events ALTER COLUMN epoch BIGINT NULL;',
      'ALTER TABLE dbo.security_audit_events ALTER COLUMN kid NVARCHAR(64) NULL;',
    ]);
    expect((err as SchemaDriftError).code).toBe('SINK_SCHEMA_DRIFT');
    expect((err as Error).message).toContain('security_audit_events.epoch: narrower: found int, expected BIGINT');
    // The catalog queries ran after every DDL statement, outside any transaction of a batch.
    const sent = queries(calls);
    expect(sent.slice(-2)).toMatchObject([{ sql: DESCRIBE_TABLES, inTx: false }, { sql: DESCRIBE_INDEXES, inTx: false }]);
    expect(sent.slice(0, -2).some((q) => q.sql.includes('CREATE TABLE dbo.security_audit_rejects'))).toBe(true);
    await a.close();
    // The same tables after the fixes: a wider column of its own stays as it is.
    const fixed = catalogRows({ user_id: { max_length: -1 } });
    const b = await createMssqlAdapter(conn(), { driver: answering(fixed).driver });
    await expect(b.migrate()).resolves.toBeUndefined();
    await b.close();
  });

  it('adds the nullable columns a table made by an earlier version lacks (reject_key, mac) before the indexes that name them, and only those', async () => {
    const { driver, calls } = answering(catalogRows({ 'security_audit_rejects.reject_key': null, mac: null }));
    const a = await createMssqlAdapter(conn(), { driver });
    await expect(a.migrate()).resolves.toBeUndefined();
    const sent = queries(calls).map((q) => q.sql);
    const adds = sent.filter((s) => s.startsWith('ALTER TABLE'));
    expect(adds).toEqual(['ALTER TABLE dbo.security_audit_events ADD mac VARCHAR(44) NULL;', 'ALTER TABLE dbo.security_audit_rejects ADD reject_key VARCHAR(43) NULL;']);
    const addAt = sent.indexOf(adds[1]!);
    const indexAt = sent.findIndex((s) => s.includes('CREATE UNIQUE INDEX UX_security_audit_rejects_reject_key'));
    expect(indexAt).toBeGreaterThan(addAt);
    expect(sent[indexAt]).toContain('WHERE reject_key IS NOT NULL');
    // Tables that have them: nothing is added.
    const again = answering(catalogRows());
    await (await createMssqlAdapter(conn(), { driver: again.driver })).migrate();
    expect(queries(again.calls).filter((q) => q.sql.startsWith('ALTER TABLE'))).toEqual([]);
  });

  /** What migrate() rejected with, on a fake answering `columns` and `indexes` (and `babelfish`, the property). */
  const migrateError = async (columns: Record<string, unknown>[], indexes: Record<string, unknown>[], babelfish: number | null = null) => {
    const version = babelfish === 1 ? 'Babelfish for PostgreSQL with SQL Server Compatibility - 12.0.2000.8' : undefined;
    const a = await createMssqlAdapter(conn({ babelfish: 'auto' }), { driver: answering(columns, version, babelfish, indexes).driver });
    const err = await a.migrate().then(() => undefined, (e: unknown) => e);
    await a.close();
    return err as SchemaDriftError | undefined;
  };

  it('refuses a unique index the writer relies on that is not unique, on other columns, or partial where the DDL has none (the DDL, seeing the name taken, made none; found by a probe), naming DROP INDEX IF EXISTS and migrate as the fix', async () => {
    const event = 'UX_security_audit_events_event_id';
    const changes: [Record<string, unknown>, RegExp][] = [
      [{ is_unique: false }, /index UX_security_audit_events_event_id: not unique: found INDEX \(event_id\), expected UNIQUE \(event_id\); the writer relies on it \(Idempotency/],
      [{ column_name: 'event_type' }, /: on \(event_type\), not \(event_id\): found UNIQUE \(event_type\)/],
      [{ filter_definition: "([event_type]='WEBAUTHN_AUTH_FAILURE')" }, /: partial \(WHERE \(\[event_type\]='WEBAUTHN_AUTH_FAILURE'\)\): rows outside it may repeat the key/],
    ];
    for (const [change, message] of changes) {
      const err = await migrateError(catalogRows(), indexRows({ [event]: change }));
      expect(err, JSON.stringify(change)).toBeInstanceOf(SchemaDriftError);
      expect(err!.drift).toEqual([expect.objectContaining({ table: EVENTS_TABLE, column: event, kind: 'index', fix: `DROP INDEX IF EXISTS ${event} ON dbo.${EVENTS_TABLE};` })]);
      expect(err!.message).toMatch(/^mssql: 1 unique index\(es\) of the existing audit tables cannot hold what this version writes:\n/);
      expect(err!.message).toMatch(message);
    }
    // SQL Server counts NULLs as equal in a unique index: unfiltered, the second event without a chain would be refused.
    const unfiltered = await migrateError(catalogRows(), indexRows({ UX_security_audit_events_chain_seq: { filter_definition: null } }));
    expect(unfiltered!.drift.map((d) => [d.column, d.problem.split(':')[0]])).toEqual([['UX_security_audit_events_chain_seq', 'of every row, not partial (WHERE chain_id IS NOT NULL)']]);
    // Gone (another tool dropped it after the DDL's look): the same fix.
    const gone = await migrateError(catalogRows(), indexRows({ UX_security_audit_rejects_reject_key: null }));
    expect(gone!.drift).toEqual([expect.objectContaining({ column: 'UX_security_audit_rejects_reject_key', found: undefined, problem: expect.stringMatching(/^missing: no UNIQUE \(reject_key\) WHERE reject_key IS NOT NULL;/), fix: `DROP INDEX IF EXISTS UX_security_audit_rejects_reject_key ON dbo.${REJECTS_TABLE};` })]);
    // A unique index of another name with the right shape does the same work: accepted.
    const other = indexRows({ [event]: { is_unique: false } }).concat(indexRows().filter((r) => r.name === event).map((r) => ({ ...r, name: 'UQ_operator_event_id' })));
    expect(await migrateError(catalogRows(), other)).toBeUndefined();
  });

  it('refuses a unique index the writer relies on that is disabled (ALTER INDEX ... DISABLE: it enforces nothing) or hypothetical, where the DDL, seeing its name, made none and the drift check passed it (found by a review)', async () => {
    const event = 'UX_security_audit_events_event_id';
    for (const usable of [0, false]) {
      const err = await migrateError(catalogRows(), indexRows({ [event]: { usable } }));
      expect(err, String(usable)).toBeInstanceOf(SchemaDriftError);
      expect(err!.drift).toEqual([expect.objectContaining({ column: event, kind: 'index', fix: `DROP INDEX IF EXISTS ${event} ON dbo.${EVENTS_TABLE};` })]);
      expect(err!.drift[0]!.problem).toMatch(/^not in use \(invalid: a CREATE INDEX CONCURRENTLY that failed; or disabled, or hypothetical\), so the writer cannot rely on it \(ON CONFLICT does not use it\): found UNIQUE \(event_id\)/);
    }
    // The catalog query asks for it, on SQL Server and Babelfish alike (both have the columns).
    expect(DESCRIBE_INDEXES).toContain('CASE WHEN i.is_disabled = 1 OR i.is_hypothetical = 1 THEN 0 ELSE 1 END AS usable');
    expect(await migrateError(catalogRows(), indexRows({ [event]: { usable: 1 } }))).toBeUndefined();
  });

  it('on Babelfish, whose sys.indexes gives no filter and mangled names, compares the indexes\' uniqueness and columns only', async () => {
    // As Babelfish answers: a hash appended to each name, filter_definition NULL for every index.
    const babel = indexRows().map((r) => ({ ...r, name: `${String(r.name).toLowerCase()}security_a1b2c3d4`, filter_definition: null }));
    expect(await migrateError(catalogRows(), babel, 1)).toBeUndefined();
    const plain = babel.map((r) => (String(r.name).startsWith('ux_security_audit_events_event_id') ? { ...r, is_unique: false } : r));
    const err = await migrateError(catalogRows(), plain, 1);
    expect(err!.drift).toEqual([expect.objectContaining({ column: 'UX_security_audit_events_event_id', problem: expect.stringMatching(/^missing: no UNIQUE \(event_id\);/), fix: `DROP INDEX IF EXISTS UX_security_audit_events_event_id ON dbo.${EVENTS_TABLE};` })]);
  });

  it('refuses a column of the operator\'s own that is NOT NULL without a default (every insert would fail: all events rejects; found by a probe), and accepts it with a default, an identity or NULL allowed', async () => {
    const extra = (filled: number, nullable = 'NO') => ({ table_name: EVENTS_TABLE, name: 'tenant', data_type: 'nvarchar', max_length: 20, datetime_precision: null, is_nullable: nullable, filled, table_type: 'BASE TABLE' });
    const err = await migrateError([...catalogRows(), extra(0)], indexRows());
    expect(err!.drift).toEqual([
      {
        table: EVENTS_TABLE,
        column: 'tenant',
        expected: 'NULL, or NOT NULL with a default',
        found: 'nvarchar(20) NOT NULL',
        problem: 'NOT NULL without a default, and not a column this version writes: the database refuses every row the sink inserts (every event would be refused into the rejects table)',
        fix: `-- allow NULL in ${EVENTS_TABLE}.tenant (ALTER TABLE dbo.${EVENTS_TABLE} ALTER COLUMN tenant <its type> NULL;) or give it a default (ALTER TABLE dbo.${EVENTS_TABLE} ADD DEFAULT <value> FOR tenant;)`,
      },
    ]);
    const rejects = await migrateError([...catalogRows(), { ...extra(0), table_name: REJECTS_TABLE }], indexRows());
    expect(rejects!.drift[0]!.problem).toMatch(/\(no refused input could be stored\)$/);
    expect(await migrateError([...catalogRows(), extra(1)], indexRows())).toBeUndefined();
    expect(await migrateError([...catalogRows(), extra(0, 'YES')], indexRows())).toBeUndefined();
  });

  it('accepts the NOT NULL columns SQL Server fills itself: a system-versioned table\'s period columns, a ledger table\'s (generated_always_type nonzero; they were refused as an operator\'s own without a default; found by a review)', async () => {
    const generated = (name: string, type: number) => ({ table_name: EVENTS_TABLE, name, data_type: name.startsWith('valid') ? 'datetime2' : 'bigint', max_length: null, datetime_precision: name.startsWith('valid') ? 7 : null, is_nullable: 'NO', filled: 0, generated: type, table_type: 'BASE TABLE' });
    // AS_ROW_START 1, AS_ROW_END 2 (temporal); AS_TRANSACTION_ID_START 5, AS_SEQUENCE_NUMBER_START 7 (ledger).
    const columns = [generated('valid_from', 1), generated('valid_to', 2), generated('ledger_start_transaction_id', 5), generated('ledger_start_sequence_number', 7)];
    expect(await migrateError([...catalogRows(), ...columns], indexRows())).toBeUndefined();
    expect(DESCRIBE_TABLES).toContain('sc.generated_always_type AS generated');
    // Not generated (0): still refused.
    expect((await migrateError([...catalogRows(), generated('valid_from', 0)], indexRows()))!.drift.map((d) => d.column)).toEqual(['valid_from']);
  });

  it('says so when a view holds the events table\'s name, with sp_rename as the fix, where it listed ALTER TABLE ... ADD for each column; sends no ADD or CREATE INDEX to the view', async () => {
    const view = catalogRows().filter((r) => r.table_name !== EVENTS_TABLE || ['event_id', 'event_type'].includes(String(r.name))).map((r) => (r.table_name === EVENTS_TABLE ? { ...r, table_type: 'VIEW' } : r));
    const { driver, calls } = answering(view, undefined, null, indexRows().filter((r) => r.table_name === REJECTS_TABLE));
    const a = await createMssqlAdapter(conn(), { driver });
    const err = (await a.migrate().then(() => undefined, (e: unknown) => e)) as SchemaDriftError;
    await a.close();
    expect(err.drift).toEqual([{ table: EVENTS_TABLE, column: '', kind: 'view', expected: 'TABLE', found: 'VIEW', problem: expect.stringMatching(/^a view, not a table: .*the table names are fixed \(no option names others\): rename the view or drop it, and migrate again/), fix: `EXEC sp_rename N'dbo.${EVENTS_TABLE}', N'${EVENTS_TABLE}_view';` }]);
    expect(err.message).toMatch(/^mssql: 1 view\(s\) in place of a table of the existing audit tables cannot hold what this version writes:\n  security_audit_events: a view, not a table/);
    expect(err.message).not.toContain('ADD');
    expect(queries(calls).filter((q) => /^ALTER TABLE dbo\.security_audit_events|INDEX \w+ ON dbo\.security_audit_events/.test(q.sql.replace(/^IF NOT EXISTS[^\n]*\n/, '')))).toEqual([]);
  });
});
