import { AUDIT_TABLE_DEFS, EVENTS_TABLE, type ColumnDef, type Dialect } from './columns.js';
import { addColumnSql } from './ddl.js';
import { uniqueIndexDrift, type FoundIndex } from './index-drift.js';
import { checkDialect, type TableSqlError } from './table-sql-error.js';

export type { FoundIndex } from './index-drift.js';

/**
 * A column of an existing table as the database describes it: the type as
 * its catalog spells it (`format_type()` on PostgreSQL, `DATA_TYPE` with its
 * length on SQL Server, the declared type on SQLite).
 */
export interface FoundColumn {
  table: string;
  name: string;
  type: string;
  nullable: boolean;
  /**
   * Whether the database may fill the column when an INSERT leaves it out:
   * a default, an identity, SQLite's rowid, a generated or computed column,
   * or a trigger of the table that runs before the row is stored
   * (PostgreSQL BEFORE INSERT, SQL Server INSTEAD OF), which may set it.
   * Undefined when the catalog was not asked (the column is then taken as
   * filled).
   */
  hasDefault?: boolean | undefined;
  /** True when the name belongs to a view, not a table (the columns are the view's). */
  view?: boolean | undefined;
}

/** The audit tables as an adapter found them in the catalog: their columns and their indexes. */
export interface FoundTables {
  columns: FoundColumn[];
  indexes: FoundIndex[];
}

/**
 * What in an existing table cannot hold what this version writes, and the
 * statement that fixes it: a column (no `kind`), one of the unique indexes
 * the writer relies on (`kind` 'index', `column` its name), or the table's
 * name held by a view (`kind` 'view', `column` empty).
 */
export interface ColumnDrift {
  table: string;
  column: string;
  /** What the entry is about when it is not a column. */
  kind?: 'index' | 'view' | undefined;
  /** The type this version's DDL declares (for an index its shape, for a view `TABLE`). */
  expected: string;
  /** The type found, or undefined when the column (the index) is missing. */
  found: string | undefined;
  /** What is wrong, in words (e.g. "missing", "narrower: found integer, expected BIGINT"). */
  problem: string;
  /**
   * The statement that fixes it (run once, by an operator: on a large table
   * it rewrites every row under an exclusive lock), or, on SQLite, which has
   * no `ALTER COLUMN`, a comment saying so.
   */
  fix: string;
}

/** A SQL type reduced to what decides whether it holds a value: its kind, its size, and for text whether it is Unicode. */
interface TypeShape {
  kind: 'int' | 'text' | 'uuid' | 'timestamp' | 'other';
  /** Bytes for integers, characters for text (Infinity when unbounded), fraction digits for timestamps. */
  size: number;
  unicode: boolean;
  /** Timestamps: with time zone. */
  tz: boolean;
  /** The type, normalised (lower case, single spaces, no identity clause): compared as is for `other`. */
  norm: string;
}

const INT_BYTES: Record<string, number> = { tinyint: 1, smallint: 2, int2: 2, int: 4, integer: 4, int4: 4, bigint: 8, int8: 8 };

/** A type without what may follow it in DDL (`IDENTITY(1,1)`, `GENERATED ALWAYS AS IDENTITY`), in any case. */
const withoutIdentity = (type: string) => type.replace(/ (identity|generated)\b.*$/i, '');

/** The number in parentheses, `max` as Infinity, or `fallback` when there is none. */
function sizeOf(type: string, fallback: number): number {
  const m = /\(\s*(\d+|max)\s*\)/.exec(type);
  if (!m) return fallback;
  return m[1] === 'max' ? Infinity : Number(m[1]);
}

/**
 * SQLite's column affinity, the only thing a declared type decides there
 * (https://www.sqlite.org/datatype3.html §3.1): INT anywhere makes INTEGER,
 * then CHAR, CLOB or TEXT make TEXT, then BLOB or no type make BLOB.
 */
