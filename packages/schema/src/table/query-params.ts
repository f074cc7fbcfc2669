import type { Dialect } from './columns.js';
import { REPORT_QUERIES, REPORT_QUERY_NAMES, type ReportQuery, type ReportQueryName } from './queries.js';

/** Why a report query could not be prepared. */
export type ReportQueryErrorCode = 'REPORT_QUERY_UNKNOWN' | 'REPORT_PARAM_UNKNOWN' | 'REPORT_PARAM_INVALID';

/** Thrown for an unknown query name, an unknown parameter, or a value that is not an integer in range. */
export class ReportQueryError extends Error {
  override readonly name = 'ReportQueryError';
  constructor(
    readonly code: ReportQueryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Parameter values by name; missing ones take the query's default. */
export type QueryParamValues = Readonly<Record<string, number | undefined>>;

/** A query ready for a driver: `text` with placeholders plus the values in both shapes drivers take. */
export interface BoundQuery {
  /** SQL with `@name` (mssql, sqlite) or `$n` (postgres) placeholders. */
  text: string;
  /** Values in `$n` order (node-postgres). */
  positional: number[];
  /** Values by name (mssql `request.input(name, value)`, better-sqlite3 `stmt.all(named)`). */
  named: Record<string, number>;
}

/** The query named `name`; throws {@link ReportQueryError} `REPORT_QUERY_UNKNOWN` for other names. */
export function getReportQuery(name: string): ReportQuery {
  if (!(REPORT_QUERY_NAMES as readonly string[]).includes(name)) {
    throw new ReportQueryError(
      'REPORT_QUERY_UNKNOWN',
      `unknown report query "${name.slice(0, 64)}"; expected one of ${REPORT_QUERY_NAMES.join(', ')}`,
    );
  }
  return REPORT_QUERIES[name as ReportQueryName];
}

/**
 * Every parameter of `query` with its value: the given one (checked to be an
 * integer within the parameter's range) or the default. Unknown names throw,
 * so a typo on the command line does not silently run with a default.
 */
export function resolveParams(query: ReportQuery, values: QueryParamValues = {}): Record<string, number> {
  for (const key of Object.keys(values)) {
    if (values[key] !== undefined && !query.params.some((p) => p.name === key)) {
      throw new ReportQueryError('REPORT_PARAM_UNKNOWN', `${query.name} has no parameter "${key.slice(0, 64)}"`);
    }
  }
  const out: Record<string, number> = {};
  for (const p of query.params) {
    const v = values[p.name] ?? p.default;
    if (!Number.isSafeInteger(v) || v < p.min || v > p.max) {
      throw new ReportQueryError(
        'REPORT_PARAM_INVALID',
        `${query.name}: ${p.name} must be an integer from ${p.min} to ${p.max}, got ${String(v)}`,
      );
    }
    out[p.name] = v;
  }
  return out;
}

function tokenPattern(query: ReportQuery): RegExp {
  // `(?<![:\w])` keeps PostgreSQL casts (`::jsonb`) and words like `a:b` out.
  return new RegExp(`(?<![:\\w]):(${query.params.map((p) => p.name).join('|')})\\b`, 'g');
}

/**
 * The query's SQL with parameter values written in as integer literals (the
 * form committed under `sql/queries/`). Safe: values are checked integers.
 */
export function renderQuery(query: ReportQuery, dialect: Dialect, values?: QueryParamValues): string {
  const params = resolveParams(query, values);
  return query.sql[dialect].replace(tokenPattern(query), (_m, name: string) => String(params[name]));
}

/** The query's SQL with driver placeholders and the values to bind, for {@link Dialect} `dialect`. */
export function bindQuery(query: ReportQuery, dialect: Dialect, values?: QueryParamValues): BoundQuery {
  const named = resolveParams(query, values);
  const order: string[] = [];
  const text = query.sql[dialect].replace(tokenPattern(query), (_m, name: string) => {
    if (dialect !== 'postgres') return `@${name}`;
    if (!order.includes(name)) order.push(name);
    return `$${order.indexOf(name) + 1}`;
  });
  return { text, positional: order.map((n) => named[n]!), named };
}
