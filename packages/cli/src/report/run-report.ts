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
  const first = await rows.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* { [Symbol.asyncIterator]: () => rows };
  })();
}