function sqliteShape(norm: string): TypeShape {
  const shape = (kind: TypeShape['kind']): TypeShape => ({ kind, size: Infinity, unicode: true, tz: true, norm });
  if (norm.includes('int')) return { ...shape('int'), size: 8 };
  if (/char|clob|text/.test(norm)) return shape('text');
  if (norm === '' || norm.includes('blob')) return { ...shape('other'), norm: 'blob' };
  if (/real|floa|doub/.test(norm)) return { ...shape('other'), norm: 'real' };
  return { ...shape('other'), norm: 'numeric' };
}

/** Reduces a type, as DDL or a catalog spells it, to its {@link TypeShape}. */
function shapeOf(dialect: Dialect, type: string): TypeShape {
  const norm = withoutIdentity(type.toLowerCase().trim().replace(/\s+/g, ' '));
  if (dialect === 'sqlite') return sqliteShape(norm);
  const base = norm.replace(/\s*\(.*?\)/, '');
  const shape = (kind: TypeShape['kind'], size = 0, unicode = true, tz = false): TypeShape => ({ kind, size, unicode, tz, norm });
  if (base in INT_BYTES) return shape('int', INT_BYTES[base]);
  if (base === 'uuid' || base === 'uniqueidentifier') return shape('uuid');
  if (base === 'text' || base === 'ntext') return shape('text', Infinity);
  const text = /^(n?)(varchar|char|character varying|character|bpchar)$/.exec(base);
  if (text) {
    // SQL Server: VARCHAR/CHAR are single-byte (the column's code page), NVARCHAR/NCHAR Unicode; PostgreSQL text is always Unicode.
    const unicode = dialect === 'postgres' || text[1] === 'n';
    // Without a length, PostgreSQL's varchar is unbounded; a char, and SQL Server's varchar in DDL, hold one character.
    const unbounded = dialect === 'postgres' && (text[2] === 'varchar' || text[2] === 'character varying');
    return shape('text', sizeOf(norm, unbounded ? Infinity : 1), unicode);
  }
  // PostgreSQL spells it `timestamp(3) with time zone` or `timestamptz(3)`; 6 fraction digits when unsaid, SQL Server's datetime2 7.
  if (base.startsWith('timestamp')) return shape('timestamp', sizeOf(norm, 6), true, base === 'timestamptz' || norm.includes('with time zone'));
  if (base === 'datetime2') return shape('timestamp', sizeOf(norm, 7));
  if (base === 'datetimeoffset') return shape('timestamp', sizeOf(norm, 7), true, true);
  return shape('other');
}

/** Why `found` cannot hold what `expected` holds, or undefined when it can. */
function typeProblem(dialect: Dialect, expected: string, found: string): string | undefined {
  const e = shapeOf(dialect, expected);
  const f = shapeOf(dialect, found);
  const is = `found ${found}, expected ${expected}`;
  if (e.kind !== f.kind || (e.kind === 'other' && e.norm !== f.norm)) return `different type: ${is}`;
  if (e.kind === 'timestamp' && e.tz !== f.tz) return `different type: ${is}`;
  if (f.size < e.size) return `narrower: ${is}`;
  if (e.unicode && !f.unicode) return `not Unicode: ${is} (characters outside the column's code page are stored as ?)`;
  return undefined;
}

/** The type the DDL declares for `c`, without its identity clause. */
const declaredType = (c: ColumnDef, dialect: Dialect) => withoutIdentity(c.type[dialect]);

