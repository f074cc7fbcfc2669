import { bindQuery, REPORT_QUERY_NAMES, ReportQueryError, type ReportQuery } from '@audit-trail/schema';
import { openReader, redactUrl } from '@audit-trail/ingest-sink';
import { UsageError, type Command } from '../command.js';
import { commandDb } from '../db-url.js';
import { intFlag } from '../flags.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { shown } from '../shown.js';
import { formatRows, REPORT_FORMATS, type ReportFormat } from '../report/format.js';
import { REPORT_ALIASES, reportQueryFor, runReport } from '../report/run-report.js';
import { writeChunks } from '../report/write-chunks.js';

const USAGE = `Usage: audit-trail report <name> [--db URL] [--days N] [--format table|csv|json]

Runs one of the forensic queries of sql/queries/ against the audit table, in
the dialect of the database URL.

Reports:
  failures         every failed WebAuthn registration and sign-in (and counter regression
                   whose sign-in was refused), with user, source IP, error, node and
                   service (webauthn-failures)
  auth-failures    WebAuthn authentication failures by user and IP: the reference
                   query (failures-by-user-ip)
  bursts           bursts of WebAuthn failures per source IP (failure-bursts-by-ip)
  counters         signature counter regressions: possible cloned authenticators (counter-regressions)
  shells           each shell opened (or refused) in a container: when, outcome, node,
                   namespace and pod, container, the container it reaches (kubectl debug
                   --target), image, the user it ran as, the person (Kubernetes audit
                   log) and whom they impersonated, command, detector, and
                   unresolved: 1 for a command line of launchers too long to read to
                   its end (counted as a shell) (container-shell-sessions)
  shells-by-image  the same shells counted by image and node, with unresolved: how
                   many of them are such command lines (container-shells)
  rejects          refused input by reason code and source: forged or garbled lines (rejects-by-reason)
  future-dated     events dated more than --skew-minutes after they were stored: a clock
                   running ahead, or a record dated forward to stay on top (future-dated-events)

Options:
  --db URL               sqlite:./audit.db (the default), postgres://..., mssql://...
                         [AUDIT_TRAIL_DB_URL; password from AUDIT_TRAIL_DB_PASSWORD_FILE]
  --days N               look back N days (default 90)
  --window-minutes N     bursts: width of the sliding window (default 10)
  --min-failures N       bursts: failures in one window that make a burst (default 5)
  --skew-minutes N       future-dated: clock difference tolerated (default 5)
  --format F             table (default), csv or json
  N is a whole number within the parameter's range (a bad one names it).

Exit status: 0 the report was printed; 1 the database could not be opened or
read; 2 a usage mistake (report name, flag, value, a database URL it cannot
use), found before the database is opened, or output that could not be
written (a full disk: the report is incomplete); 141 when the reader of
stdout closed it early (\`| head\`).

Example:
  audit-trail report failures --days 90 --db sqlite:./audit.db --format csv > failures.csv
`;

/** The flags of report parameters, by parameter name. */
const PARAM_FLAGS = { days: 'days', window_minutes: 'window-minutes', min_failures: 'min-failures', skew_minutes: 'skew-minutes' } as const;

type ReportValues = Partial<Record<(typeof PARAM_FLAGS)[keyof typeof PARAM_FLAGS], string>>;

/** The query of a report name (short or full); an unknown name is a UsageError, echoed with its control characters escaped. */
function reportQuery(name: string): ReportQuery {
  try {
    return reportQueryFor(name);
  } catch (err) {
    if (err instanceof ReportQueryError) {
      throw new UsageError(`unknown report ${shown(name, 40)}; expected one of ${[...Object.keys(REPORT_ALIASES), ...REPORT_QUERY_NAMES].join(', ')}`);
    }
    throw err;
  }
}

/**
 * The parameter values given as flags, each a whole number within the range
 * of the report's parameter. A flag the report does not take is refused
 * rather than ignored: a typo must not run the report with a default.
 */
function reportParams(name: string, query: ReportQuery, values: ReportValues): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [param, flag] of Object.entries(PARAM_FLAGS)) {
    const value = values[flag];
    if (value === undefined) continue;
    const p = query.params.find((x) => x.name === param);
    if (!p) throw new UsageError(`report ${shown(name, 40)} has no --${flag} option`);
    out[param] = intFlag(flag, value, p);
  }
  return out;
}

/** `audit-trail report`: the analyst queries, as a table, CSV or JSON. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Forensic reports: failures, bursts, counters, shells, rejects, future-dated events',
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
        'skew-minutes': { type: 'string' },
        format: { type: 'string', default: 'table' },
      },
    });
    // Everything that can be checked is checked before the database is
    // opened: a mistake must not wait for a connection, or time out on one.
    const [name, ...extra] = positionals;
    if (!name) throw new UsageError(`name a report: ${Object.keys(REPORT_ALIASES).join(', ')}`);
    if (extra.length) throw new UsageError(`unexpected argument ${shown(extra[0]!)}`);
    const format = values.format as ReportFormat;
    if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got ${shown(values.format)}`);
    const query = reportQuery(name);
    const params = reportParams(name, query, values);
    const { url, connection } = commandDb(values.db, io);
    try {
      // Bound once in the URL's dialect: whatever the query refuses is known now.
      bindQuery(query, connection.dialect, params);
    } catch (err) {
      if (err instanceof ReportQueryError) throw new UsageError(err.message);
      throw err;
    }

    const reader = await openReader(connection).catch((err: Error) => {
      throw new Error(`cannot open ${redactUrl(url)}: ${err.message}`);
    });
    try {
      const rows = await runReport(reader, query, params);
      // Counted as they pass, for the terminal's summary line: the rows are not held.
      let count = 0;
      const counted = (async function* () {
        try {
          for await (const row of rows) {
            count++;
            yield row;
          }
        } catch (err) {
          // csv and json have printed the rows before this one: say that the
          // output stops short, rather than leave a CSV that looks whole
          // beside the driver's message (a table prints nothing until the end).
          if (count === 0 || format === 'table') throw err;
          throw new Error(`${(err as Error).message}; reading stopped after ${count} row(s): the output is incomplete`, { cause: err });
        }
      })();
      await writeChunks(io.stdout, formatRows(format, query.columns, counted, query.integerColumns));
      if (format === 'table' && io.stdout.isTTY) io.stdout.write(`${count} row(s): ${query.title}\n`);
      return 0;
    } finally {
      await reader.close();
    }
  },
};
