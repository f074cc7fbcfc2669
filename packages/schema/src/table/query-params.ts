import { CodedError } from '../coded-error.js';
import { isDialect, unknownDialectMessage, type Dialect } from './columns.js';
import { REPORT_QUERIES, REPORT_QUERY_NAMES, type ReportQuery, type ReportQueryName } from './queries.js';

/** Why a report query could not be prepared. */
export type ReportQueryErrorCode = 'REPORT_QUERY_UNKNOWN' | 'REPORT_DIALECT_UNKNOWN' | 'REPORT_PARAM_UNKNOWN' | 'REPORT_PARAM_INVALID';

/**
 * Thrown for an unknown query name (or something that is not a
 * {@link ReportQuery}), a dialect the query has no SQL for, an unknown
 * parameter, or a value that is not an integer in range.
 */
export class ReportQueryError extends CodedError<ReportQueryErrorCode> {
  override readonly name = 'ReportQueryError';
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
  if (!(REPORT_QUERY_NAMES as readonly unknown[]).includes(name)) {
    throw new ReportQueryError(
      'REPORT_QUERY_UNKNOWN',
      `unknown report query ${typeof name === 'string' ? `"${name.slice(0, 64)}"` : typeof name}; expected one of ${REPORT_QUERY_NAMES.join(', ')}`,
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
  checkQuery(query);
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ReportQueryError('REPORT_PARAM_INVALID', `${query.name}: parameter values must be an object such as { days: 30 }, got ${values === null ? 'null' : Array.isArray(values) ? 'an array' : typeof values}`);
  }
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

/**
 * Throws {@link ReportQueryError} `REPORT_QUERY_UNKNOWN` unless `query` has
 * the shape of a {@link ReportQuery}: a query name passed where the query
 * belongs (`bindQuery('failures-by-user-ip', ...)`) is a typed error, not a
 * TypeError from inside.
 */
function checkQuery(query: unknown): asserts query is ReportQuery {
  const q = query as Partial<ReportQuery> | null;
  if (typeof q !== 'object' || q === null || typeof q.sql !== 'object' || q.sql === null || !Array.isArray(q.params)) {
    throw new ReportQueryError('REPORT_QUERY_UNKNOWN', `expected a report query (getReportQuery(name)), got ${q === null ? 'null' : typeof q}`);
  }
}

/**
 * The query's SQL text for `dialect`; throws {@link ReportQueryError}
 * `REPORT_DIALECT_UNKNOWN` for a dialect other than mssql, postgres, sqlite
 * (a list lookup: `"constructor"` is not a key of the SQL either).
 */
function sqlOf(query: ReportQuery, dialect: unknown): string {
  checkQuery(query);
  const sql = isDialect(dialect) ? query.sql[dialect] : undefined;
  if (typeof sql !== 'string') {
    throw new ReportQueryError('REPORT_DIALECT_UNKNOWN', `${String(query.name).slice(0, 64)}: ${isDialect(dialect) ? `no SQL for dialect ${dialect}` : unknownDialectMessage(dialect)}`);
  }
  return sql;
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
  const sql = sqlOf(query, dialect);
  const params = resolveParams(query, values);
  return sql.replace(tokenPattern(query), (_m, name: string) => String(params[name]));
}

/**
 * The query's SQL with driver placeholders and the values to bind, for
 * {@link Dialect} `dialect`. Throws {@link ReportQueryError}: an unknown
 * dialect, parameter or value.
 */
export function bindQuery(query: ReportQuery, dialect: Dialect, values?: QueryParamValues): BoundQuery {
  const sql = sqlOf(query, dialect);
  const named = resolveParams(query, values);
  const order: string[] = [];
  const text = sql.replace(tokenPattern(query), (_m, name: string) => {
    if (dialect !== 'postgres') return `@${name}`;
    if (!order.includes(name)) order.push(name);
    return `$${order.indexOf(name) + 1}`;
  });
  return { text, positional: order.map((n) => named[n]!), named };
}