/** The statement that makes an existing column `c` what the DDL declares. */
function alterSql(dialect: Dialect, table: string, c: ColumnDef, found: FoundColumn, typeWrong: boolean): string {
  const type = declaredType(c, dialect);
  if (dialect === 'mssql') return `ALTER TABLE dbo.${table} ALTER COLUMN ${c.name} ${type} ${c.nullable ? 'NULL' : 'NOT NULL'};`;
  if (dialect === 'postgres') {
    // A `timestamp` without time zone that the sink writes (event_timestamp) holds the UTC wall
    // time it sent (PostgreSQL drops the literal's Z), and its cast to timestamptz reads it in the
    // session's TimeZone: run as it was, the statement shifted every stored time by that zone's
    // offset wherever TimeZone is not UTC (initdb sets it to the host's zone; found by a probe).
    // AT TIME ZONE 'UTC' reads it as UTC (PostgreSQL docs, "AT TIME ZONE"). A column the database
    // fills (ingested_at, received_at: DEFAULT now()) holds the wall time of the writer's session
    // TimeZone instead, the database's default: the plain cast, run in that same TimeZone, reads
    // it back; read as UTC it moved by the offset (behind UTC: every event "future-dated").
    const f = shapeOf(dialect, found.type);
    const sinkWritten = c.from !== undefined;
    const using = sinkWritten && f.kind === 'timestamp' && !f.tz && shapeOf(dialect, type).tz ? ` USING ${c.name} AT TIME ZONE 'UTC'` : '';
    const parts = [...(typeWrong ? [`ALTER COLUMN ${c.name} TYPE ${type}${using}`] : []), ...(c.nullable && !found.nullable ? [`ALTER COLUMN ${c.name} DROP NOT NULL`] : [])];
    return `ALTER TABLE ${table} ${parts.join(', ')};`;
  }
  return `-- SQLite cannot alter ${table}.${c.name}: create a new table with the current DDL (sql/sqlite/) and copy the rows into it`;
}

/**
 * The entry of an audit table whose name a view holds. Its columns were
 * listed as missing, each with an `ALTER TABLE ... ADD COLUMN` that fails on
 * a view; nothing else about it matters until it is a table. The sink has
 * no option naming other tables, so the view has to make room.
 */
function viewDrift(dialect: Dialect, table: string): ColumnDrift {
  const fix = {
    postgres: `ALTER VIEW ${table} RENAME TO ${table}_view;`,
    mssql: `EXEC sp_rename N'dbo.${table}', N'${table}_view';`,
    sqlite: `-- SQLite cannot rename a view: keep its definition (SELECT sql FROM sqlite_master WHERE name = '${table}') to create it again under another name, then DROP VIEW ${table};`,
  }[dialect];
  const problem =
    'a view, not a table: the sink inserts into it and needs its columns and unique indexes, which a view cannot be given (ALTER TABLE and CREATE INDEX fail on it); ' +
    'the table names are fixed (no option names others): rename the view or drop it, and migrate again, which creates the table';
  return { table, column: '', kind: 'view', expected: 'TABLE', found: 'VIEW', problem, fix };
}

/**
 * The entry of a column the writer does not write that is `NOT NULL`
 * without a default (an operator's own): the database refuses every row
 * the sink inserts. Found by a probe: each event became a DB_REFUSED reject
 * and `audit-trail ingest` exited 0 with nothing stored.
 */
function unfilledDrift(dialect: Dialect, table: string, f: FoundColumn): ColumnDrift {
  const fix = {
    postgres: `ALTER TABLE ${table} ALTER COLUMN ${f.name} DROP NOT NULL; -- or give it a default: ALTER TABLE ${table} ALTER COLUMN ${f.name} SET DEFAULT <value>;`,
    // Not a runnable ALTER COLUMN: it restates the type, which the catalog's DATA_TYPE does not spell in full (a decimal's precision).
    mssql: `-- allow NULL in ${table}.${f.name} (ALTER TABLE dbo.${table} ALTER COLUMN ${f.name} <its type> NULL;) or give it a default (ALTER TABLE dbo.${table} ADD DEFAULT <value> FOR ${f.name};)`,
    sqlite: `-- SQLite cannot alter ${table}.${f.name}: drop it (ALTER TABLE ${table} DROP COLUMN ${f.name};) or create a new table where it allows NULL or has a default, and copy the rows into it`,
  }[dialect];
  const refused = table === EVENTS_TABLE ? 'every event would be refused into the rejects table' : 'no refused input could be stored';
  return { table, column: f.name, expected: 'NULL, or NOT NULL with a default', found: `${f.type} NOT NULL`, problem: `NOT NULL without a default, and not a column this version writes: the database refuses every row the sink inserts (${refused})`, fix };
}

