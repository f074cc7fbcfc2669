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

/** Runs a report query with its parameters in the reader's dialect, bound (never spliced into the SQL). */
export async function runReport(reader: AuditReader, query: ReportQuery, values: QueryParamValues = {}): Promise<Row[]> {
  const bound = bindQuery(query, reader.dialect, values);
  return reader.query({ text: bound.text, positional: bound.positional, named: bound.named });
}
