import { REPORT_QUERY_NAMES, ReportQueryError } from '@audit-trail/schema';
import { openReader, redactUrl, resolveDbUrl } from '@audit-trail/ingest-sink';
import { UsageError, type Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { formatRows, REPORT_FORMATS, type ReportFormat } from '../report/format.js';
import { REPORT_ALIASES, reportQueryFor, runReport } from '../report/run-report.js';

const USAGE = `Usage: audit-trail report <name> [--db URL] [--days N] [--format table|csv|json]

Runs one of the forensic queries of sql/queries/ against the audit table, in
the dialect of the database URL.

Reports:
  failures   WebAuthn authentication failures by user and IP (failures-by-user-ip)
  bursts     bursts of WebAuthn failures per source IP (failure-bursts-by-ip)
  counters   signature counter regressions: possible cloned authenticators (counter-regressions)
  shells     shells opened in containers, by image and node (container-shells)
  rejects    refused input by reason code and source: forged or garbled lines (rejects-by-reason)

Options:
  --db URL               sqlite:./audit.db, postgres://..., mssql://...
                         [AUDIT_TRAIL_DB_URL; password from AUDIT_TRAIL_DB_PASSWORD_FILE]
  --days N               look back N days (default 90)
  --window-minutes N     bursts: width of the sliding window (default 10)
  --min-failures N       bursts: failures in one window that make a burst (default 5)
  --format F             table (default), csv or json

Example:
  audit-trail report failures --days 90 --db sqlite:./audit.db --format csv > failures.csv
`;

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value.slice(0, 20))}`);
  return Number(value);
}

/** `audit-trail report`: the analyst queries, as a table, CSV or JSON. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Forensic reports: failures, bursts, counters, shells, rejects',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        days: { type: 'string' },
        'window-minutes': { type: 'string' },
        'min-failures': { type: 'string' },
        format: { type: 'string', default: 'table' },
      },
    });
    const [name, ...extra] = positionals;
    if (!name) throw new UsageError(`name a report: ${Object.keys(REPORT_ALIASES).join(', ')}`);
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const format = values.format as ReportFormat;
    if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}`);

    let query;
    const params = {
      days: intOption('days', values.days),
      window_minutes: intOption('window-minutes', values['window-minutes']),
      min_failures: intOption('min-failures', values['min-failures']),
    };
    try {
      query = reportQueryFor(name);
      // Reject options the chosen report does not take, rather than ignoring them.
      for (const [key, v] of Object.entries(params)) {
        if (v !== undefined && !query.params.some((p) => p.name === key)) {
          throw new UsageError(`report ${name} has no --${key.replace('_', '-')} option`);
        }
      }
    } catch (err) {
      if (err instanceof ReportQueryError) {
        throw new UsageError(`unknown report "${name.slice(0, 40)}"; expected one of ${[...Object.keys(REPORT_ALIASES), ...REPORT_QUERY_NAMES].join(', ')}`);
      }
      throw err;
    }

    const url = resolveDbUrl(values.db, io.env);
    const reader = await openReader(url).catch((err: Error) => {
      throw new Error(`cannot open ${redactUrl(url)}: ${err.message}`);
    });
    try {
      const rows = await runReport(reader, query, params);
      io.stdout.write(formatRows(format, query.columns, rows));
      if (format === 'table' && io.stdout.isTTY) io.stdout.write(`${rows.length} row(s): ${query.title}\n`);
      return 0;
    } catch (err) {
      if (err instanceof ReportQueryError) throw new UsageError(err.message);
      throw err;
    } finally {
      await reader.close();
    }
  },
};
