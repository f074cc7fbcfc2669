import type { Dialect, IndexDef } from './columns.js';
import { createIndexSql } from './ddl.js';
import type { ColumnDrift } from './drift.js';

/**
 * An index of an existing audit table as the database's catalog describes
 * it (pg_index, sys.indexes, SQLite's index_list): what the drift check
 * compares with the unique indexes this version's writer relies on.
 */
export interface FoundIndex {
  table: string;
  name: string;
  unique: boolean;
  /** Its key columns in order (not INCLUDE columns; an expression as the catalog spells it). */
  columns: string[];
  /** The predicate of a partial (filtered) index, as the catalog spells it; undefined for an index of every row. */
  where?: string | undefined;
  /**
   * False where the catalog cannot say whether an index is partial:
   * Babelfish's sys.indexes answers has_filter 0 and filter_definition NULL
   * for every index (babelfish_extensions, sys_views.sql). The predicate is
   * then not compared.
   */
  whereKnown?: boolean | undefined;
  /**
   * False for an index the database keeps in its catalog but the writer
   * cannot rely on: PostgreSQL's `indisvalid` false (a `CREATE UNIQUE INDEX
   * CONCURRENTLY` that failed, on duplicates say, leaves one under its name;
   * it may still check new rows, but `ON CONFLICT` does not infer it, and the
   * rows already stored were never checked against it), SQL Server's
   * `is_disabled` (`ALTER INDEX ... DISABLE`: it enforces nothing) or
   * `is_hypothetical` (statistics only). Undefined: in use.
   */
  usable?: boolean | undefined;
}

/** A predicate reduced to what its spellings share: PostgreSQL's `(chain_id IS NOT NULL)`, SQL Server's `([chain_id] IS NOT NULL)`, SQLite's text as written. */
const normWhere = (where: string | undefined) => (where === undefined ? '' : where.toLowerCase().replace(/[[\]"`()]/g, ' ').replace(/\s+/g, ' ').trim());

const sameColumns = (a: readonly string[], b: readonly string[]) => {
  const key = (cols: readonly string[]) => cols.map((c) => c.toLowerCase()).sort().join('\u0000');
  return key(a) === key(b);
};

/** The predicate the DDL gives `ix`, or undefined for an index of every row. */
const declaredWhere = (ix: IndexDef) => (ix.whereNotNull ? `${ix.whereNotNull} IS NOT NULL` : undefined);

/** An index's shape as the listing shows it: `UNIQUE (chain_id, seq) WHERE chain_id IS NOT NULL`, `INDEX (event_id)`. */
const shape = (unique: boolean, columns: readonly string[], where: string | undefined) => `${unique ? 'UNIQUE' : 'INDEX'} (${columns.join(', ')})${where === undefined ? '' : ` WHERE ${where}`}`;

/**
 * Whether `f` does what the writer needs of `ix`: unique on the same
 * columns (in any order: uniqueness and SQLite's and PostgreSQL's conflict
 * targets are sets), over the same rows. A partial index where the DDL has
 * none lets a duplicate outside it in; a full one where the DDL has a
 * filter makes SQL Server, which counts NULLs as equal in a unique index,
 * refuse the second unchained event (chain_id NULL).
 */
function holds(ix: IndexDef, f: FoundIndex): boolean {
  if (f.usable === false || !f.unique || !sameColumns(f.columns, ix.columns)) return false;
  return f.whereKnown === false || normWhere(f.where) === normWhere(declaredWhere(ix));
}

/** How `f`, the index that has the name of `ix`, differs from it, in words. */
function differences(ix: IndexDef, f: FoundIndex): string[] {
  const out: string[] = [];
  if (f.usable === false) out.push('not in use (invalid: a CREATE INDEX CONCURRENTLY that failed; or disabled, or hypothetical), so the writer cannot rely on it (ON CONFLICT does not use it)');
  if (!f.unique) out.push('not unique');
  if (!sameColumns(f.columns, ix.columns)) out.push(`on (${f.columns.join(', ')}), not (${ix.columns.join(', ')})`);
  const want = declaredWhere(ix);
  if (f.whereKnown !== false && normWhere(f.where) !== normWhere(want)) {
    out.push(f.where === undefined ? `of every row, not partial (WHERE ${want})` : want === undefined ? `partial (WHERE ${f.where}): rows outside it may repeat the key` : `partial WHERE ${f.where}, not WHERE ${want}`);
  }
  return out;
}

/**
 * The unique indexes of one audit table (`declared`, its IndexDefs) that no
 * index found on it (`found`) provides, each with its fix. Why: the DDL
 * creates an index only when its name is free (`CREATE UNIQUE INDEX IF NOT
 * EXISTS`, on SQL Server a look in sys.indexes), so a plain index of that
 * name (made by an operator or another tool), one the writer cannot rely
 * on ({@link FoundIndex.usable}), or the name taken by another
 * table's index (one of a renamed table, on PostgreSQL and SQLite, where
 * index names are per schema), passed migrate, and idempotency was gone:
 * PostgreSQL's `ON CONFLICT DO NOTHING` stored a resent event twice, SQLite's
 * `ON CONFLICT(event_id)` failed every write ("does not match any PRIMARY
 * KEY or UNIQUE constraint"), and on SQL Server two writers racing could
 * both insert it (found by a probe). Indexes that only speed reads up are
 * not compared.
 *
 * The fix drops the index of that name on the table (SQL Server: `DROP
 * INDEX IF EXISTS`, names being per table there and mangled in Babelfish's
 * catalog), after which migrate creates it as declared; where no index on
 * the table has the name, it is the `CREATE UNIQUE INDEX` itself, which
 * fails, naming it, when another table's index holds the name.
 */
export function uniqueIndexDrift(dialect: Dialect, table: string, declared: readonly IndexDef[], found: readonly FoundIndex[]): ColumnDrift[] {
  const out: ColumnDrift[] = [];
  for (const ix of declared) {
    if (!ix.unique || found.some((f) => holds(ix, f))) continue;
    const name = dialect === 'mssql' ? ix.name : ix.name.toLowerCase();
    const expected = shape(true, ix.columns, declaredWhere(ix));
    const named = found.find((f) => f.name.toLowerCase() === ix.name.toLowerCase());
    const relied = `the writer relies on it (${ix.description.replace(/\.$/, '')})`;
    const problem = named
      ? `${differences(ix, named).join(', ')}: found ${shape(named.unique, named.columns, named.where)}, expected ${expected}; ${relied}`
      : `missing: no ${expected}; ${relied}${dialect === 'mssql' ? '' : `; if its name is taken by another table's index (a renamed table keeps its indexes' names), which the DDL took for this one, drop or rename that index first`}`;
    const fix = dialect === 'mssql' ? `DROP INDEX IF EXISTS ${name} ON dbo.${table};` : named ? `DROP INDEX ${name};` : createIndexSql(dialect, table, ix);
    out.push({ table, column: name, kind: 'index', expected, found: named && shape(named.unique, named.columns, named.where), problem, fix });
  }
  return out;
}
