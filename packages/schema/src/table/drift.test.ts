import { describe, expect, it } from 'vitest';
import { COLUMNS, EVENTS_TABLE, INDEXES, REJECT_COLUMNS, REJECT_INDEXES, REJECTS_TABLE, type ColumnDef, type Dialect } from './columns.js';
import { tableDrift, type FoundColumn, type FoundIndex } from './drift.js';
import { addColumnSql, columnSql, createTableStatements, migrationPlan } from './ddl.js';

const DIALECTS: Dialect[] = ['mssql', 'postgres', 'sqlite'];

/** The tables exactly as this version's DDL declares them, spelled as each catalog would (lower case). */
function asDeclared(dialect: Dialect, change: (table: string, c: ColumnDef) => Partial<FoundColumn> | null = () => ({})): FoundColumn[] {
  const out: FoundColumn[] = [];
  for (const [table, columns] of [[EVENTS_TABLE, COLUMNS], [REJECTS_TABLE, REJECT_COLUMNS]] as const) {
    for (const c of columns) {
      const patch = change(table, c);
      if (patch === null) continue;
      out.push({ table, name: c.name, type: c.type[dialect].replace(/ (IDENTITY|GENERATED)\b.*$/, '').toLowerCase(), nullable: c.nullable, ...patch });
    }
  }
  return out;
}

/** `asDeclared` with one column of the events table changed (or dropped with null). */
const withColumn = (dialect: Dialect, name: string, patch: Partial<FoundColumn> | null) =>
  asDeclared(dialect, (t, c) => (t === EVENTS_TABLE && c.name === name ? patch : {}));

