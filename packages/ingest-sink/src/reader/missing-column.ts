import { AUDIT_TABLE_DEFS } from '@audit-trail/schema';
import { SinkError } from '../sink/errors.js';

/** Every column of the audit tables this version defines. */
const KNOWN = new Set(AUDIT_TABLE_DEFS.flatMap((t) => t.columns.map((c) => c.name)));

/** The audit tables this version defines. */
const TABLES = new Set(AUDIT_TABLE_DEFS.map((t) => t.name));

/**
 * How each engine names a column a statement uses and the table lacks:
 * SQLite ("no such column: x" in a query, "table t has no column named x" in
 * an INSERT), PostgreSQL (42703: `column "x" does not exist`, `column "x" of
 * relation "t" does not exist`, `column e.x does not exist`), SQL Server and
 * Babelfish (Msg 207, "Invalid column name 'x'").
 */
const MISSING = [
  /no such column: (?:\w+\.)?(\w+)/,
  /has no column named (\w+)/,
  /column "?(?:\w+\.)?(\w+)"?(?: of relation "?\w+"?)? does not exist/,
  /Invalid column name '(\w+)'/,
];

/**
 * How each engine names a table a statement reads and the database lacks:
 * SQLite ("no such table: t"), PostgreSQL (42P01: `relation "t" does not
 * exist`, but not the tail of a missing column's `... of relation "t" does
 * not exist`), SQL Server and Babelfish (Msg 208, "Invalid object name 'dbo.t'").
 */
const MISSING_TABLE = [/no such table: (?:\w+\.)?(\w+)/, /(?<!of )relation "(?:\w+\.)?(\w+)" does not exist/, /Invalid object name '(?:\w+\.)?(\w+)'/];

/** The first name one of `patterns` finds in the error's message that `known` holds, or undefined. */
function namedIn(err: unknown, patterns: readonly RegExp[], known: ReadonlySet<string>): string | undefined {
  const message = (err as Error | undefined)?.message;
  if (typeof message !== 'string') return undefined;
  for (const re of patterns) {
    const name = re.exec(message)?.[1];
    if (name !== undefined && known.has(name)) return name;
  }
  return undefined;
}

/**
 * The column of this version's audit tables that a driver error says is
 * missing, or undefined. Tables made by an earlier version lack the columns
 * added since, until `audit-trail migrate` adds them (sql/README.md).
 */
export function missingColumn(err: unknown): string | undefined {
  return namedIn(err, MISSING, KNOWN);
}

/** The audit table a driver error says does not exist, or undefined: a database `audit-trail migrate` never ran on. */
export function missingTable(err: unknown): string | undefined {
  return namedIn(err, MISSING_TABLE, TABLES);
}

/**
 * `SINK_NOT_MIGRATED` naming the column or table and what to run, for an
 * error about a column or table this version defines; any other error as it
 * was. A report or `verify --db` on tables not yet migrated said only "no
 * such column: k8s_node" (found by a docs probe), and on a database never
 * migrated only "no such table: security_audit_events" (found by a probe).
 */
export function explainMissingColumn(err: unknown): unknown {
  const table = missingTable(err);
  if (table !== undefined) {
    return new SinkError('SINK_NOT_MIGRATED', `the audit table ${table} does not exist in this database: create the audit tables once with \`audit-trail migrate --db URL\`, then try again`, { cause: err });
  }
  const column = missingColumn(err);
  if (column === undefined) return err;
  return new SinkError('SINK_NOT_MIGRATED', `the audit tables lack the column ${column}, added by a later version: run \`audit-trail migrate --db URL\` once (it adds the column and rewrites no row), then try again`, { cause: err });
}
