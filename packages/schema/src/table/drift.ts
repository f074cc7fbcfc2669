import { AUDIT_TABLE_DEFS, type ColumnDef, type Dialect } from './columns.js';
import { addColumnSql } from './ddl.js';
import { checkDialect, type TableSqlError } from './table-sql-error.js';

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
}

/**
 * A column of an existing table that cannot hold what this version writes,
 * and the statement that fixes it.
 */
export interface ColumnDrift {
  table: string;
  column: string;
  /** The type this version's DDL declares. */
  expected: string;
  /** The type found, or undefined when the column is missing. */
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
 * Compares the audit tables as they exist with the columns this version
 * writes, and lists every column that cannot hold them: missing, of another
 * type, narrower (`INT` where `BIGINT` is declared, `VARCHAR(64)` where
 * `VARCHAR(256)` is), single-byte text on SQL Server where the DDL declares
 * `NVARCHAR`, or `NOT NULL` where the writer may leave it empty. Wider
 * columns and columns of its own that an operator added are accepted.
 *
 * Why: `CREATE TABLE IF NOT EXISTS` leaves a table made by an earlier
 * version as it is, and a column too narrow for a valid event makes the
 * database refuse it (a gap in its chain) or, on SQL Server, silently
 * replace characters. `migrate()` calls this after the DDL and refuses to
 * report success while anything is listed. Throws {@link TableSqlError}
 * `TABLE_DIALECT_UNKNOWN` for an unknown dialect.
 */
export function tableDrift(dialect: Dialect, found: readonly FoundColumn[]): ColumnDrift[] {
  checkDialect(dialect);
  const out: ColumnDrift[] = [];
  for (const { name: table, columns } of AUDIT_TABLE_DEFS) {
    // Catalogs fold unquoted names differently (PostgreSQL to lower case, SQL Server keeps them): compare without case.
    const existing = new Map(found.filter((f) => f.table.toLowerCase() === table).map((f) => [f.name.toLowerCase(), f]));
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
  }
  return out;
}
