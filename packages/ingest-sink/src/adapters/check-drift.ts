import { AUDIT_TABLE_DEFS, tableDrift, type Dialect, type FoundColumn } from '@audit-trail/schema';
import { SchemaDriftError } from '../sink/errors.js';

/** The tables every adapter describes after its DDL. */
export const AUDIT_TABLES: readonly string[] = AUDIT_TABLE_DEFS.map((t) => t.name);

/**
 * The last step of every adapter's `migrate()`: throws a
 * {@link SchemaDriftError} when the tables, as the DDL left them, cannot
 * hold what this version writes (schema `tableDrift`).
 */
export function checkDrift(dialect: Dialect, found: readonly FoundColumn[]): void {
  const drift = tableDrift(dialect, found);
  if (drift.length > 0) throw new SchemaDriftError(dialect, drift);
}
