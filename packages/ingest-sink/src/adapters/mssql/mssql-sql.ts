import { EVENTS_TABLE, INSERT_COLUMNS, REJECT_COLUMNS, REJECTS_TABLE, type FoundColumn, type FoundIndex } from '@audit-trail/schema';
import { AUDIT_TABLES } from '../check-drift.js';
import type { MssqlDriver, MssqlType } from './mssql-driver.js';

/**
 * Parameters one parameterised request may bind: 2098. SQL Server takes at
 * most 2100 per request (error 8003; Microsoft docs ms189260), and tedious
 * sends a parameterised query as a call of sp_executesql, whose own
 * @statement and @params are two of them (tedious lib/connection.js
 * execSql). This said 2099, "with one spare": a request of 2099 fails
 * (dotnet/SqlClient issue 531, the same sp_executesql call; found by a probe).
 */
export const MAX_PARAMS = 2098;
/** Rows per `INSERT ... VALUES` (error 10738 above 1000). */
export const MAX_VALUES_ROWS = 1000;
/** Staging table: a session temp table, so concurrent sinks never share it. */
export const STAGE = '#audit_stage';

/**
 * Rows per multi-row INSERT for a table of `columns` columns: min(1000,
 * floor(2098 / columns)). Throws a RangeError for a row wider than
 * {@link MAX_PARAMS}, which no request can carry.
 */
export function rowsPerInsert(columns: number): number {
  if (!Number.isSafeInteger(columns) || columns < 1 || columns > MAX_PARAMS) throw new RangeError(`a row of ${columns} columns cannot be bound within ${MAX_PARAMS} parameters`);
  return Math.min(MAX_VALUES_ROWS, Math.floor(MAX_PARAMS / columns));
}

/** Staging columns: `ord` (position in the batch) plus every insert column, all nullable except ord. */
export const STAGE_COLUMNS: { name: string; type: string; nullable: boolean }[] = [
  { name: 'ord', type: 'INT', nullable: false },
  ...INSERT_COLUMNS.map((c) => ({ name: c.name, type: c.type.mssql, nullable: c.nullable })),
];

/** Maps a column's SQL Server type text (from @audit-trail/schema COLUMNS) to the driver type, exactly (bulk needs an exact match). */
export function driverType(sql: MssqlDriver, type: string): MssqlType {
  const m = /^(\w+)(?:\((\w+)\))?$/.exec(type.trim());
  if (!m) throw new Error(`unsupported SQL Server type ${type}`);
  const [, base, arg] = m;
  const len = arg === undefined ? undefined : arg.toUpperCase() === 'MAX' ? sql.MAX : Number(arg);
  const plain = (t: MssqlType | (() => MssqlType)) => (typeof t === 'function' ? t() : t);
  switch (base!.toUpperCase()) {
    case 'NVARCHAR':
      return sql.NVarChar(len);
    case 'VARCHAR':
      return sql.VarChar(len);
    case 'CHAR':
      return sql.Char(len);
    case 'DATETIME2':
      return sql.DateTime2(len);
    case 'BIGINT':
      return plain(sql.BigInt);
    case 'SMALLINT':
      return plain(sql.SmallInt);
    case 'INT':
      return plain(sql.Int);
    default:
      throw new Error(`unsupported SQL Server type ${type}`);
  }
}

/**
 * `type` as a staging (#temp) column declares it: a character type gets
 * `COLLATE DATABASE_DEFAULT`. A #temp table lives in tempdb, whose columns
 * otherwise take tempdb's collation (the server's), and comparing them with
 * the audit tables' columns (the database's collation) fails with Msg 468
 * ("Cannot resolve the collation conflict") wherever the two differ; found by
 * a review. `database_default` makes a temp table's column use the current
 * user database's collation instead:
 * https://learn.microsoft.com/en-us/sql/relational-databases/collations/set-or-change-the-column-collation
 * (section "Collations and tempdb") and
 * https://learn.microsoft.com/en-us/sql/t-sql/statements/collations.
 * Babelfish accepts it too (it resolves it to its server collation since
 * babelfish_extensions PR 768, 2022); not tried here, no Babelfish runs on the
 * CI machine.
 */
export function stageColumnType(type: string): string {
  return /^N?(VAR)?CHAR\b/i.test(type.trim()) ? `${type} COLLATE DATABASE_DEFAULT` : type;
}

