/**
 * Events for the SQL report tests, timed relative to "now", and an
 * independent JavaScript oracle for what each report query must return.
 */
import { expect } from 'vitest';
import {
  exampleEvents,
  newEventId,
  parseAuditEvent,
  toRow,
  type AuditEvent,
  type ColumnValue,
  type EventType,
} from '../../src/index.js';

const DAY = 86_400_000;
const MIN = 60_000;
const FIXTURE_CHAIN = newEventId();

/** An event of `type` copied from the examples, with a fresh id and the given time and overrides. */
function make(type: EventType, at: number, patch: Record<string, unknown> = {}): AuditEvent {
  const base = structuredClone(exampleEvents[type]) as Record<string, unknown>;
  // Fixtures use their own chain, so the examples' (chain_id, seq) stay free for other tests.
  delete base.integrity;
  const signed = exampleEvents[type as 'AUDIT_CHAIN_OPEN'].integrity;
  if (type.startsWith('AUDIT_CHAIN') || type === 'AUDIT_CHECKPOINT') base.integrity = { ...signed, chain_id: FIXTURE_CHAIN };
  const input = { ...base, event_id: newEventId(), event_time: new Date(at).toISOString(), ...patch };
  const parsed = parseAuditEvent(input);
  if (!parsed.ok) throw new Error(`fixture ${type} invalid: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
}

const failure = (at: number, user: string, ip: string) => make('WEBAUTHN_AUTH_FAILURE', at, { user_id: user, client_ip: ip });

/** The fixture events: every example type once, plus failures, bursts, regressions and shells at known ages. */
export function reportFixtures(now: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  // Plain failures at 1, 10, 40 and 100 days.
  events.push(failure(now - 1 * DAY, 'u_alice', '198.51.100.7'));
  events.push(failure(now - 10 * DAY, 'u_bob', '2001:db8::42'));
  events.push(failure(now - 40 * DAY, 'u_carol', '198.51.100.9'));
  events.push(failure(now - 100 * DAY, 'u_dave', '198.51.100.10'));
  // A burst: 6 failures within 5 minutes from one IP, three users (one registration failure among them).
  const burst = now - 2 * DAY;
  ['u_e1', 'u_e2', 'u_e3', 'u_e1', 'u_e2'].forEach((u, i) => events.push(failure(burst + i * MIN, u, '192.0.2.66')));
  events.push(make('WEBAUTHN_REG_FAILURE', burst + 5 * MIN - 1000, { user_id: 'u_e3', client_ip: '192.0.2.66' }));
  // Below the threshold: 4 failures within 5 minutes.
  for (let i = 0; i < 4; i++) events.push(failure(now - 3 * DAY + i * MIN, 'u_f', '192.0.2.77'));
  // Spread out: 6 failures 20 minutes apart (a burst only with a 60-minute window and 3 failures).
  // 20 minutes and 7 seconds apart, so no failure sits on a window edge.
  for (let i = 0; i < 6; i++) events.push(failure(now - 4 * DAY + i * (20 * MIN + 7000), 'u_g', '192.0.2.88'));
  // Counter regressions at 5 and 100 days.
  events.push(make('WEBAUTHN_COUNTER_REGRESSION', now - 5 * DAY, { user_id: 'u_clone' }));
  events.push(make('WEBAUTHN_COUNTER_REGRESSION', now - 100 * DAY, { user_id: 'u_old' }));
  // One the policy let through (outcome success): a regression, not a failed sign-in.
  const kept = structuredClone(exampleEvents.WEBAUTHN_COUNTER_REGRESSION) as Record<string, unknown>;
  events.push(make('WEBAUTHN_COUNTER_REGRESSION', now - 5.5 * DAY, { user_id: 'u_kept', outcome: 'success', severity: 3, webauthn: kept.webauthn }));
  // A registration failure on a Kubernetes node, outside the burst.
  events.push(make('WEBAUTHN_REG_FAILURE', now - 12 * DAY, { user_id: 'u_h', client_ip: '203.0.113.5', runtime: { k8s_namespace: 'auth', k8s_pod: 'login-7d9', k8s_node: 'worker-7' } }));
  // Shells: three bash sessions on a Swarm node in two containers, one `sh -c` on a Kubernetes node.
  const swarmExec = (at: number, id: string, cmd: string, tty: boolean) =>
    // As the Docker event stream reports them: no person, no in-container user.
    make('CONTAINER_EXEC', at, {
      user_id: undefined,
      detector: { name: 'docker-events' },
      runtime: { swarm_node: 'node-b', swarm_service: 'web_api' },
      container: { id, name: 'web_api.1', image: 'registry.example.com/web-api:3.1.0' },
      process: { command_line: cmd, tty },
    });
  events.push(swarmExec(now - 6 * DAY, 'aaaaaaaaaaaa', 'bash', true));
  events.push(swarmExec(now - 7 * DAY, 'aaaaaaaaaaaa', '/bin/bash -l', false));
  events.push(swarmExec(now - 8 * DAY, 'bbbbbbbbbbbb', 'python3 -i', true));
  events.push(make('CONTAINER_EXEC', now - 9 * DAY, { process: { command_line: '/bin/sh -c id', tty: false } }));
  // Shells by another spelling: upper case, through env or busybox; and a command that only names one.
  events.push(swarmExec(now - 6.2 * DAY, 'eeeeeeeeeeee', 'BASH -i', false));
  events.push(swarmExec(now - 6.3 * DAY, 'eeeeeeeeeeee', '/usr/bin/env bash', false));
  events.push(swarmExec(now - 6.4 * DAY, 'eeeeeeeeeeee', 'busybox sh', false));
  events.push(swarmExec(now - 6.5 * DAY, 'eeeeeeeeeeee', 'ls -l /bin/sh /tmp', false));
  // env with its options and variables before the shell (they hid it; found by a probe), and words
  // that only mention one: a variable's value, busybox running another applet.
  events.push(swarmExec(now - 6.52 * DAY, 'eeeeeeeeeeee', 'env -i bash', false));
  events.push(swarmExec(now - 6.53 * DAY, 'eeeeeeeeeeee', '/usr/bin/env -u HOME TERM=xterm /bin/sh -l', false));
  events.push(swarmExec(now - 6.54 * DAY, 'eeeeeeeeeeee', 'env SHELL=/bin/bash python3 app.py', false));
  events.push(swarmExec(now - 6.55 * DAY, 'eeeeeeeeeeee', 'busybox ls /bin/sh', false));
  // The longest command line, without a space: the shell test must not fail on it (SQL Server's LEFT with length -1).
  events.push(swarmExec(now - 6.6 * DAY, 'eeeeeeeeeeee', `/usr/bin/${'x'.repeat(3991)}`, false));
  // Shells opened through the Kubernetes API, as the kube-apiserver audit log reports them
  // (ingest-sink normalize/k8s-audit.ts): the person, no container id, the pod and container by name.
  const k8sExec = (at: number, patch: Record<string, unknown>) =>
    make('CONTAINER_EXEC', at, {
      user_id: 'alice@example.com',
      client_ip: '198.51.100.20',
      client_ip_source: 'socket',
      user_agent: 'kubectl/v1.33.3 (linux/amd64) kubernetes/80779bd',
      detector: { name: 'kubernetes-audit', rule: 'pods/exec' },
      runtime: { k8s_namespace: 'shop', k8s_pod: 'cart-5d8f7c9b4-x2x7q', k8s_container: 'app' },
      container: { name: 'app' },
      process: { command_line: '/bin/sh', tty: true, interactive: true },
      ...patch,
    });
  events.push(k8sExec(now - 2.5 * DAY, {}));
  // The same container again, acting as a service account (kubectl --as): one container, one person.
  events.push(k8sExec(now - 2.6 * DAY, { impersonated_user_id: 'system:serviceaccount:shop:deployer', process: { command_line: 'bash', tty: true, interactive: true } }));
  // kubectl debug -it --target=app: a debug container added to the pod, reaching the app container.
  events.push(
    k8sExec(now - 2.55 * DAY, {
      user_id: 'bob@example.com',
      detector: { name: 'kubernetes-audit', rule: 'pods/ephemeralcontainers' },
      runtime: { k8s_namespace: 'shop', k8s_pod: 'cart-5d8f7c9b4-x2x7q', k8s_container: 'debugger-7xk2p' },
      container: { name: 'debugger-7xk2p', image: 'busybox:1.36', target: 'app' },
      process: { command_line: 'sh', tty: true, interactive: true },
    }),
  );
  // Refused by the API server (403): listed as an attempt, not counted as a shell opened.
  events.push(
    k8sExec(now - 3.5 * DAY, {
      user_id: 'mallory@example.com',
      outcome: 'failure',
      error: { code: 'K8S_FORBIDDEN', message: 'pods "cart-5d8f7c9b4-x2x7q" is forbidden: User "mallory@example.com" cannot create resource "pods/exec"' },
      process: { command_line: '/bin/bash', tty: true, interactive: true },
    }),
  );
  // Not shells, or too old.
  events.push(k8sExec(now - 2.7 * DAY, { user_id: 'bob@example.com', runtime: { k8s_namespace: 'shop', k8s_pod: 'cart-5d8f7c9b4-q9p2m' }, container: {}, process: { command_line: 'ls /', tty: false, interactive: false } }));
  events.push(swarmExec(now - 6 * DAY, 'cccccccccccc', '/usr/bin/python3 manage.py migrate', false));
  events.push(swarmExec(now - 200 * DAY, 'dddddddddddd', 'bash', true));
  // Dated after they arrive (the rows go in at the test's start, just after `now`): two days ahead,
  // from a node whose clock runs fast, and two minutes ahead, within the default 5 minutes' skew.
  events.push(make('CONTAINER_START', now + 2 * DAY, { runtime: { swarm_node: 'node-fast', swarm_service: 'clock' }, producer: { service: 'clock-ahead' } }));
  events.push(make('CONTAINER_STOP', now + 2 * MIN, { runtime: { host: 'host-slightly-ahead' }, producer: { service: 'clock-near' } }));
  // One of every other type, so queries are seen to ignore them.
  for (const type of Object.keys(exampleEvents) as EventType[]) {
    if (!['WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_COUNTER_REGRESSION', 'CONTAINER_EXEC', 'WEBAUTHN_REG_FAILURE'].includes(type)) {
      events.push(make(type, now - 3 * DAY));
    }
  }
  return events;
}

/** A row of `security_audit_rejects` for the report tests (`received_at` given, not defaulted). */
export interface RejectFixture {
  received_at: string;
  source: string;
  reason: string;
  raw_payload: string;
}

/** Rejects at known ages: every kind of reason code, one outside the default 90 days. */
export function rejectFixtures(now: number): RejectFixture[] {
  const at = (days: number, minutes = 0) => new Date(now - days * DAY + minutes * MIN).toISOString();
  const untrusted = 'CONTAINER_EVENT_UNTRUSTED_TAG: a CONTAINER_EXEC from docker-events arrived with tag "swarm.audit.n1.web.t1", which containerEventTags does not list';
  return [
    { received_at: at(1), source: 'forward:10.0.0.5:50312', reason: '[{"path":"user_id","message":"must not contain control characters"}]', raw_payload: '{"user_id":"x"}' },
    { received_at: at(2), source: 'forward:10.0.0.5:50312', reason: '[{"path":"event_type","message":"unknown event_type"}]', raw_payload: '{}' },
    { received_at: at(3), source: 'forward:10.0.0.9:41000', reason: untrusted, raw_payload: '{"Type":"container"}' },
    { received_at: at(3, 5), source: 'forward:10.0.0.9:41000', reason: untrusted, raw_payload: '{"Type":"container"}' },
    { received_at: at(6), source: 'forward:10.0.0.9:41000', reason: untrusted, raw_payload: '{"Type":"container"}' },
    { received_at: at(4), source: 'direct', reason: `CHAIN_POSITION_CONFLICT: chain_id=${FIXTURE_CHAIN} seq=3 is already held by event_id=x`, raw_payload: '{}' },
    { received_at: at(5), source: 'syslog-tcp:10.0.0.7:5140', reason: 'a reason without a code', raw_payload: 'x' },
    { received_at: at(200), source: 'direct', reason: 'DB_REFUSED: postgres: value too long for type character varying(64)', raw_payload: '{}' },
  ];
}

/** The row `toRow` builds, with `event_json` the event as JSON text. */
export function rowOf(event: AuditEvent): ColumnValue[] {
  return toRow(event, { raw: JSON.stringify(event), source_tag: 'test' });
}

type Row = Record<string, string | number | null>;
const since = (now: number, days: number) => (e: AuditEvent) => Date.parse(e.event_time) >= now - days * DAY;
const byTimeDesc = (a: AuditEvent, b: AuditEvent) => b.event_time.localeCompare(a.event_time);

type Exec = Extract<AuditEvent, { event_type: 'CONTAINER_EXEC' }>;

/** The node column of the reports: Swarm node, else Kubernetes node, else host. */
const nodeOf = (e: AuditEvent) => e.runtime?.swarm_node ?? e.runtime?.k8s_node ?? e.runtime?.host ?? null;

/** The container_id column (toRow): the event's container, whose id a Kubernetes audit event does not know. */
const containerIdOf = (e: Exec) => e.container.id ?? e.runtime?.container_id ?? null;

/** What tells containers apart in container-shells: the id, else namespace/pod/name; null (not counted) without either. */
function containerKeyOf(e: Exec): string | null {
  const r = e.runtime;
  return containerIdOf(e) ?? (r?.k8s_pod ? `${r.k8s_namespace ?? ''}/${r.k8s_pod}/${e.container.name ?? ''}` : null);
}

/** CONTAINER_EXEC events of the last `days` that opened a shell: a TTY, an interactive session, or a shell command. */
const SHELL_NAMES = ['sh', 'bash', 'rbash', 'ash', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'pwsh', 'pwsh.exe', 'powershell', 'powershell.exe', 'cmd', 'cmd.exe'];

/**
 * The command line starts a shell, in lower case: its first word's base name; busybox's next
 * word's; or env's first word that is no option (-u's argument skipped) nor NAME=value. The
 * fixtures' spellings only: the other launchers have their own test (report-suite.ts).
 */
function startsShell(commandLine: string): boolean {
  const [first = '', second = '', ...rest] = commandLine.toLowerCase().split(' ');
  const base = (w: string) => w.slice(w.lastIndexOf('/') + 1);
  const envProgram = [second, ...rest].find((w, i, ws) => !w.startsWith('-') && !w.includes('=') && ws[i - 1] !== '-u') ?? '';
  return (
    SHELL_NAMES.includes(base(first)) ||
    (base(first) === 'busybox' && SHELL_NAMES.includes(base(second))) ||
    (base(first) === 'env' && SHELL_NAMES.includes(base(envProgram)))
  );
}

/** Text order with null last, as the reports sort (SQLite and SQL Server put NULL first by themselves). */
const nullsLast = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

function shellExecs(events: AuditEvent[], now: number, days: number): Exec[] {
  return events.filter(
    (e): e is Exec => e.event_type === 'CONTAINER_EXEC' && since(now, days)(e) && (!!e.process.tty || !!e.process.interactive || startsShell(e.process.command_line)),
  );
}

/** What each report query must return for `events`, computed without SQL. */
export const oracle = {
  'failures-by-user-ip'(events: AuditEvent[], now: number, p: { days: number }): Row[] {
    return events
      .filter((e) => e.event_type === 'WEBAUTHN_AUTH_FAILURE' && since(now, p.days)(e))
      .sort(byTimeDesc)
      .map((e) => ({
        event_timestamp: e.event_time,
        user_id: e.user_id ?? null,
        client_ip: e.client_ip ?? null,
        error_details: e.error ? `${e.error.code}: ${e.error.message}` : null,
        swarm_node: e.runtime?.swarm_node ?? null,
      }));
  },
  'failure-bursts-by-ip'(events: AuditEvent[], now: number, p: { days: number; window_minutes: number; min_failures: number }): Row[] {
    const fails = events.filter(
      (e) => (e.event_type === 'WEBAUTHN_AUTH_FAILURE' || e.event_type === 'WEBAUTHN_REG_FAILURE') && e.client_ip && since(now, p.days)(e),
    );
    const out: Row[] = [];
    for (const ip of [...new Set(fails.map((e) => e.client_ip!))].sort()) {
      const mine = fails.filter((e) => e.client_ip === ip).map((e) => ({ t: Date.parse(e.event_time), e }));
      const windows = mine
        .map(({ t }) => mine.filter((x) => x.t >= t && x.t < t + p.window_minutes * MIN))
        .filter((w) => w.length >= p.min_failures);
      if (!windows.length) continue;
      out.push({
        client_ip: ip,
        peak_failures: Math.max(...windows.map((w) => w.length)),
        peak_users: Math.max(...windows.map((w) => new Set(w.map((x) => x.e.user_id)).size)),
        first_burst_at: new Date(Math.min(...windows.map((w) => Math.min(...w.map((x) => x.t))))).toISOString(),
        last_burst_at: new Date(Math.max(...windows.map((w) => Math.max(...w.map((x) => x.t))))).toISOString(),
      });
    }
    return out.sort((a, b) => Number(b.peak_failures) - Number(a.peak_failures) || String(a.client_ip).localeCompare(String(b.client_ip)));
  },
  'counter-regressions'(events: AuditEvent[], now: number, p: { days: number }): Row[] {
    return events
      .filter((e) => e.event_type === 'WEBAUTHN_COUNTER_REGRESSION' && since(now, p.days)(e))
      .sort(byTimeDesc)
      .map((e) => {
        const w = (e as AuditEvent & { webauthn: Record<string, unknown> }).webauthn;
        return {
          event_timestamp: e.event_time,
          user_id: e.user_id ?? null,
          credential_id: w.credential_id as string,
          sign_count: w.sign_count as number,
          stored_sign_count: w.stored_sign_count as number,
          client_ip: e.client_ip ?? null,
          service: e.producer.service,
        };
      });
  },
  'webauthn-failures'(events: AuditEvent[], now: number, p: { days: number }): Row[] {
    const types = ['WEBAUTHN_REG_FAILURE', 'WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_COUNTER_REGRESSION'];
    return events
      .filter((e) => types.includes(e.event_type) && e.outcome === 'failure' && since(now, p.days)(e))
      .sort(byTimeDesc)
      .map((e) => ({
        event_timestamp: e.event_time,
        event_type: e.event_type,
        user_id: e.user_id ?? null,
        client_ip: e.client_ip ?? null,
        error_details: e.error ? `${e.error.code}: ${e.error.message}` : null,
        node: nodeOf(e),
        service: e.producer.service,
      }));
  },
  'container-shell-sessions'(events: AuditEvent[], now: number, p: { days: number }): Row[] {
    return shellExecs(events, now, p.days)
      .sort(byTimeDesc)
      .map((e) => ({
        event_timestamp: e.event_time,
        outcome: e.outcome,
        node: nodeOf(e),
        k8s_namespace: e.runtime?.k8s_namespace ?? null,
        k8s_pod: e.runtime?.k8s_pod ?? null,
        container_name: e.container.name ?? null,
        target_container: e.container.target ?? null,
        container_id: containerIdOf(e),
        image: e.container.image ?? null,
        exec_user: e.process.exec_user ?? null,
        user_id: e.user_id ?? null,
        impersonated_user_id: e.impersonated_user_id ?? null,
        command_line: e.process.command_line,
        detector: e.detector?.name ?? null,
        // The fixtures' launchers are all read to their end (report-suite.ts has those that are not).
        unresolved: 0,
      }));
  },
  'container-shells'(events: AuditEvent[], now: number, p: { days: number }): Row[] {
    // Shells opened: an attempt the API server refused (outcome failure) opened none.
    const execs = shellExecs(events, now, p.days)
      .filter((e) => e.outcome !== 'failure')
      .map((e) => ({ e, node: nodeOf(e) }));
    const groups = new Map<string, typeof execs>();
    for (const x of execs) {
      const key = JSON.stringify([x.e.container.image ?? null, x.node]);
      groups.set(key, [...(groups.get(key) ?? []), x]);
    }
    return [...groups.entries()]
      .map(([key, xs]) => {
        const [image, node] = JSON.parse(key) as [string | null, string | null];
        const times = xs.map((x) => x.e.event_time).sort();
        return {
          image,
          node,
          shells: xs.length,
          containers: new Set(xs.map((x) => containerKeyOf(x.e)).filter((k) => k !== null)).size,
          users: new Set(xs.map((x) => x.e.user_id).filter(Boolean)).size,
          first_at: times[0]!,
          last_at: times[times.length - 1]!,
          unresolved: 0,
        };
      })
      .sort((a, b) => b.shells - a.shells || nullsLast(a.image, b.image) || nullsLast(a.node, b.node));
  },
  'future-dated-events'(events: AuditEvent[], now: number, p: { days: number; skew_minutes: number }): Row[] {
    // The rows are stored a few seconds after `now`: ingested_at is that moment, so only its shape is known.
    return events
      .filter((e) => since(now, p.days)(e) && Date.parse(e.event_time) > now + p.skew_minutes * MIN)
      .sort(byTimeDesc)
      .map((e) => ({
        event_timestamp: e.event_time,
        ingested_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown as string,
        event_type: e.event_type,
        service: e.producer.service,
        node: nodeOf(e),
        user_id: e.user_id ?? null,
        source_tag: 'test',
        event_id: e.event_id,
      }));
  },
  'rejects-by-reason'(_events: AuditEvent[], now: number, p: { days: number }): Row[] {
    const code = (reason: string) => (reason.startsWith('[') ? 'SCHEMA_INVALID' : reason.includes(':') ? reason.slice(0, reason.indexOf(':')) : 'OTHER');
    const groups = new Map<string, string[]>();
    for (const r of rejectFixtures(now).filter((r) => Date.parse(r.received_at) >= now - p.days * DAY)) {
      const key = JSON.stringify([code(r.reason), r.source]);
      groups.set(key, [...(groups.get(key) ?? []), r.received_at]);
    }
    return [...groups.entries()]
      .map(([key, times]) => {
        const [reason_code, source] = JSON.parse(key) as [string, string];
        times.sort();
        return { reason_code, source, rejects: times.length, first_at: times[0]!, last_at: times.at(-1)! };
      })
      .sort((a, b) => b.rejects - a.rejects || a.reason_code.localeCompare(b.reason_code) || a.source.localeCompare(b.source));
  },
};

/** Result columns holding numbers (PostgreSQL returns BIGINT and COUNT as strings). */
const NUMERIC = new Set(['peak_failures', 'peak_users', 'sign_count', 'stored_sign_count', 'shells', 'containers', 'users', 'rejects', 'unresolved']);

/** A database row in the oracle's shape: dates as ISO text, counts as numbers. */
export function normalise(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Date) out[k] = v.toISOString();
    else if (NUMERIC.has(k) && v !== null) out[k] = Number(v);
    else out[k] = v as string | number | null;
  }
  return out;
}