describe('tableDrift', () => {
  it.each(DIALECTS)('finds nothing in tables made by the current DDL (%s)', (dialect) => {
    expect(tableDrift(dialect, asDeclared(dialect))).toEqual([]);
  });

  it('lists the columns of tables made before 2026-12-05, with the statements sql/README.md gives', () => {
    const oldPg = withColumn('postgres', 'epoch', { type: 'integer' });
    expect(tableDrift('postgres', oldPg)).toEqual([
      {
        table: EVENTS_TABLE,
        column: 'epoch',
        expected: 'BIGINT',
        found: 'integer',
        problem: 'narrower: found integer, expected BIGINT',
        fix: 'ALTER TABLE security_audit_events ALTER COLUMN epoch TYPE BIGINT;',
      },
    ]);
    const oldMssql = asDeclared('mssql', (t, c) => (t !== EVENTS_TABLE ? {} : c.name === 'epoch' ? { type: 'int' } : c.name === 'kid' || c.name === 'swarm_task_id' ? { type: 'varchar(64)' } : {}));
    const drift = tableDrift('mssql', oldMssql);
    expect(drift.map((d) => d.fix)).toEqual([
      'ALTER TABLE dbo.security_audit_events ALTER COLUMN swarm_task_id NVARCHAR(64) NULL;',
      'ALTER TABLE dbo.security_audit_events ALTER COLUMN epoch BIGINT NULL;',
      'ALTER TABLE dbo.security_audit_events ALTER COLUMN kid NVARCHAR(64) NULL;',
    ]);
    expect(drift.find((d) => d.column === 'kid')!.problem).toMatch(/^not Unicode: found varchar\(64\), expected NVARCHAR\(64\)/);
  });

  it('accepts columns wider than declared, and columns and tables of its own', () => {
    const wider: [Dialect, string, string][] = [
      ['postgres', 'user_id', 'character varying(1000)'],
      ['postgres', 'user_id', 'text'],
      ['postgres', 'user_id', 'character varying'],
      ['postgres', 'severity', 'bigint'],
      ['postgres', 'event_timestamp', 'timestamp(6) with time zone'],
      ['postgres', 'event_timestamp', 'timestamptz'],
      ['mssql', 'client_ip', 'nvarchar(45)'],
      ['mssql', 'user_id', 'nvarchar(max)'],
      ['mssql', 'event_timestamp', 'datetime2(7)'],
      ['mssql', 'severity', 'int'],
      ['sqlite', 'user_id', 'VARCHAR(10)'],
      ['sqlite', 'seq', 'BIGINT'],
    ];
    for (const [dialect, column, type] of wider) expect(tableDrift(dialect, withColumn(dialect, column, { type })), `${dialect} ${column} ${type}`).toEqual([]);
    const extra = [...asDeclared('postgres'), { table: EVENTS_TABLE, name: 'retention_class', type: 'text', nullable: false }, { table: 'other', name: 'x', type: 'integer', nullable: true }];
    expect(tableDrift('postgres', extra)).toEqual([]);
    // Catalog case: SQL Server keeps what the DDL said, PostgreSQL folds to lower case.
    expect(tableDrift('mssql', asDeclared('mssql').map((f) => ({ ...f, table: f.table.toUpperCase(), name: f.name.toUpperCase() })))).toEqual([]);
  });

  it('lists narrower, other-typed, single-byte, missing and NOT NULL columns, each with its fix', () => {
    const cases: [Dialect, string, Partial<FoundColumn> | null, RegExp, string][] = [
      ['postgres', 'user_id', { type: 'character varying(100)' }, /^narrower: found character varying\(100\), expected VARCHAR\(256\)$/, 'ALTER TABLE security_audit_events ALTER COLUMN user_id TYPE VARCHAR(256);'],
      // Read as UTC, what the sink wrote there: cast in a session whose TimeZone is not UTC, every time moved by its offset.
      ['postgres', 'event_timestamp', { type: 'timestamp(3) without time zone' }, /^different type/, "ALTER TABLE security_audit_events ALTER COLUMN event_timestamp TYPE TIMESTAMPTZ(3) USING event_timestamp AT TIME ZONE 'UTC';"],
      // Filled by DEFAULT now(), in the writer's session TimeZone (the database's): the plain cast reads it back, AT TIME ZONE 'UTC' moved it.
      ['postgres', 'ingested_at', { type: 'timestamp without time zone', nullable: true }, /^different type/, 'ALTER TABLE security_audit_events ALTER COLUMN ingested_at TYPE TIMESTAMPTZ(3);'],
      ['postgres', 'event_timestamp', { type: 'timestamp(0) with time zone' }, /^narrower/, 'ALTER TABLE security_audit_events ALTER COLUMN event_timestamp TYPE TIMESTAMPTZ(3);'],
      ['postgres', 'event_id', { type: 'text' }, /^different type: found text, expected UUID$/, 'ALTER TABLE security_audit_events ALTER COLUMN event_id TYPE UUID;'],
      ['postgres', 'event_json', { type: 'jsonb' }, /^different type/, 'ALTER TABLE security_audit_events ALTER COLUMN event_json TYPE TEXT;'],
      ['postgres', 'image', { nullable: false }, /^NOT NULL/, 'ALTER TABLE security_audit_events ALTER COLUMN image DROP NOT NULL;'],
      ['postgres', 'sign_count', { type: 'integer', nullable: false }, /^narrower: .*; NOT NULL/, 'ALTER TABLE security_audit_events ALTER COLUMN sign_count TYPE BIGINT, ALTER COLUMN sign_count DROP NOT NULL;'],
      ['postgres', 'kid', null, /^missing$/, 'ALTER TABLE security_audit_events ADD COLUMN kid VARCHAR(64) NULL;'],
      ['mssql', 'event_json', { type: 'nvarchar(4000)' }, /^narrower/, 'ALTER TABLE dbo.security_audit_events ALTER COLUMN event_json NVARCHAR(MAX) NOT NULL;'],
      ['mssql', 'user_agent_raw', { type: 'varchar(1024)' }, /^not Unicode/, 'ALTER TABLE dbo.security_audit_events ALTER COLUMN user_agent_raw NVARCHAR(1024) NULL;'],
      ['mssql', 'event_timestamp', { type: 'datetime' }, /^different type/, 'ALTER TABLE dbo.security_audit_events ALTER COLUMN event_timestamp DATETIME2(3) NOT NULL;'],
      ['mssql', 'mac', null, /^missing$/, 'ALTER TABLE dbo.security_audit_events ADD mac VARCHAR(44) NULL;'],
      ['sqlite', 'seq', { type: 'TEXT' }, /^different type: found TEXT, expected INTEGER$/, '-- SQLite cannot alter security_audit_events.seq: create a new table with the current DDL (sql/sqlite/) and copy the rows into it'],
      ['sqlite', 'kid', null, /^missing$/, 'ALTER TABLE security_audit_events ADD COLUMN kid TEXT NULL;'],
      ['sqlite', 'event_type', null, /^missing$/, '-- SQLite cannot add the NOT NULL column security_audit_events.event_type to an existing table: create a new table with the current DDL (sql/sqlite/) and copy the rows into it'],
      ['postgres', 'event_type', null, /^missing$/, 'ALTER TABLE security_audit_events ADD COLUMN event_type VARCHAR(50) NOT NULL;'],
    ];
    for (const [dialect, column, patch, problem, fix] of cases) {
      const drift = tableDrift(dialect, withColumn(dialect, column, patch));
      expect(drift, `${dialect} ${column} ${JSON.stringify(patch)}`).toHaveLength(1);
      expect(drift[0]).toMatchObject({ table: EVENTS_TABLE, column, fix });
      expect(drift[0]!.problem).toMatch(problem);
    }
  });

  it('lists every column of a table that is not there at all', () => {
    const noRejects = asDeclared('postgres', (t) => (t === REJECTS_TABLE ? null : {}));
    expect(tableDrift('postgres', noRejects).map((d) => `${d.table}.${d.column}`)).toEqual(REJECT_COLUMNS.map((c) => `${REJECTS_TABLE}.${c.name}`));
  });
});

