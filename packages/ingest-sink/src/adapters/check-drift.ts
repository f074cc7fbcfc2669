import { AUDIT_TABLE_DEFS, tableDrift, type Dialect, type FoundTables } from '@audit-trail/schema';
import { SchemaDriftError, SinkError } from '../sink/errors.js';

/** The tables every adapter describes after its DDL. */
export const AUDIT_TABLES: readonly string[] = AUDIT_TABLE_DEFS.map((t) => t.name);

/**
 * The last step of every adapter's `migrate()`: throws a
 * {@link SchemaDriftError} when the tables, as the DDL left them, cannot
 * hold what this version writes (schema `tableDrift`: their columns, and
 * the unique indexes the writer relies on).
 */
export function checkDrift(dialect: Dialect, found: FoundTables): void {
  const drift = tableDrift(dialect, found.columns, found.indexes);
  if (drift.length > 0) throw new SchemaDriftError(dialect, drift);
}

/**
 * What every adapter's `check()` concludes from the tables as it found them
 * (no DDL run): `SINK_NOT_MIGRATED` when an audit table is absent (a server
 * database is not migrated by the sink unless asked: every write would fail
 * with "relation does not exist" until someone runs `audit-trail migrate`),
 * otherwise {@link checkDrift}.
 */
export function checkTables(dialect: Dialect, found: FoundTables): void {
  const absent = AUDIT_TABLES.filter((t) => !found.columns.some((f) => f.table.toLowerCase() === t));
  if (absent.length > 0) {
    throw new SinkError('SINK_NOT_MIGRATED', `${dialect}: the audit table(s) ${absent.join(', ')} do not exist in this database; create them once with \`audit-trail migrate --db URL\` (or the sink's migrate option)`);
  }
  checkDrift(dialect, found);
}
