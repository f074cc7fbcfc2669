import type { MigrationPlan } from '@audit-trail/schema';

/** The statements `migrate()` runs once the tables exist: per table, in the plan's order, the addable columns it lacks, then its indexes. */
export function statementsAfterTables(plan: MigrationPlan, found: readonly { table: string; name: string; view?: boolean | undefined }[]): string[];