/**
 * Creates the staging table for one batch, dropping a leftover of this
 * session first (`DROP TABLE IF EXISTS`: SQL Server 2016+ and Babelfish).
 * Character columns take the database's collation ({@link stageColumnType}).
 */
export const CREATE_STAGE = `DROP TABLE IF EXISTS ${STAGE};
CREATE TABLE ${STAGE} (
${STAGE_COLUMNS.map((c) => `  ${c.name} ${stageColumnType(c.type)} ${c.nullable ? 'NULL' : 'NOT NULL'}`).join(',\n')}
);`;

export const DROP_STAGE = `DROP TABLE ${STAGE};`;

const cols = INSERT_COLUMNS.map((c) => c.name).join(', ');

/** Staged rows whose (chain_id, seq) a different stored event_id holds: chain position conflicts. */
export const SELECT_CONFLICTS = `SELECT s.ord AS ord, e.event_id AS held_by
FROM ${STAGE} s JOIN dbo.${EVENTS_TABLE} e ON e.chain_id = s.chain_id AND e.seq = s.seq
WHERE s.chain_id IS NOT NULL AND e.event_id <> s.event_id;`;

/**
 * Staged rows whose event_id is stored, with the event it holds: a duplicate
 * or an event_id conflict (adapter.ts isSameEvent decides). Compared in
 * JavaScript, not in SQL: `=` on NVARCHAR follows the column's collation,
 * which is case-insensitive by default and ignores trailing spaces.
 */
export const SELECT_STORED = `SELECT s.ord AS ord, e.event_json AS stored_json
FROM ${STAGE} s JOIN dbo.${EVENTS_TABLE} e ON e.event_id = s.event_id;`;

/**
 * The idempotent insert: no IGNORE_DUP_KEY and no MERGE (Babelfish supports
 * neither; ../shared/reference/sqlserver-compat.md), just NOT EXISTS on both
 * unique keys (each round is unique on both: dedupe-batch.ts). The count of
 * rows it inserted is selected (`went`), not taken from the driver's row
 * counts: a server or login with NOCOUNT on sends none, and a trigger on the
 * table adds its own (found by a review). `ORDER BY s.ord` gives the rows
 * their identity ids in the batch's order, as the other dialects do (reports
 * break ties of event_timestamp by id): SQL Server guarantees how identity
 * values are computed for INSERT ... SELECT ... ORDER BY, and for nothing
 * else (https://learn.microsoft.com/en-us/sql/t-sql/statements/insert-transact-sql,
 * "Limitations and restrictions"; found by a probe).
 */
export const INSERT_FROM_STAGE = `INSERT INTO dbo.${EVENTS_TABLE} (${cols})
SELECT ${INSERT_COLUMNS.map((c) => `s.${c.name}`).join(', ')} FROM ${STAGE} s
WHERE NOT EXISTS (SELECT 1 FROM dbo.${EVENTS_TABLE} e WHERE e.event_id = s.event_id)
  AND NOT (s.chain_id IS NOT NULL AND EXISTS (SELECT 1 FROM dbo.${EVENTS_TABLE} e WHERE e.chain_id = s.chain_id AND e.seq = s.seq)) ORDER BY s.ord;
SELECT @@ROWCOUNT AS went;`;

/** Multi-row parameterised INSERT of `rows` rows into `table` (`columns` names), parameters named p0, p1, ... */
export function valuesInsert(table: string, columns: readonly string[], rows: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${columns.map((_, c) => `@p${r * columns.length + c}`).join(', ')})`);
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')};`;
}

/** Columns of a reject row the writer supplies. */
export const REJECT_INSERT_COLUMNS = ['source', 'reason', 'raw_payload', 'reject_key'] as const;

/** Staging table of a batch's rejects (a session temp table, like {@link STAGE}). */
export const REJECT_STAGE = '#audit_reject_stage';

/**
 * Creates {@link REJECT_STAGE} with the rejects table's types for
 * {@link REJECT_INSERT_COLUMNS}, in the database's collation
 * ({@link stageColumnType}: its reject_key is compared with the table's),
 * dropping a leftover of this session first.
 */
export const CREATE_REJECT_STAGE = `DROP TABLE IF EXISTS ${REJECT_STAGE};
CREATE TABLE ${REJECT_STAGE} (
${REJECT_INSERT_COLUMNS.map((n) => `  ${n} ${stageColumnType(REJECT_COLUMNS.find((c) => c.name === n)!.type.mssql)} NULL`).join(',\n')}
);`;

