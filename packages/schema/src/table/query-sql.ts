import { EVENTS_TABLE, REJECTS_TABLE, type Dialect } from './columns.js';

/**
 * Dialect fragments the report queries are assembled from, so each query is
 * written once. Parameters appear as `:name` tokens; `renderQuery` and
 * `bindQuery` (queries.ts) turn them into literals or driver placeholders.
 */

/** The events table, schema-qualified on SQL Server as in the reference query. */
export function eventsTable(dialect: Dialect): string {
  return dialect === 'mssql' ? `dbo.${EVENTS_TABLE}` : EVENTS_TABLE;
}

/**
 * The events table as `e`, for a query that reads several fields of
 * `event_json` per row ({@link jsonValue} with `'doc'`). On PostgreSQL it
 * brings the column `doc`: `event_json` read as jsonb once per row, by a
 * LATERAL subquery that OFFSET 0 keeps from being pulled up (pulled up, its
 * expression would be copied into each reference and parsed again; the
 * planner's is_simple_subquery). The table's own conditions still filter the
 * rows before any is parsed. The shell report read `event_json` as jsonb up
 * to nine times per kept row; read once, it ran 2.49x faster over 200 000
 * CONTAINER_EXEC rows on PostgreSQL 15 (2.3 s against 5.7 s:
 * bench/report-json.ts). A query that reads one field at most, or only when
 * a column is NULL (`nodeOf` on a Swarm node), keeps the plain table and
 * reads the text: parsing every row there made `webauthn-failures` 4x
 * slower on Swarm rows (found by a review).
 */
export function eventsWithDoc(dialect: Dialect): string {
  const table = `${eventsTable(dialect)} e`;
  return dialect === 'postgres' ? `${table}\n  CROSS JOIN LATERAL (SELECT ${PG_JSONB} AS doc OFFSET 0) j` : table;
}

