// @ts-check
// Plain JavaScript so that the SQLite worker (sqlite-core.js) shares it. Types: migration-steps.d.ts.

/**
 * What `migrate()` runs once the tables exist (schema ddl.ts,
 * `migrationPlan`), table after table in the plan's order (the writer's lock
 * order): the addable columns the table as found lacks, then its indexes.
 * Names are compared without case (PostgreSQL folds unquoted names to lower
 * case, SQL Server keeps them); a table not found at all gets no column
 * added (its CREATE failed or was not run).
 * @param {import('@audit-trail/schema').MigrationPlan} plan
 * @param {readonly { table: string; name: string }[]} found the columns as the database describes them after `plan.tables`
 * @returns {string[]}
 */
export function statementsAfterTables(plan, found) {
  const have = new Set(found.map((f) => `${f.table.toLowerCase()}.${f.name.toLowerCase()}`));
  const tables = new Set(found.map((f) => f.table.toLowerCase()));
  return plan.steps.flatMap((step) => [
    ...step.addable.filter((a) => tables.has(a.table.toLowerCase()) && !have.has(`${a.table.toLowerCase()}.${a.column.toLowerCase()}`)).map((a) => a.sql),
    ...step.indexes,
  ]);
}