/**
 * Moves the staged rejects into the rejects table, skipping a refusal whose
 * reject_key is stored: NOT EXISTS, as for events (no IGNORE_DUP_KEY, no
 * MERGE: Babelfish). The batch's rejects are unique by key (dedupeBatch).
 * The count of rows moved is selected (`went`) right after the INSERT, as
 * {@link INSERT_FROM_STAGE} does: with NOCOUNT on (server option `user
 * options` or the login's) the driver's row counts are empty, and the
 * rejects stored were counted 0 (found by a review). @@ROWCOUNT is read
 * before DROP TABLE, which resets it:
 * https://learn.microsoft.com/en-us/sql/t-sql/functions/rowcount-transact-sql
 */
export const INSERT_REJECTS_FROM_STAGE = `INSERT INTO dbo.${REJECTS_TABLE} (${REJECT_INSERT_COLUMNS.join(', ')})
SELECT ${REJECT_INSERT_COLUMNS.map((n) => `s.${n}`).join(', ')} FROM ${REJECT_STAGE} s
WHERE NOT EXISTS (SELECT 1 FROM dbo.${REJECTS_TABLE} r WHERE r.reject_key = s.reject_key);
SELECT @@ROWCOUNT AS went;
DROP TABLE ${REJECT_STAGE};`;

/**
 * Whether the server is Babelfish for PostgreSQL, read with
 * {@link isBabelfishAnswer}: `SERVERPROPERTY('babelfish')` is 1 on Babelfish
 * and NULL on SQL Server (AWS, Aurora User Guide, "Identifying your version
 * of Babelfish"), and `@@VERSION`, which starts with "Babelfish" unless an
 * operator set `babelfishpg_tsql.version` (the text @@VERSION returns) to
 * another: read as well, for a Babelfish whose property would be missing.
 */
export const DETECT_BABELFISH = `SELECT CAST(SERVERPROPERTY('babelfish') AS INT) AS babelfish, @@VERSION AS version;`;

/** The row of {@link DETECT_BABELFISH}: Babelfish when either of its columns says so. */
export function isBabelfishAnswer(row: Record<string, unknown> | undefined): boolean {
  return Number(row?.babelfish) === 1 || String(row?.version ?? '').startsWith('Babelfish');
}

/**
 * The audit tables' columns as SQL Server (and Babelfish, which implements
 * the same views) describes them, for the drift check after the DDL
 * (check-drift.ts). Read with {@link mssqlFoundColumns}. `filled`: the
 * database may fill the column when an INSERT leaves it out (a default, an
 * identity, a computed or rowversion column, sys.columns; or an enabled
 * INSTEAD OF trigger of the table, which inserts the rows itself,
 * sys.triggers); `generated`: sys.columns' generated_always_type, nonzero
 * for a column SQL Server fills itself, NOT NULL and without a default: a
 * system-versioned table's period columns (`GENERATED ALWAYS AS ROW
 * START`), a ledger table's (`ledger_start_transaction_id`, SQL Server
 * 2022), which an audit table may well be; `table_type`: `VIEW` when a
 * view holds the name.
 */
export const DESCRIBE_TABLES = `SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS name, c.DATA_TYPE AS data_type,
  c.CHARACTER_MAXIMUM_LENGTH AS max_length, c.DATETIME_PRECISION AS datetime_precision, c.IS_NULLABLE AS is_nullable,
  CASE WHEN c.COLUMN_DEFAULT IS NOT NULL OR sc.is_identity = 1 OR sc.is_computed = 1 OR c.DATA_TYPE IN (N'timestamp', N'rowversion')
    OR EXISTS (SELECT 1 FROM sys.triggers tr WHERE tr.parent_id = OBJECT_ID(N'dbo.' + QUOTENAME(c.TABLE_NAME)) AND tr.is_instead_of_trigger = 1 AND tr.is_disabled = 0) THEN 1 ELSE 0 END AS filled,
  sc.generated_always_type AS generated,
  t.TABLE_TYPE AS table_type
FROM INFORMATION_SCHEMA.COLUMNS c
JOIN INFORMATION_SCHEMA.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
LEFT JOIN sys.columns sc ON sc.object_id = OBJECT_ID(N'dbo.' + QUOTENAME(c.TABLE_NAME)) AND sc.name = c.COLUMN_NAME
WHERE c.TABLE_SCHEMA = N'dbo' AND c.TABLE_NAME IN (${AUDIT_TABLES.map((t) => `N'${t}'`).join(', ')})`;