/** `text` as a PostgreSQL `E'...'` literal, where a backslash is written twice. */
function eLiteral(text: string): string {
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * The escapes jsonb refuses that JSON allows: half a surrogate pair alone
 * (`\ud800` with no low half after it, `\udc00` with no high half before
 * it) and `\u0000`. An escape only where it is one: after an even number of
 * backslashes (`\\ud800` is a backslash, then text). A whole pair is kept
 * (group 2: the alternation takes it before its halves); the others are
 * removed. Each match starts at a backslash no backslash precedes, so two
 * escapes in a row are both read (the lookbehind, PostgreSQL 9.6 or later).
 */
const JSONB_REFUSED_ESCAPE = String.raw`(?<!\\)((?:\\\\)*)(?:(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})|\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000))`;

/**
 * `event_json` as jsonb on PostgreSQL, without the escapes jsonb refuses
 * ({@link JSONB_REFUSED_ESCAPE}): JSON allows them, `event_json` keeps the
 * text as received (its MAC covers it), and one such row must not stop
 * every report. The sink refuses lone surrogates since 2026-12-06, but rows
 * stored before, or by other writers, hold them (found by a probe); a
 * crafted `\\ud800\udc00` (a text, then a lone half) must not either (found
 * by a review). Only a text holding a `\u` at all is rewritten: few do
 * (JSON.stringify escapes only control characters and lone surrogates), and
 * one strpos over the others costs less than the replace() every row went
 * through before.
 */
const PG_JSONB = `(CASE WHEN strpos(event_json, ${eLiteral('\\u')}) = 0 THEN event_json ELSE regexp_replace(event_json, ${eLiteral(JSONB_REFUSED_ESCAPE)}, ${eLiteral(String.raw`\1\2`)}, 'g') END)::jsonb`;

/** Where {@link jsonValue} reads: the text of each row, or the `doc` column of {@link eventsWithDoc} (PostgreSQL). */
export type JsonFrom = 'text' | 'doc';

/** The rejects table, schema-qualified on SQL Server like the events table. */
export function rejectsTable(dialect: Dialect): string {
  return dialect === 'mssql' ? `dbo.${REJECTS_TABLE}` : REJECTS_TABLE;
}

/**
 * The code a reject's `reason` starts with (`DB_REFUSED`,
 * `CHAIN_POSITION_CONFLICT`, `CONTAINER_EVENT_UNTRUSTED_TAG`...: the text
 * before the first colon); `SCHEMA_INVALID` for validation issues, which are
 * stored as a JSON list; `OTHER` for a reason without a colon. No LIKE: `[`
 * opens a character class in SQL Server's LIKE.
 */
export function reasonCode(dialect: Dialect): string {
  const [first, pos, head] =
    dialect === 'mssql'
      ? ['LEFT(reason, 1)', "CHARINDEX(':', reason)", (n: string) => `LEFT(reason, ${n})`]
      : dialect === 'postgres'
        ? ['left(reason, 1)', "strpos(reason, ':')", (n: string) => `left(reason, ${n})`]
        : ['substr(reason, 1, 1)', "instr(reason, ':')", (n: string) => `substr(reason, 1, ${n})`];
  return `CASE WHEN ${first} = '[' THEN 'SCHEMA_INVALID' WHEN ${pos} = 0 THEN 'OTHER' ELSE ${head(`${pos} - 1`)} END`;
}

/**
 * `column >= now - :param days`. SQL Server keeps the reference query's
 * `DATEADD(day, -90, SYSUTCDATETIME())`; SQLite compares ISO-8601 text,
 * which sorts like time because every value is UTC with a `Z` suffix.
 * PostgreSQL counts hours: `make_interval(days => n)` is n calendar days in
 * the session's time zone, an hour more or less across a DST change.
 */
export function sinceDays(dialect: Dialect, column: string, param: string): string {
  switch (dialect) {
    case 'mssql':
      return `${column} >= DATEADD(day, -:${param}, SYSUTCDATETIME())`;
    case 'postgres':
      return `${column} >= now() - make_interval(hours => 24 * :${param})`;
    case 'sqlite':
      return `${column} >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || :${param} || ' days')`;
  }
}

/**
 * `later` lies in `[start, start + :param minutes)`. Both must be times the
 * query has already bounded below (by {@link sinceDays}).
 */
export function withinMinutes(dialect: Dialect, later: string, start: string, param: string): string {
  switch (dialect) {
    case 'mssql':
      // Minutes taken from `later`, not added to `start`: DATEADD raises Msg
      // 517 when its result passes 9999-12-31, which stopped the report for
      // an event dated near then (the schema accepts it; found by a review),
      // https://learn.microsoft.com/en-us/sql/t-sql/functions/dateadd-transact-sql
      // ("Return Values": out of range is an error). `later` is at most
      // 36 500 days old (sinceDays) and :param at most a week, so going
      // back cannot pass 0001-01-01 either.
      return `${later} >= ${start}\n   AND DATEADD(minute, -:${param}, ${later}) < ${start}`;
    case 'postgres':
      return `${later} >= ${start}\n   AND ${later} < ${start} + make_interval(mins => :${param})`;
    case 'sqlite':
      // julianday() parses the stored ISO text; the minutes go in as a date
      // modifier, which SQLite applies in whole milliseconds (adding
      // :param / 1440.0 days rounded, so a time exactly on the edge fell
      // either side; found by a review). Taken from `later`, as on SQL
      // Server: julianday() is NULL past 9999-12-31 ("Date And Time
      // Functions": only years 0000-9999), so a burst in the last minutes
      // of 9999, which PostgreSQL and SQL Server report, was lost (found by
      // a probe).
      return `julianday(${later}) >= julianday(${start})\n   AND julianday(${later}, '-' || :${param} || ' minutes') < julianday(${start})`;
  }
}

/** `later` lies more than `:param` minutes after `start`. */
export function laterByMinutes(dialect: Dialect, later: string, start: string, param: string): string {
  switch (dialect) {
    case 'mssql':
      return `${later} > DATEADD(minute, :${param}, ${start})`;
    case 'postgres':
      return `${later} > ${start} + make_interval(mins => :${param})`;
    case 'sqlite':
      return `julianday(${later}) > ${sqliteMinutesAfter(start, param)}`;
  }
}

/** SQLite: the julian day `:param` minutes after `start`, exact to the millisecond (a date modifier, not added days). */
function sqliteMinutesAfter(start: string, param: string): string {
  return `julianday(${start}, '+' || :${param} || ' minutes')`;
}

/**
 * A scalar from the stored `event_json` (path as dotted keys), as text (SQL
 * Server, PostgreSQL) or JSON value (SQLite). On PostgreSQL, `from: 'doc'`
 * reads the column {@link eventsWithDoc} brings (the query takes its rows
 * from there); `'text'` parses `event_json` for this one read. The values
 * read here (identifiers, booleans) cannot hold a NUL.
 */
export function jsonValue(dialect: Dialect, path: string, from: JsonFrom = 'text'): string {
  switch (dialect) {
    case 'mssql':
      return `JSON_VALUE(event_json, '$.${path}')`;
    case 'postgres':
      return `(${from === 'doc' ? 'doc' : PG_JSONB} #>> '{${path.split('.').join(',')}}')`;
    case 'sqlite':
      return `json_extract(event_json, '$.${path}')`;
  }
}

/**
 * A 64-bit integer from `event_json`. On SQL Server JSON_VALUE gives a
 * number's text as written, and `CAST('1e3' AS BIGINT)` fails (Msg 8114,
 * which stopped the whole report; found by a review): the text is read as
 * BIGINT when it is a plain integer (exact beyond 2^53), else as FLOAT(53)
 * and then BIGINT (exponent or fraction), else NULL. TRY_CONVERT returns NULL
 * instead of failing:
 * https://learn.microsoft.com/en-us/sql/t-sql/functions/try-convert-transact-sql.
 * PostgreSQL reads the JSON number as jsonb numeric, whose text `1e3` is
 * `1000` but keeps a fraction as written: `5.0` or `4.99999999999999999999`
 * (which JSON.parse, and so the schema and the MAC, read as 5) failed
 * `CAST(... AS BIGINT)` ("invalid input syntax for type bigint") and stopped
 * the whole report; found by a probe. The text is read as NUMERIC (exact for
 * plain integers), whose cast to BIGINT rounds to the nearest integer
 * (https://www.postgresql.org/docs/current/datatype-numeric.html): the
 * integer JSON.parse reads for every value the schema accepts (uint32).
 */
export function jsonBigint(dialect: Dialect, path: string, from: JsonFrom = 'text'): string {
  const v = jsonValue(dialect, path, from);
  if (dialect === 'sqlite') return v;
  return dialect === 'mssql' ? `COALESCE(TRY_CONVERT(BIGINT, ${v}), TRY_CONVERT(BIGINT, TRY_CONVERT(FLOAT(53), ${v})))` : `CAST(CAST(${v} AS NUMERIC) AS BIGINT)`;
}

/**
 * The node an event comes from: the Swarm node (column), else the Kubernetes
 * node (column, else `runtime.k8s_node` in `event_json`), else the host
 * (`runtime.host`), else the HOSTNAME of the syslog message it arrived in
 * (column), whichever is known. The event's own word comes before the
 * syslog header's, which any sender on the network can write. COALESCE
 * reads `event_json` only when both node columns are NULL.
 */
export function nodeOf(dialect: Dialect, from: JsonFrom = 'text'): string {
  // The k8s_node column holds the event's node, else the collector's (Fluent
  // Bit's kubernetes.host); rows stored before the column existed have it
  // NULL, and their event's own node is still read from the JSON.
  return `COALESCE(swarm_node, k8s_node, ${jsonValue(dialect, 'runtime.k8s_node', from)}, ${jsonValue(dialect, 'runtime.host', from)}, syslog_host)`;
}

/**
 * What tells one container from another in a count: `container_id`, else,
 * for an event that names no id (a Kubernetes audit event names the pod and
 * the container's name), `namespace/pod/container_name`; NULL (not counted)
 * when there is neither. SQL Server joins text with `+`, the others with `||`.
 */
export function containerKey(dialect: Dialect): string {
  const [join, empty] = dialect === 'mssql' ? [' + ', "N''"] : [' || ', "''"];
  const slash = dialect === 'mssql' ? "N'/'" : "'/'";
  const pod = [`COALESCE(k8s_namespace, ${empty})`, slash, 'k8s_pod', slash, `COALESCE(container_name, ${empty})`].join(join);
  return `COALESCE(container_id, CASE WHEN k8s_pod IS NOT NULL THEN ${pod} END)`;
}

/** True when a JSON boolean in `event_json` is `true` (SQLite's json_extract returns 1). */
export function jsonTrue(dialect: Dialect, path: string, from: JsonFrom = 'text'): string {
  const v = jsonValue(dialect, path, from);
  return dialect === 'sqlite' ? `${v} = 1` : `${v} = 'true'`;
}

/**
 * A text `column` as an ORDER BY key that sorts as SQLite sorts it (BINARY:
 * byte by byte of its UTF-8), whatever the database's collation: on
 * PostgreSQL under the "C" collation. Under a linguistic one (en_US.UTF-8,
 * ICU), which most servers are created with, `alpha` came before `Zeta` and
 * `2001:db8::10` before `2001:db8:0:1::1`, so the groups the bursts,
 * shells-by-image and rejects reports list as ties came in another order
 * than on SQLite (found by a probe). SQL Server keeps its collation.
 */
export function textOrder(dialect: Dialect, column: string): string {
  return dialect === 'postgres' ? `${column} COLLATE "C"` : column;
}

/**
 * A text `column` as ORDER BY keys that put NULL last on every database
 * (then {@link textOrder}): SQLite and SQL Server sort NULL first,
 * PostgreSQL last (`shells-by-image` listed the groups without an image or
 * node in another order on each; found by a probe). SQL Server has no NULLS
 * LAST, hence the CASE.
 */
export function nullsLast(dialect: Dialect, column: string): string {
  return `CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END, ${textOrder(dialect, column)}`;
}
