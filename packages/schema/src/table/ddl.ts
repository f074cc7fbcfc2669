import { AUDIT_TABLE_DEFS, type ColumnDef, type Dialect, type IndexDef } from './columns.js';
import { checkDialect, TableSqlError } from './table-sql-error.js';

/** Options of {@link createTableStatements}. */
export interface DdlOptions {
  /**
   * Babelfish for PostgreSQL (Aurora's SQL Server endpoint) rejects
   * `IGNORE_DUP_KEY` and mangles index names in `sys.indexes`, so this variant
   * omits the option and makes index creation idempotent with TRY/CATCH.
   */
  babelfish?: boolean | undefined;
}

/**
 * Checks `opts` of a DDL function: an object whose only key is `babelfish`,
 * a boolean (`"false"` is truthy, and `babelFish` would silently give real
 * SQL Server's DDL), and only with `mssql`, the dialect Babelfish speaks.
 */
function checkDdlOptions(dialect: Dialect, opts: unknown): asserts opts is DdlOptions {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new TableSqlError('TABLE_OPTION_INVALID', `DDL options must be an object such as { babelfish: true }, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  for (const key of Object.keys(opts)) {
    if (key !== 'babelfish') throw new TableSqlError('TABLE_OPTION_INVALID', `unknown DDL option ${JSON.stringify(key.slice(0, 64))}: expected babelfish`);
  }
  const { babelfish } = opts as { babelfish?: unknown };
  if (babelfish !== undefined && typeof babelfish !== 'boolean') {
    throw new TableSqlError('TABLE_OPTION_INVALID', `DDL option babelfish must be true or false, got ${typeof babelfish}`);
  }
  if (babelfish === true && dialect !== 'mssql') {
    throw new TableSqlError('TABLE_OPTION_INVALID', `DDL option babelfish applies to the mssql dialect (Babelfish speaks T-SQL), not ${dialect}`);
  }
}

/**
 * One column's definition as `CREATE TABLE` writes it (name, type,
 * nullability, default); also what a missing column is added with
 * (drift.ts).
 */
export function columnSql(c: ColumnDef, dialect: Dialect): string {
  checkDialect(dialect);
  let sql = `${c.name} ${c.type[dialect]}`;
  if (c.name === 'id') {
    sql += dialect === 'sqlite' ? ' PRIMARY KEY' : ' NOT NULL PRIMARY KEY';
    return sql;
  }
  sql += c.nullable ? ' NULL' : ' NOT NULL';
  const def = c.default?.[dialect];
  if (def) sql += ` DEFAULT ${def}`;
  return sql;
}

function tableSql(name: string, columns: readonly ColumnDef[], dialect: Dialect): string {
  const body = columns.map((c) => `  ${columnSql(c, dialect)}`).join(',\n');
  if (dialect === 'mssql') {
    return `IF OBJECT_ID(N'dbo.${name}', N'U') IS NULL\nCREATE TABLE dbo.${name} (\n${body}\n);`;
  }
  return `CREATE TABLE IF NOT EXISTS ${name} (\n${body}\n);`;
}

/** `CREATE INDEX` of `ix`, guarded (created only when missing, as migrate runs it) unless `guarded` is false. */
function indexSql(ix: IndexDef, table: string, dialect: Dialect, opts: DdlOptions, guarded = true): string {
  const unique = ix.unique ? 'UNIQUE ' : '';
  const cols = ix.columns.join(', ');
  if (dialect === 'mssql') {
    const include = ix.include ? ` INCLUDE (${ix.include.join(', ')})` : '';
    const where = ix.whereNotNull ? ` WHERE ${ix.whereNotNull} IS NOT NULL` : '';
    // IGNORE_DUP_KEY on the idempotency key is a second line of defence for
    // real SQL Server; the writer never relies on it (Babelfish rejects it).
    const withOpt = ix.unique && ix.columns.join() === 'event_id' && !opts.babelfish ? ' WITH (IGNORE_DUP_KEY = ON)' : '';
    const create = `CREATE ${unique}INDEX ${ix.name} ON dbo.${table} (${cols})${include}${where}${withOpt};`;
    if (!guarded) return create;
    if (opts.babelfish) {
      // Babelfish appends a hash to index names in sys.indexes, so existence
      // cannot be checked by name: try, and ignore "already exists" (1913).
      return `BEGIN TRY\n  ${create}\nEND TRY\nBEGIN CATCH\n  IF ERROR_NUMBER() <> 1913 AND ERROR_MESSAGE() NOT LIKE N'%already exists%' THROW;\nEND CATCH;`;
    }
    return `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'${ix.name}' AND object_id = OBJECT_ID(N'dbo.${table}'))\n${create}`;
  }
  // PostgreSQL 11+ supports INCLUDE; SQLite has no covering-index clause.
  const include = ix.include && dialect === 'postgres' ? ` INCLUDE (${ix.include.join(', ')})` : '';
  const where = ix.whereNotNull ? ` WHERE ${ix.whereNotNull} IS NOT NULL` : '';
  return `CREATE ${unique}INDEX ${guarded ? 'IF NOT EXISTS ' : ''}${ix.name.toLowerCase()} ON ${table} (${cols})${include}${where};`;
}

/**
 * `CREATE INDEX` of `ix` on `table` without the guard migrate runs it with
 * (`IF NOT EXISTS`, or on SQL Server a look in sys.indexes): what the drift
 * check names as the fix of a unique index that is missing (drift.ts), run
 * by an operator, who should see it fail when the name is taken.
 */
export function createIndexSql(dialect: Dialect, table: string, ix: IndexDef): string {
  checkDialect(dialect);
  return indexSql(ix, table, dialect, {}, false);
}

/** A nullable column that `migrate()` adds to a table made before the column existed. */
export interface AddableColumn {
  table: string;
  column: string;
  /** `ALTER TABLE ... ADD ...`: metadata only on all three engines (nullable, no default). */
  sql: string;
}

/**
 * How `migrate()` brings one table to this version's shape once every table
 * exists: add the columns in `addable` that it lacks (nullable without a
 * default, so adding one rewrites no row), then create its indexes, which
 * may name such a column. A table that lacks one of `required` (a table
 * another application made, or a view) is left as it is: an index may name
 * that column, and its CREATE then failed with the database's bare "no such
 * column" where the drift check after the DDL lists every column with its fix.
 */
export interface MigrationStep {
  table: string;
  addable: AddableColumn[];
  /** The table's other columns (NOT NULL, or with a default), which migrate cannot add. */
  required: string[];
  indexes: string[];
}

/**
 * How `migrate()` brings any tables to this version's shape: create the
 * tables that are missing, then one {@link MigrationStep} per table, the
 * events table first. That is the order in which the writer locks them
 * (each batch inserts events, then rejects): a migration that took the
 * rejects table first (ALTER TABLE) and then waited for the events table
 * (CREATE INDEX) while a batch held the events table and waited for the
 * rejects table was a deadlock, PostgreSQL aborting one of the two. Every
 * statement is safe to run again. Other differences are drift, reported,
 * never fixed behind the operator's back (drift.ts).
 */
export interface MigrationPlan {
  tables: string[];
  steps: MigrationStep[];
}

/** The {@link MigrationPlan} of one dialect. Throws {@link TableSqlError} for an unknown dialect or bad options. */
export function migrationPlan(dialect: Dialect, opts: DdlOptions = {}): MigrationPlan {
  checkDialect(dialect);
  checkDdlOptions(dialect, opts);
  return {
    tables: AUDIT_TABLE_DEFS.map((t) => tableSql(t.name, t.columns, dialect)),
    steps: AUDIT_TABLE_DEFS.map(({ name: table, columns, indexes }) => ({
      table,
      addable: columns.filter((c) => c.nullable && !c.default).map((c) => ({ table, column: c.name, sql: addColumnSql(dialect, table, c) })),
      required: columns.filter((c) => !c.nullable || c.default).map((c) => c.name),
      indexes: indexes.map((ix) => indexSql(ix, table, dialect, opts)),
    })),
  };
}

/** The statement that adds column `c` to `table`. */
export function addColumnSql(dialect: Dialect, table: string, c: ColumnDef): string {
  checkDialect(dialect);
  return dialect === 'mssql' ? `ALTER TABLE dbo.${table} ADD ${columnSql(c, dialect)};` : `ALTER TABLE ${table} ADD COLUMN ${columnSql(c, dialect)};`;
}

/**
 * The session settings a T-SQL script of {@link createTableStatements} sets
 * first, as their own batch. A filtered index (the unique indexes on
 * (chain_id, seq) and reject_key have a WHERE) can only be created with
 * QUOTED_IDENTIFIER and ANSI_NULLS ON, and sqlcmd, which connects through
 * ODBC, starts with QUOTED_IDENTIFIER OFF unless given `-I`: the file failed
 * there with Msg 1934 (found by a review). SET QUOTED_IDENTIFIER takes
 * effect at parse time, so it goes in a batch before the statements.
 * https://learn.microsoft.com/en-us/sql/t-sql/statements/create-index-transact-sql
 * ("Required SET options for filtered indexes"),
 * https://learn.microsoft.com/en-us/sql/t-sql/statements/set-quoted-identifier-transact-sql,
 * https://learn.microsoft.com/en-us/sql/tools/sqlcmd/sqlcmd-utility (`-I`).
 * Babelfish runs both too (ON is its only ANSI_NULLS setting; its
 * babelfishpg_tsql.quoted_identifier follows SET QUOTED_IDENTIFIER); not
 * tried here, no Babelfish runs on the CI machine.
 * The sink's migrate needs no such statement: tedious (under mssql) sets
 * both ON for every connection (its options `enableQuotedIdentifier` and
 * `enableAnsiNull`, default true).
 */
export const MSSQL_SESSION_SETTINGS: readonly string[] = ['SET ANSI_NULLS ON;', 'SET QUOTED_IDENTIFIER ON;'];

/**
 * The DDL of the events and rejects tables for one dialect, as a list of
 * statements, each safe to run again (idempotent): the tables, then their
 * indexes. `sql/<dialect>/` holds the same statements, generated from this
 * function and checked for drift in CI. A table made by an earlier version
 * may lack a column the indexes name: `migrate()` ({@link migrationPlan})
 * adds it first. Throws {@link TableSqlError} (`TABLE_DIALECT_UNKNOWN`,
 * `TABLE_OPTION_INVALID`) for a dialect other than mssql, postgres, sqlite,
 * or options other than `{ babelfish?: boolean }`.
 */
export function createTableStatements(dialect: Dialect, opts: DdlOptions = {}): string[] {
  const plan = migrationPlan(dialect, opts);
  return [...plan.tables, ...plan.steps.flatMap((step) => step.indexes)];
}
