// @ts-check
// Plain JavaScript so that the SQLite worker (sqlite-core.js) shares it. Types: missing-columns.d.ts.

/**
 * The columns of a migration plan's `addable` list (schema ddl.ts,
 * `migrationPlan`) that the tables as found lack: what `migrate()` adds to a
 * table made by an earlier version, before it creates the indexes that may
 * name them. Names are compared without case (PostgreSQL folds unquoted
 * names to lower case, SQL Server keeps them).
 * @template {{ table: string; column: string }} T
 * @param {readonly T[]} addable
 * @param {readonly { table: string; name: string }[]} found
 * @returns {T[]}
 */
export function missingColumns(addable, found) {
  const have = new Set(found.map((f) => `${f.table.toLowerCase()}.${f.name.toLowerCase()}`));
  // A table not found at all is not one to add columns to (its CREATE failed or was not run).
  const tables = new Set(found.map((f) => f.table.toLowerCase()));
  return addable.filter((a) => tables.has(a.table.toLowerCase()) && !have.has(`${a.table.toLowerCase()}.${a.column.toLowerCase()}`));
}