/**
 * Compares the audit tables as they exist with the columns this version
 * writes, and lists every column that cannot hold them: missing, of another
 * type, narrower (`INT` where `BIGINT` is declared, `VARCHAR(64)` where
 * `VARCHAR(256)` is), single-byte text on SQL Server where the DDL declares
 * `NVARCHAR`, or `NOT NULL` where the writer may leave it empty. Wider
 * columns and columns of its own that an operator added are accepted,
 * unless such a column is `NOT NULL` without a default (`hasDefault`
 * false): no insert could then succeed. With `indexes`, the unique indexes
 * the writer relies on (idempotency, one record per chain position) are
 * compared too (index-drift.ts); without, they are not. A table whose name
 * a view holds is one entry, saying so.
 *
 * Why: `CREATE TABLE IF NOT EXISTS` leaves a table made by an earlier
 * version as it is, and a column too narrow for a valid event makes the
 * database refuse it (a gap in its chain) or, on SQL Server, silently
 * replace characters. `migrate()` calls this after the DDL and refuses to
 * report success while anything is listed. Throws {@link TableSqlError}
 * `TABLE_DIALECT_UNKNOWN` for an unknown dialect.
 */
export function tableDrift(dialect: Dialect, found: readonly FoundColumn[], indexes?: readonly FoundIndex[]): ColumnDrift[] {
  checkDialect(dialect);
  const out: ColumnDrift[] = [];
  for (const { name: table, columns, indexes: declaredIndexes } of AUDIT_TABLE_DEFS) {
    // Catalogs fold unquoted names differently (PostgreSQL to lower case, SQL Server keeps them): compare without case.
    const own = found.filter((f) => f.table.toLowerCase() === table);
    if (own.some((f) => f.view)) {
      out.push(viewDrift(dialect, table));
      continue;
    }
    const existing = new Map(own.map((f) => [f.name.toLowerCase(), f]));
    for (const c of columns) {
      const expected = declaredType(c, dialect);
      const f = existing.get(c.name);
      if (!f) {
        // SQLite adds a NOT NULL column only with a default (https://www.sqlite.org/lang_altertable.html#altertabaddcol).
        const fix =
          dialect === 'sqlite' && !c.nullable && !c.default?.sqlite
            ? `-- SQLite cannot add the NOT NULL column ${table}.${c.name} to an existing table: create a new table with the current DDL (sql/sqlite/) and copy the rows into it`
            : addColumnSql(dialect, table, c);
        out.push({ table, column: c.name, expected, found: undefined, problem: 'missing', fix });
        continue;
      }
      const wrongType = typeProblem(dialect, expected, f.type);
      const wrongNull = c.nullable && !f.nullable ? `NOT NULL, but the writer leaves it empty when the event has no value` : undefined;
      if (!wrongType && !wrongNull) continue;
      out.push({ table, column: c.name, expected, found: f.type, problem: [wrongType, wrongNull].filter(Boolean).join('; '), fix: alterSql(dialect, table, c, f, wrongType !== undefined) });
    }
    const declared = new Set(columns.map((c) => c.name));
    for (const f of own) if (!declared.has(f.name.toLowerCase()) && !f.nullable && f.hasDefault === false) out.push(unfilledDrift(dialect, table, f));
    // An index naming a column the table lacks is not there to compare: that column's entry says what to do first.
    if (indexes !== undefined && own.length > 0) {
      const comparable = declaredIndexes.filter((ix) => ix.columns.every((c) => existing.has(c)));
      out.push(...uniqueIndexDrift(dialect, table, comparable, indexes.filter((ix) => ix.table.toLowerCase() === table)));
    }
  }
  return out;
}
