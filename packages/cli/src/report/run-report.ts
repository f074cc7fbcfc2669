import { bindQuery, getReportQuery, type QueryParamValues, type ReportQuery } from '@audit-trail/schema';
import type { AuditReader, Row } from '@audit-trail/ingest-sink';

/** Short names accepted by `audit-trail report`, beside the full query names. */
export const REPORT_ALIASES: Readonly<Record<string, string>> = {
  failures: 'webauthn-failures',
  'auth-failures': 'failures-by-user-ip',
  bursts: 'failure-bursts-by-ip',
  counters: 'counter-regressions',
  shells: 'container-shell-sessions',
  'shells-by-image': 'container-shells',
  rejects: 'rejects-by-reason',
  'future-dated': 'future-dated-events',
};

/** The report query for a short or full name (throws ReportQueryError for others). */
export function reportQueryFor(name: string): ReportQuery {
  return getReportQuery(REPORT_ALIASES[name] ?? name);
}

/**
 * Runs a report query with its parameters in the reader's dialect, bound
 * (never spliced into the SQL), and resolves to its rows as they are read
 * (AuditReader.iterate). It resolves once the first row, or the end, has
 * come: a query that fails at once (tables not migrated) fails here, before
 * the report prints a line of a CSV header or a JSON array it cannot finish.
 */
export async function runReport(reader: AuditReader, query: ReportQuery, values: QueryParamValues = {}): Promise<AsyncIterable<Row>> {
  const bound = bindQuery(query, reader.dialect, values);
  const rows = reader.iterate({ text: bound.text, positional: bound.positional, named: bound.named })[Symbol.asyncIterator]();
  const first = await rows.next().catch((err: Error) => Promise.reject(withStoredJsonHint(err, reader.dialect)));
  return (async function* () {
    if (first.done) return;
    yield first.value;
    try {
      yield* { [Symbol.asyncIterator]: () => rows };
    } catch (err) {
      throw withStoredJsonHint(err as Error, reader.dialect);
    }
  })();
}

/**
 * What the databases say of an `event_json` that is not JSON, which a
 * report reads for the node of a row without one (SQLite's json_extract,
 * PostgreSQL's ::json, SQL Server's JSON_VALUE, error 13609).
 */
const STORED_JSON_ERROR = /^malformed JSON$|invalid input syntax for type json|JSON text is not properly formatted/;

/**
 * A query that lists the rows whose `event_json` the dialect's JSON reader
 * refuses. PostgreSQL before 16 has no test that does not fail the query
 * itself (pg_input_is_valid is 16's).
 */
const FIND_UNREADABLE: Readonly<Record<AuditReader['dialect'], string>> = {
  sqlite: 'SELECT id, event_id FROM security_audit_events WHERE json_valid(event_json) = 0',
  postgres: "SELECT id, event_id FROM security_audit_events WHERE NOT pg_input_is_valid(event_json, 'jsonb') (PostgreSQL 16+)",
  mssql: 'SELECT id, event_id FROM dbo.security_audit_events WHERE ISJSON(event_json) = 0',
};

/**
 * The error of a report that met a stored `event_json` that is not JSON,
 * with what it means and how to find the row: the driver's message names
 * none ("malformed JSON"), and such a row was edited in the database after
 * it was stored, which `verify --db` reports by its id (found by a probe)
 * when the row was signed; an unsigned one only a query finds (a probe).
 */
function withStoredJsonHint(err: Error, dialect: AuditReader['dialect']): Error {
  if (!STORED_JSON_ERROR.test(err.message)) return err;
  return new Error(`${err.message}: a stored event_json is not JSON (a row edited in the database?): \`audit-trail verify --db URL\` names it if it was signed, and \`${FIND_UNREADABLE[dialect]}\` finds it`, { cause: err });
}
