import { CodedError } from '../coded-error.js';
import { isDialect, unknownDialectMessage, type Dialect } from './columns.js';

/** Why the SQL of the audit tables could not be generated. */
export type TableSqlErrorCode = 'TABLE_DIALECT_UNKNOWN' | 'TABLE_OPTION_INVALID';

/**
 * Thrown by the DDL functions (`createTableStatements`, `migrationPlan`,
 * `columnSql`, `addColumnSql`) and `tableDrift` for a dialect this package
 * has no SQL for, or options they do not take. Without it `"mysql"` came
 * out as `id undefined NOT NULL PRIMARY KEY`: DDL that looks generated and
 * fails only when a database runs it.
 */
export class TableSqlError extends CodedError<TableSqlErrorCode> {
  override readonly name = 'TableSqlError';
}

/** Throws {@link TableSqlError} `TABLE_DIALECT_UNKNOWN` unless `dialect` is a {@link Dialect}. */
export function checkDialect(dialect: unknown): asserts dialect is Dialect {
  if (!isDialect(dialect)) throw new TableSqlError('TABLE_DIALECT_UNKNOWN', unknownDialectMessage(dialect));
}
