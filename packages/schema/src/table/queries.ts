import type { Dialect } from './columns.js';
import { containerKey, eventsTable, eventsWithDoc, jsonBigint, jsonValue, laterByMinutes, nodeOf, nullsLast, reasonCode, rejectsTable, sinceDays, textOrder, withinMinutes } from './query-sql.js';
import { commandProgram, launchesCte, MAX_CHARS, MAX_STEPS, shellOpened, shellUnresolved, withRecursive } from './shell-commands.js';

/** Names of the forensic report queries (also the file names under `sql/queries/<dialect>/`). */
export const REPORT_QUERY_NAMES = [
  'webauthn-failures',
  'failures-by-user-ip',
  'failure-bursts-by-ip',
  'counter-regressions',
  'container-shell-sessions',
  'container-shells',
  'rejects-by-reason',
  'future-dated-events',
] as const;

/** One of {@link REPORT_QUERY_NAMES}. */
export type ReportQueryName = (typeof REPORT_QUERY_NAMES)[number];

/** A named integer parameter of a report query (`:name` in the SQL text). */
export interface QueryParam {
  name: string;
  description: string;
  default: number;
  min: number;
  max: number;
}

/** A forensic query analysts run against `security_audit_events`, in every dialect. */
export interface ReportQuery {
  name: ReportQueryName;
  title: string;
  description: string;
  params: readonly QueryParam[];
  /** Columns of the result, in order. */
  columns: readonly string[];
  /**
   * The columns holding integers (counts, counters). Drivers return 64-bit
   * integers as text (pg, mssql), so a reader turns these, and only these,
   * back into numbers: a user id "00123" stays text.
   */
  integerColumns: readonly string[];
  /** SQL per dialect, with `:param` tokens. Babelfish uses the `mssql` text. */
  sql: Readonly<Record<Dialect, string>>;
}

const days: QueryParam = { name: 'days', description: 'Look back this many days', default: 90, min: 1, max: 36_500 };

const perDialect = (build: (d: Dialect) => string): Record<Dialect, string> => ({
  mssql: build('mssql'),
  postgres: build('postgres'),
  sqlite: build('sqlite'),
});

/**
 * The WITH clause of the shell reports: `launches`, the command lines a
 * launcher starts, read word by word (shell-commands.ts), and `execs`, the
 * CONTAINER_EXEC rows of the last :days days (and `extra` conditions), with
 * the program their command line starts (`program`: the first word's base
 * name, in lower case); shellOpened reads both.
 */
function containerExecs(d: Dialect, extra: string): string {
  // PostgreSQL: OFFSET 0 keeps shellOpened's `id IN (... launches)` above execs. Pushed into the
  // LATERAL of eventsWithDoc, rescanned per row, it had its hash table's cost charged on every row:
  // estimated at 216 000 over 2000 rows, the report was JIT-compiled, 23 ms became 120 ms.
  return `${withRecursive(d)} ${launchesCte(d)},
execs AS (
  SELECT *,
         ${commandProgram(d)} AS program
  FROM ${eventsWithDoc(d)}
  WHERE event_type = 'CONTAINER_EXEC'${extra}
    AND ${sinceDays(d, 'event_timestamp', 'days')}${d === 'postgres' ? '\n  OFFSET 0' : ''}
)`;
}

/** The command lines the shell reports count (shell-commands.ts), for their descriptions. */
const SHELL_COMMANDS =
  'starts a known shell; or su, login, newgrp, tmux, screen, runuser USER, sudo -i, sudo -s or doas -s, which open one; or a shell through sudo, doas, su -c, ' +
  'runuser, gosu, su-exec, setsid, nice, nohup, timeout, stdbuf, nsenter, unshare, chroot, script -c, ionice, taskset, chrt, flock, setpriv, sg, ' +
  'tini, dumb-init, unbuffer, xargs, watch, busybox or env, past their options ' +
  '(chroot with no command, nsenter, unshare and script open one themselves); or python running pty.spawn of a shell';

/** The command lines the shell reports count without telling (shell-commands.ts, UNRESOLVED), for their descriptions. */
const UNRESOLVED_LINES =
  `a command line whose launchers are not read to their end within ${MAX_STEPS} words (and option letters) or ${MAX_CHARS} characters ` +
  '(env A=1 A=1 ... bash)';

/**
 * The report queries, keyed by name. `failures-by-user-ip` on SQL Server is
 * the reference query of the seed table, byte for byte (with `:days` = 90).
 */