/** The indexes exactly as this version's DDL declares them, named as PostgreSQL and SQLite fold them, with `change` applied to the one of that name (null: none). */
function indexesAsDeclared(change: Record<string, Partial<FoundIndex> | null> = {}): FoundIndex[] {
  const out: FoundIndex[] = [];
  for (const [table, indexes] of [[EVENTS_TABLE, INDEXES], [REJECTS_TABLE, REJECT_INDEXES]] as const) {
    for (const ix of indexes) {
      const patch = change[ix.name.toLowerCase()];
      if (patch === null) continue;
      out.push({ table, name: ix.name.toLowerCase(), unique: ix.unique === true, columns: [...ix.columns], where: ix.whereNotNull && `${ix.whereNotNull} IS NOT NULL`, ...patch });
    }
  }
  return out;
}

describe('tableDrift: the unique indexes the writer relies on, columns of the operator\'s own, views', () => {
  const EVENT_ID = 'ux_security_audit_events_event_id';

  it.each(DIALECTS)('finds nothing in indexes made by the current DDL, or with a unique index of another name doing the work (%s)', (dialect) => {
    expect(tableDrift(dialect, asDeclared(dialect), indexesAsDeclared())).toEqual([]);
    const other = [...indexesAsDeclared({ [EVENT_ID]: { unique: false } }), { table: EVENTS_TABLE, name: 'uq_mine', unique: true, columns: ['EVENT_ID'] }];
    expect(tableDrift(dialect, asDeclared(dialect), other)).toEqual([]);
  });

  it('lists a unique index that is plain, on other columns, partial, full where declared partial, or missing; its fix drops it (SQL Server: IF EXISTS, per table), or creates it where no index of the table has its name', () => {
    const cases: [Dialect, Partial<FoundIndex> | null, RegExp, string][] = [
      ['postgres', { unique: false }, /^not unique: found INDEX \(event_id\), expected UNIQUE \(event_id\); the writer relies on it \(Idempotency: a resent event is ignored\)$/, `DROP INDEX ${EVENT_ID};`],
      ['sqlite', { columns: ['event_id', 'service'] }, /^on \(event_id, service\), not \(event_id\): found UNIQUE \(event_id, service\)/, `DROP INDEX ${EVENT_ID};`],
      ['sqlite', { where: "event_type = 'X'" }, /^partial \(WHERE event_type = 'X'\): rows outside it may repeat the key/, `DROP INDEX ${EVENT_ID};`],
      ['postgres', { unique: false, where: 'x > 1' }, /^not unique, partial \(WHERE x > 1\)/, `DROP INDEX ${EVENT_ID};`],
      ['postgres', null, /^missing: no UNIQUE \(event_id\); .*if its name is taken by another table's index/, 'CREATE UNIQUE INDEX ux_security_audit_events_event_id ON security_audit_events (event_id);'],
      ['mssql', { name: 'UX_security_audit_events_event_id', unique: false }, /^not unique/, 'DROP INDEX IF EXISTS UX_security_audit_events_event_id ON dbo.security_audit_events;'],
      ['mssql', null, /^missing: no UNIQUE \(event_id\); the writer relies on it \(Idempotency: a resent event is ignored\)$/, 'DROP INDEX IF EXISTS UX_security_audit_events_event_id ON dbo.security_audit_events;'],
    ];
    for (const [dialect, patch, problem, fix] of cases) {
      const drift = tableDrift(dialect, asDeclared(dialect), indexesAsDeclared({ [EVENT_ID]: patch }));
      expect(drift, `${dialect} ${JSON.stringify(patch)}`).toEqual([expect.objectContaining({ table: EVENTS_TABLE, kind: 'index', expected: 'UNIQUE (event_id)', fix })]);
      expect(drift[0]!.problem).toMatch(problem);
    }
    // Declared partial, found full: on SQL Server a second event without a chain (chain_id NULL) would be refused.
    const full = tableDrift('mssql', asDeclared('mssql'), indexesAsDeclared({ ux_security_audit_events_chain_seq: { name: 'UX_security_audit_events_chain_seq', where: undefined } }));
    expect(full.map((d) => d.problem.split(':')[0])).toEqual(['of every row, not partial (WHERE chain_id IS NOT NULL)']);
    // The predicate in each catalog's spelling is the same predicate.
    for (const where of ['(reject_key IS NOT NULL)', '([reject_key] IS NOT NULL)', '"reject_key" is not null']) {
      expect(tableDrift('postgres', asDeclared('postgres'), indexesAsDeclared({ ux_security_audit_rejects_reject_key: { where } })), where).toEqual([]);
    }
    // Babelfish's catalog says nothing of filters: not compared.
    expect(tableDrift('mssql', asDeclared('mssql'), indexesAsDeclared({ ux_security_audit_events_chain_seq: { where: undefined, whereKnown: false } }))).toEqual([]);
    // Without indexes (a caller that did not read them), none are compared; an index on a column the table lacks is left to that column's entry.
    expect(tableDrift('postgres', asDeclared('postgres'))).toEqual([]);
    expect(tableDrift('postgres', withColumn('postgres', 'event_id', null), indexesAsDeclared({ [EVENT_ID]: null })).map((d) => d.column)).toEqual(['event_id']);
  });

  it('lists a column the writer does not write that is NOT NULL without a default, in either table, with each dialect\'s fix; one with a default (or not said) passes', () => {
    const extra = (dialect: Dialect, table: string, f: Partial<FoundColumn>) => [...asDeclared(dialect), { table, name: 'tenant', type: 'text', nullable: false, hasDefault: false, ...f }];
    expect(tableDrift('postgres', extra('postgres', EVENTS_TABLE, {}))).toEqual([
      {
        table: EVENTS_TABLE,
        column: 'tenant',
        expected: 'NULL, or NOT NULL with a default',
        found: 'text NOT NULL',
        problem: 'NOT NULL without a default, and not a column this version writes: the database refuses every row the sink inserts (every event would be refused into the rejects table)',
        fix: 'ALTER TABLE security_audit_events ALTER COLUMN tenant DROP NOT NULL; -- or give it a default: ALTER TABLE security_audit_events ALTER COLUMN tenant SET DEFAULT <value>;',
      },
    ]);
    expect(tableDrift('sqlite', extra('sqlite', REJECTS_TABLE, {}))[0]).toMatchObject({ table: REJECTS_TABLE, problem: expect.stringMatching(/\(no refused input could be stored\)$/), fix: expect.stringMatching(/^-- SQLite cannot alter security_audit_rejects\.tenant: drop it/) });
    expect(tableDrift('mssql', extra('mssql', EVENTS_TABLE, {}))[0]!.fix).toMatch(/^-- allow NULL in security_audit_events\.tenant \(ALTER TABLE dbo\.security_audit_events ALTER COLUMN tenant <its type> NULL;\)/);
    for (const f of [{ hasDefault: true }, { nullable: true }, { hasDefault: undefined }]) expect(tableDrift('postgres', extra('postgres', EVENTS_TABLE, f)), JSON.stringify(f)).toEqual([]);
  });

  it.each([
    ['postgres', 'ALTER VIEW security_audit_events RENAME TO security_audit_events_view;'],
    ['mssql', "EXEC sp_rename N'dbo.security_audit_events', N'security_audit_events_view';"],
    ['sqlite', "-- SQLite cannot rename a view: keep its definition (SELECT sql FROM sqlite_master WHERE name = 'security_audit_events') to create it again under another name, then DROP VIEW security_audit_events;"],
  ] as const)('lists a view holding the events table\'s name once, saying it is a view, not each column with an ALTER TABLE that fails on it (%s)', (dialect, fix) => {
    const view = asDeclared(dialect, (t, c) => (t !== EVENTS_TABLE ? {} : c.name === 'event_id' ? { view: true } : null));
    expect(tableDrift(dialect, view, indexesAsDeclared())).toEqual([{ table: EVENTS_TABLE, column: '', kind: 'view', expected: 'TABLE', found: 'VIEW', problem: expect.stringMatching(/^a view, not a table: /), fix }]);
  });
});

describe('migrationPlan', () => {
  it('adds only nullable columns without a default, each with the statement drift would name, and indexes each table after its columns, events first', () => {
    for (const dialect of ['mssql', 'postgres', 'sqlite'] as const) {
      const plan = migrationPlan(dialect);
      // Table by table in the writer's lock order: events, then rejects.
      expect(plan.steps.map((s) => s.table)).toEqual([EVENTS_TABLE, REJECTS_TABLE]);
      const addable = plan.steps.flatMap((s) => s.addable);
      const expected = [...COLUMNS.map((c) => [EVENTS_TABLE, c] as const), ...REJECT_COLUMNS.map((c) => [REJECTS_TABLE, c] as const)].filter(([, c]) => c.nullable && !c.default);
      expect(addable.map((a) => `${a.table}.${a.column}`)).toEqual(expected.map(([t, c]) => `${t}.${c.name}`));
      expect(addable.map((a) => `${a.table}.${a.column}`)).toContain(`${REJECTS_TABLE}.reject_key`);
      // What migrate adds is what the drift check names as the fix for a missing column.
      for (const a of addable) {
        const found = asDeclared(dialect).filter((f) => !(f.table === a.table && f.name === a.column));
        expect(tableDrift(dialect, found).map((d) => d.fix)).toEqual([a.sql]);
      }
      const indexes = plan.steps.flatMap((s) => s.indexes);
      expect(createTableStatements(dialect)).toEqual([...plan.tables, ...indexes]);
      expect(plan.tables.every((s) => s.includes('CREATE TABLE'))).toBe(true);
      for (const step of plan.steps) expect(step.indexes.every((s) => s.includes('INDEX') && s.includes(step.table))).toBe(true);
      expect(indexes.filter((s) => /reject_key/.test(s))).toHaveLength(1);
    }
  });
});

describe('DDL misuse: a typed TableSqlError, never SQL with "undefined" in it', () => {
  const error = (code: string, message: string) => expect.objectContaining({ name: 'TableSqlError', code, message });
  const mysql = error('TABLE_DIALECT_UNKNOWN', 'unknown SQL dialect "mysql": expected one of mssql, postgres, sqlite');

  it('refuses a dialect it has no types for, in every function that takes one', () => {
    expect(() => createTableStatements('mysql' as never)).toThrow(mysql);
    expect(() => migrationPlan('mysql' as never)).toThrow(mysql);
    expect(() => columnSql(COLUMNS[1]!, 'mysql' as never)).toThrow(mysql);
    expect(() => addColumnSql('mysql' as never, EVENTS_TABLE, COLUMNS[1]!)).toThrow(mysql);
    expect(() => tableDrift('mysql' as never, [])).toThrow(mysql);
    expect(() => createTableStatements('__proto__' as never)).toThrow(expect.objectContaining({ code: 'TABLE_DIALECT_UNKNOWN' }));
    expect(() => createTableStatements('babelfish' as never)).toThrow(
      error('TABLE_DIALECT_UNKNOWN', 'unknown SQL dialect "babelfish": expected one of mssql, postgres, sqlite; Babelfish is "mssql" with { babelfish: true }'),
    );
  });

  it('refuses DDL options it does not take: a misspelt key, a non-boolean babelfish, babelfish outside mssql', () => {
    expect(() => createTableStatements('mssql', { babelFish: true } as never)).toThrow(error('TABLE_OPTION_INVALID', 'unknown DDL option "babelFish": expected babelfish'));
    expect(() => createTableStatements('mssql', { babelfish: 'false' } as never)).toThrow(error('TABLE_OPTION_INVALID', 'DDL option babelfish must be true or false, got string'));
    expect(() => migrationPlan('postgres', { babelfish: true })).toThrow(
      error('TABLE_OPTION_INVALID', 'DDL option babelfish applies to the mssql dialect (Babelfish speaks T-SQL), not postgres'),
    );
    expect(() => createTableStatements('sqlite', null as never)).toThrow(error('TABLE_OPTION_INVALID', 'DDL options must be an object such as { babelfish: true }, got null'));
    // The options the generator and the sink pass are still taken.
    expect(createTableStatements('mssql', { babelfish: true }).join('\n')).not.toContain('IGNORE_DUP_KEY');
    expect(createTableStatements('postgres', { babelfish: false })).toEqual(createTableStatements('postgres'));
    expect(createTableStatements('sqlite', { babelfish: undefined })).toEqual(createTableStatements('sqlite'));
  });
});