/**
 * Rows of {@link DESCRIBE_TABLES} as found columns, each type spelled as DDL
 * would: the length of text types (`-1` is `max`), the fraction digits of
 * datetime2, datetimeoffset and time. A row without `filled` or
 * `table_type` says nothing of them (hasDefault, view undefined).
 */
export function mssqlFoundColumns(rows: readonly Record<string, unknown>[]): FoundColumn[] {
  return rows.map((r) => {
    const base = String(r.data_type).toLowerCase();
    const len = r.max_length === null || r.max_length === undefined ? undefined : Number(r.max_length);
    const precision = r.datetime_precision === null || r.datetime_precision === undefined ? undefined : Number(r.datetime_precision);
    let type = base;
    if (/char$/.test(base) && len !== undefined) type = `${base}(${len === -1 ? 'max' : len})`;
    else if (/^(datetime2|datetimeoffset|time)$/.test(base) && precision !== undefined) type = `${base}(${precision})`;
    const hasDefault = r.filled === undefined || r.filled === null ? undefined : Number(r.filled) === 1 || Number(r.generated ?? 0) > 0;
    const view = r.table_type === undefined || r.table_type === null ? undefined : String(r.table_type).toUpperCase() === 'VIEW';
    return { table: String(r.table_name), name: String(r.name), type, nullable: String(r.is_nullable).toUpperCase() === 'YES', hasDefault, view };
  });
}

/**
 * The audit tables' indexes, one row per key column (INCLUDE columns left
 * out), for the drift check of the unique indexes the writer relies on
 * (schema index-drift.ts). Read with {@link mssqlFoundIndexes}. Babelfish
 * implements these views too, with index names mangled (a hash appended)
 * and no filter: its sys.indexes answers has_filter 0 and
 * filter_definition NULL for every index (babelfish_extensions,
 * sys_views.sql); the check compares neither there. `usable` 0: a disabled
 * index (`ALTER INDEX ... DISABLE`), which enforces nothing, or a
 * hypothetical one (statistics only); Babelfish has both columns too.
 */
export const DESCRIBE_INDEXES = `SELECT t.name AS table_name, i.name AS name, i.is_unique AS is_unique, i.filter_definition AS filter_definition, c.name AS column_name, ic.key_ordinal AS key_ordinal,
  CASE WHEN i.is_disabled = 1 OR i.is_hypothetical = 1 THEN 0 ELSE 1 END AS usable
FROM sys.indexes i
JOIN sys.tables t ON t.object_id = i.object_id
JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.is_included_column = 0
JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
WHERE t.schema_id = SCHEMA_ID(N'dbo') AND t.name IN (${AUDIT_TABLES.map((t) => `N'${t}'`).join(', ')}) AND i.name IS NOT NULL`;

/**
 * Rows of {@link DESCRIBE_INDEXES} as found indexes, their columns in key
 * order. `babelfish`: the filter is unknown (whereKnown false), not absent.
 */
export function mssqlFoundIndexes(rows: readonly Record<string, unknown>[], babelfish: boolean): FoundIndex[] {
  const byIndex = new Map<string, FoundIndex & { ordinals: number[] }>();
  for (const r of rows) {
    const key = `${String(r.table_name)}\u0000${String(r.name)}`;
    let ix = byIndex.get(key);
    if (!ix) {
      const where = r.filter_definition === null || r.filter_definition === undefined ? undefined : String(r.filter_definition);
      // A row without `usable` says nothing of it: taken as in use.
      const usable = r.usable === undefined || r.usable === null ? undefined : r.usable === true || Number(r.usable) === 1;
      ix = { table: String(r.table_name), name: String(r.name), unique: r.is_unique === true || Number(r.is_unique) === 1, usable, columns: [], where, whereKnown: !babelfish, ordinals: [] };
      byIndex.set(key, ix);
    }
    ix.columns.push(String(r.column_name));
    ix.ordinals.push(Number(r.key_ordinal));
  }
  return [...byIndex.values()].map(({ ordinals, ...ix }) => ({ ...ix, columns: ix.columns.map((c, i) => [ordinals[i]!, c] as const).sort((a, b) => a[0] - b[0]).map(([, c]) => c) }));
}
