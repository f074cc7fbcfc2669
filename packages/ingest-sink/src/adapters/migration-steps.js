// @ts-check
// Plain JavaScript so that the SQLite worker (sqlite-core.js) shares it. Types: migration-steps.d.ts.

/**
 * What `migrate()` runs once the tables exist (schema ddl.ts,
 * `migrationPlan`), table after table in the plan's order (the writer's lock
 * order): the addable columns the table as found lacks, then its indexes.
 * Names are compared without case (PostgreSQL folds unquoted names to lower
 * case, SQL Server keeps them); a table not found at all gets no column
 * added (its CREATE failed or was not run). A table found without one of its
 * required columns (another application's table of that name, or a view) is
 * left as it is, no column added and no index made: the CREATE INDEX failed
 * on the missing column (ADD COLUMN on a view), and the database's "no such
 * column: event_id" was all migrate said; the drift check that follows lists
 * the columns with their fix instead. So is a view that has them all: its
 * ADD COLUMN or CREATE INDEX failed with the database's words, where the
 * drift check says it is a view and what to do.
 * @param {import('@audit-trail/schema').MigrationPlan} plan
 * @param {readonly { table: string; name: string; view?: boolean | undefined }[]} found the columns as the database describes them after `plan.tables`
 * @returns {string[]}
 */
export function statementsAfterTables(plan, found) {
  const have = new Set(found.map((f) => `${f.table.toLowerCase()}.${f.name.toLowerCase()}`));
  const tables = new Set(found.map((f) => f.table.toLowerCase()));
  const views = new Set(found.filter((f) => f.view).map((f) => f.table.toLowerCase()));
  const lacks = (/** @type {string} */ table, /** @type {string} */ column) => !have.has(`${table.toLowerCase()}.${column.toLowerCase()}`);
  return plan.steps.flatMap((step) =>
    views.has(step.table.toLowerCase()) || (tables.has(step.table.toLowerCase()) && step.required.some((c) => lacks(step.table, c)))
      ? []
      : [...step.addable.filter((a) => tables.has(a.table.toLowerCase()) && lacks(a.table, a.column)).map((a) => a.sql), ...step.indexes],
  );
}