export const REPORT_QUERIES: Readonly<Record<ReportQueryName, ReportQuery>> = {
  'webauthn-failures': {
    name: 'webauthn-failures',
    title: 'WebAuthn registration and authentication failures by user, IP and node',
    description:
      'Every failed WebAuthn ceremony of the last :days days, newest first: WEBAUTHN_REG_FAILURE, WEBAUTHN_AUTH_FAILURE, ' +
      'and WEBAUTHN_COUNTER_REGRESSION where the sign-in was rejected (outcome failure), with the user, source IP, ' +
      'error, node (Swarm node, else Kubernetes node, else host) and service.',
    params: [days],
    columns: ['event_timestamp', 'event_type', 'user_id', 'client_ip', 'error_details', 'node', 'service'],
    integerColumns: [],
    sql: perDialect(
      (d) => `SELECT event_timestamp, event_type, user_id, client_ip, error_details,
       ${nodeOf(d)} AS node,
       service
FROM ${eventsTable(d)}
WHERE event_type IN ('WEBAUTHN_REG_FAILURE', 'WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_COUNTER_REGRESSION')
  AND outcome = 'failure'
  AND ${sinceDays(d, 'event_timestamp', 'days')}
ORDER BY event_timestamp DESC, id DESC;`,
    ),
  },
  'failures-by-user-ip': {
    name: 'failures-by-user-ip',
    title: 'WebAuthn authentication failures with user and IP',
    description: 'Every WEBAUTHN_AUTH_FAILURE in the last :days days, newest first (the reference analyst query).',
    params: [days],
    columns: ['event_timestamp', 'user_id', 'client_ip', 'error_details', 'swarm_node'],
    integerColumns: [],
    // Failures at one instant come newest row first, as in the other lists: left to the database,
    // their order was undefined. SQL Server keeps the reference query byte for byte.
    sql: perDialect(
      (d) => `SELECT event_timestamp, user_id, client_ip, error_details, swarm_node
FROM ${eventsTable(d)}
WHERE event_type = 'WEBAUTHN_AUTH_FAILURE'
  AND ${sinceDays(d, 'event_timestamp', 'days')}
ORDER BY event_timestamp DESC${d === 'mssql' ? '' : ', id DESC'};`,
    ),
  },
  'failure-bursts-by-ip': {
    name: 'failure-bursts-by-ip',
    title: 'Bursts of WebAuthn failures per source IP',
    description:
      'Source IPs with at least :min_failures WebAuthn failures (authentication or registration) within :window_minutes ' +
      'minutes, in the last :days days. peak_failures is the most failures in any such window, peak_users the most ' +
      'distinct users in one window (many users: credential stuffing; one user: targeted guessing).',
    params: [
      days,
      { name: 'window_minutes', description: 'Width of the sliding window', default: 10, min: 1, max: 10_080 },
      { name: 'min_failures', description: 'Failures in one window that make a burst', default: 5, min: 2, max: 1_000_000 },
    ],
    columns: ['client_ip', 'peak_failures', 'peak_users', 'first_burst_at', 'last_burst_at'],
    integerColumns: ['peak_failures', 'peak_users'],
    // A window starts at each failure; the window with the most failures
    // starts at some failure, so this finds the true sliding-window peak.
    // Only windows that hold :min_failures are joined: a window starting at a
    // failure does when the (:min_failures - 1)th failure after it, of the
    // same IP in (time, id) order, falls inside it (of failures at one
    // instant, the first in that order stands for all, with the same
    // window). Joining every window made the report quadratic in one IP's
    // failures: 20 000 from one IP with no burst took 164 s on SQLite and
    // 28 s on PostgreSQL (found by a probe). The bursts are computed first
    // (MATERIALIZED; SQLite's CROSS JOIN keeps them the outer loop), so the
    // join costs bursts x failures of their IP, nothing without a burst.
    // The failures are MATERIALIZED too: SQLite otherwise ran their CTE
    // again for every burst, reading every failure of the last :days days
    // through the (event_type, event_timestamp) index, all IPs alike, where
    // over the materialized rows it builds an index on client_ip (10 000
    // failures from 100 IPs in 50 minutes, a burst each: 39 s against 0.4 s,
    // PostgreSQL 1.3 s; found by a probe). PostgreSQL materializes a CTE
    // read twice anyway.
    sql: perDialect(
      (d) => `WITH failures AS${d === 'mssql' ? '' : ' MATERIALIZED'} (
  SELECT id, client_ip, user_id, event_timestamp
  FROM ${eventsTable(d)}
  WHERE event_type IN ('WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_REG_FAILURE')
    AND client_ip IS NOT NULL
    AND ${sinceDays(d, 'event_timestamp', 'days')}
),
starts AS (
  SELECT id, client_ip, event_timestamp,
         LEAD(event_timestamp, :min_failures - 1) OVER (PARTITION BY client_ip ORDER BY event_timestamp, id) AS nth_after
  FROM failures
),
bursts AS${d === 'mssql' ? '' : ' MATERIALIZED'} (
  SELECT id, client_ip, event_timestamp
  FROM starts
  WHERE nth_after IS NOT NULL
    AND ${withinMinutes(d, 'nth_after', 'event_timestamp', 'window_minutes')}
),
windows AS (
  SELECT w.id, w.client_ip, w.event_timestamp AS window_start,
         MAX(f.event_timestamp) AS window_end,
         COUNT(*) AS failures,
         COUNT(DISTINCT f.user_id) AS users
  FROM bursts w
  ${d === 'sqlite' ? 'CROSS JOIN' : 'JOIN'} failures f
    ON f.client_ip = w.client_ip
   AND ${withinMinutes(d, 'f.event_timestamp', 'w.event_timestamp', 'window_minutes')}
  GROUP BY w.id, w.client_ip, w.event_timestamp
  HAVING COUNT(*) >= :min_failures
)
SELECT client_ip,
       MAX(failures) AS peak_failures,
       MAX(users) AS peak_users,
       MIN(window_start) AS first_burst_at,
       MAX(window_end) AS last_burst_at
FROM windows
GROUP BY client_ip
ORDER BY peak_failures DESC, ${textOrder(d, 'client_ip')};`,
    ),
  },
  'counter-regressions': {
    name: 'counter-regressions',
    title: 'WebAuthn signature counter regressions (possible cloned authenticators)',
    description:
      'Every WEBAUTHN_COUNTER_REGRESSION in the last :days days: a validly signed assertion whose counter did not ' +
      'increase over the stored value (WebAuthn §6.1.1), newest first.',
    params: [days],
    columns: ['event_timestamp', 'user_id', 'credential_id', 'sign_count', 'stored_sign_count', 'client_ip', 'service'],
    integerColumns: ['sign_count', 'stored_sign_count'],
    sql: perDialect(
      (d) => `SELECT event_timestamp, user_id, credential_id, sign_count,
       ${jsonBigint(d, 'webauthn.stored_sign_count')} AS stored_sign_count,
       client_ip, service
FROM ${eventsTable(d)}
WHERE event_type = 'WEBAUTHN_COUNTER_REGRESSION'
  AND ${sinceDays(d, 'event_timestamp', 'days')}
ORDER BY event_timestamp DESC, id DESC;`,
    ),
  },
  'container-shell-sessions': {
    name: 'container-shell-sessions',
    title: 'Shells opened in containers: when, where, by which user, with what command',
    description:
      'Every CONTAINER_EXEC of the last :days days that opened a shell (a TTY or interactive session, or a command ' +
      `line that, in any case, ${SHELL_COMMANDS}), newest first: its outcome (failure: refused, e.g. a Kubernetes exec the ` +
      'API server denied), node, Kubernetes namespace and pod, container, the container it reaches (target_container: ' +
      'kubectl debug --target, whose processes and files a debug container sees), image, the user the process ran as in the ' +
      'container (exec_user), the person (user_id) where the detector knew one (the Kubernetes audit log names the ' +
      'authenticated user) and whom they acted as (impersonated_user_id, Kubernetes --as), the command line, the detector, ' +
      `and unresolved (1: ${UNRESOLVED_LINES}, counted as a shell: whether it opened one is for a person to read).`,
    params: [days],
    columns: [
      'event_timestamp',
      'outcome',
      'node',
      'k8s_namespace',
      'k8s_pod',
      'container_name',
      'target_container',
      'container_id',
      'image',
      'exec_user',
      'user_id',
      'impersonated_user_id',
      'command_line',
      'detector',
      'unresolved',
    ],
    integerColumns: ['unresolved'],
    sql: perDialect(
      (d) => `${containerExecs(d, '')}
SELECT event_timestamp, outcome,
       ${nodeOf(d, 'doc')} AS node,
       k8s_namespace, k8s_pod,
       container_name,
       ${jsonValue(d, 'container.target', 'doc')} AS target_container,
       container_id, image,
       ${jsonValue(d, 'process.exec_user', 'doc')} AS exec_user,
       user_id,
       ${jsonValue(d, 'impersonated_user_id', 'doc')} AS impersonated_user_id,
       command_line,
       ${jsonValue(d, 'detector.name', 'doc')} AS detector,
       ${shellUnresolved(d)} AS unresolved
FROM execs
WHERE ${shellOpened(d)}
ORDER BY event_timestamp DESC, id DESC;`,
    ),
  },
  'container-shells': {
    name: 'container-shells',
    title: 'Shells opened in containers, by image and node',
    description:
      'CONTAINER_EXEC events of the last :days days that opened a shell (a TTY or interactive session, or a command ' +
      `line that, in any case, ${SHELL_COMMANDS}) and were not refused (outcome other than failure), grouped by image and node ` +
      '(Swarm node, else Kubernetes node, else host). A container is counted by its id, else (a Kubernetes audit ' +
      'event names no id) by its namespace, pod and name. ' +
      `Unresolved counts those among the shells that are ${UNRESOLVED_LINES}, counted as shells.`,
    params: [days],
    columns: ['image', 'node', 'shells', 'containers', 'users', 'first_at', 'last_at', 'unresolved'],
    integerColumns: ['shells', 'containers', 'users', 'unresolved'],
    sql: perDialect(
      (d) => `${containerExecs(d, "\n    AND outcome <> 'failure'")},
shell_execs AS (
  SELECT image,
         ${nodeOf(d, 'doc')} AS node,
         ${containerKey(d)} AS container_key,
         user_id, event_timestamp,
         ${shellUnresolved(d)} AS unresolved
  FROM execs
  WHERE ${shellOpened(d)}
)
SELECT image, node,
       COUNT(*) AS shells,
       COUNT(DISTINCT container_key) AS containers,
       COUNT(DISTINCT user_id) AS users,
       MIN(event_timestamp) AS first_at,
       MAX(event_timestamp) AS last_at,
       SUM(unresolved) AS unresolved
FROM shell_execs
GROUP BY image, node
ORDER BY shells DESC, ${nullsLast(d, 'image')}, ${nullsLast(d, 'node')};`,
    ),
  },
  'rejects-by-reason': {
    name: 'rejects-by-reason',
    title: 'Refused input, by reason and source',
    description:
      'Rows of security_audit_rejects received in the last :days days, counted by reason code (the text before the ' +
      'first colon: DB_REFUSED, CHAIN_POSITION_CONFLICT, CONTAINER_EVENT_UNTRUSTED_TAG...; SCHEMA_INVALID for ' +
      'validation issues) and source (receiver and peer), most first. Forged or garbled input shows up here.',
    params: [days],
    columns: ['reason_code', 'source', 'rejects', 'first_at', 'last_at'],
    integerColumns: ['rejects'],
    sql: perDialect(
      (d) => `WITH refused AS (
  SELECT ${reasonCode(d)} AS reason_code,
         source, received_at
  FROM ${rejectsTable(d)}
  WHERE ${sinceDays(d, 'received_at', 'days')}
)
SELECT reason_code, source,
       COUNT(*) AS rejects,
       MIN(received_at) AS first_at,
       MAX(received_at) AS last_at
FROM refused
GROUP BY reason_code, source
ORDER BY rejects DESC, ${textOrder(d, 'reason_code')}, ${textOrder(d, 'source')};`,
    ),
  },
  'future-dated-events': {
    name: 'future-dated-events',
    title: 'Events dated after they arrived',
    description:
      'Events of the last :days days whose event_time lies more than :skew_minutes minutes after the database stored ' +
      'them (ingested_at): a producer whose clock runs ahead, or a record dated forward so that it stays at the top of ' +
      'every newest-first report. Latest-dated first, with the service and node that produced them.',
    params: [days, { name: 'skew_minutes', description: 'Clock difference tolerated, in minutes', default: 5, min: 0, max: 525_600 }],
    columns: ['event_timestamp', 'ingested_at', 'event_type', 'service', 'node', 'user_id', 'source_tag', 'event_id'],
    integerColumns: [],
    sql: perDialect(
      (d) => `SELECT event_timestamp, ingested_at, event_type, service,
       ${nodeOf(d)} AS node,
       user_id, source_tag, event_id
FROM ${eventsTable(d)}
WHERE ${sinceDays(d, 'event_timestamp', 'days')}
  AND ${laterByMinutes(d, 'event_timestamp', 'ingested_at', 'skew_minutes')}
ORDER BY event_timestamp DESC, id DESC;`,
    ),
  },
};
