import {
  COLUMNS,
  EVENTS_TABLE,
  INDEXES,
  REJECT_COLUMNS,
  REJECTS_TABLE,
  type ColumnDef,
  type Dialect,
  type IndexDef,
} from './columns.js';

/** Options of {@link createTableStatements}. */
export interface DdlOptions {
  /**
   * Babelfish for PostgreSQL (Aurora's SQL Server endpoint) rejects
   * `IGNORE_DUP_KEY` and mangles index names in `sys.indexes`, so this variant
   * omits the option and makes index creation idempotent with TRY/CATCH.
   */
  babelfish?: boolean;
}

/**
 * One column's definition as `CREATE TABLE` writes it (name, type,
 * nullability, default); also what a missing column is added with
 * (drift.ts).
 */
export function columnSql(c: ColumnDef, dialect: Dialect): string {
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

function indexSql(ix: IndexDef, dialect: Dialect, opts: DdlOptions): string {
  const unique = ix.unique ? 'UNIQUE ' : '';
  const cols = ix.columns.join(', ');
  if (dialect === 'mssql') {
    const include = ix.include ? ` INCLUDE (${ix.include.join(', ')})` : '';
    const where = ix.whereNotNull ? ` WHERE ${ix.whereNotNull} IS NOT NULL` : '';
    // IGNORE_DUP_KEY on the idempotency key is a second line of defence for
    // real SQL Server; the writer never relies on it (Babelfish rejects it).
    const withOpt = ix.unique && ix.columns.join() === 'event_id' && !opts.babelfish ? ' WITH (IGNORE_DUP_KEY = ON)' : '';
    const create = `CREATE ${unique}INDEX ${ix.name} ON dbo.${EVENTS_TABLE} (${cols})${include}${where}${withOpt};`;
    if (opts.babelfish) {
      // Babelfish appends a hash to index names in sys.indexes, so existence
      // cannot be checked by name: try, and ignore "already exists" (1913).
      return `BEGIN TRY\n  ${create}\nEND TRY\nBEGIN CATCH\n  IF ERROR_NUMBER() <> 1913 AND ERROR_MESSAGE() NOT LIKE N'%already exists%' THROW;\nEND CATCH;`;
    }
    return `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'${ix.name}' AND object_id = OBJECT_ID(N'dbo.${EVENTS_TABLE}'))\n${create}`;
  }
  // PostgreSQL 11+ supports INCLUDE; SQLite has no covering-index clause.
  const include = ix.include && dialect === 'postgres' ? ` INCLUDE (${ix.include.join(', ')})` : '';
  const where = ix.whereNotNull ? ` WHERE ${ix.whereNotNull} IS NOT NULL` : '';
  return `CREATE ${unique}INDEX IF NOT EXISTS ${ix.name.toLowerCase()} ON ${EVENTS_TABLE} (${cols})${include}${where};`;
}

/**
 * The DDL of the events and rejects tables for one dialect, as a list of
 * statements, each safe to run again (idempotent). `sql/<dialect>/` holds the
 * same statements, generated from this function and checked for drift in CI.
 */
export function createTableStatements(dialect: Dialect, opts: DdlOptions = {}): string[] {
  return [
    tableSql(EVENTS_TABLE, COLUMNS, dialect),
    ...INDEXES.map((ix) => indexSql(ix, dialect, opts)),
    tableSql(REJECTS_TABLE, REJECT_COLUMNS, dialect),
    dialect === 'mssql'
      ? indexSql({ name: 'IX_security_audit_rejects_received', columns: ['received_at'], description: '' }, dialect, opts).replace(
          new RegExp(`dbo\\.${EVENTS_TABLE}`, 'g'),
          `dbo.${REJECTS_TABLE}`,
        )
      : `CREATE INDEX IF NOT EXISTS ix_security_audit_rejects_received ON ${REJECTS_TABLE} (received_at);`,
  ];
}
