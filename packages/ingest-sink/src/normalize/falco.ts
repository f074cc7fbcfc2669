import { completeEvent, DEFAULT_SEVERITY, escapeControls, parseRfc3339, type AuditEventDraft, type AuditEventInput } from '@audit-trail/schema';
import { deterministicEventId } from './deterministic-id.js';

/** A Falco JSON alert (`json_output: true`): rule, priority, time, output_fields, and tags (`json_include_tags_property`, default on). */
interface FalcoAlert {
  rule?: string;
  priority?: string;
  time?: string;
  hostname?: string;
  output?: string;
  output_fields?: Record<string, unknown>;
  tags?: unknown;
}

/** True when a parsed JSON object has the shape of a Falco alert. */
export function isFalcoAlert(o: Record<string, unknown>): boolean {
  return typeof o.rule === 'string' && typeof o.priority === 'string' && typeof o.output_fields === 'object' && o.output_fields !== null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The schema's limit of `process.exec_user`. */
const EXEC_USER_MAX = 256;

/**
 * Falco's `user.name`, fitted to `process.exec_user`: cut to its 256 UTF-16
 * units, control characters shown as `\xNN`. The name comes from the
 * container's own /etc/passwd, which whoever built the image writes: one
 * longer than the schema allows made the whole alert a reject, so a shell
 * run as that user never reached the shell reports (found by a probe).
 * A cut name is no forgery: any 256 characters could be named in full.
 */
const execUser = (v: unknown): string | undefined => {
  const name = str(v);
  return name === undefined ? undefined : escapeControls(name, EXEC_USER_MAX);
};

/** Falco's stock rule for a container started privileged (`container_started and container.privileged=true`). */
const LAUNCH_PRIVILEGED = /^\s*launch privileged container\s*$/i;
/** Words of a rule about a process run in a container: "Terminal shell in container", a local "Shell in privileged container". */
const PROCESS_RULE = /\b(shell|terminal|exec|execution|spawned|command)\b/i;
/** Falco rule tags of a process run (falcosecurity/rules: "Terminal shell in container" is tagged shell and mitre_execution). */
const PROCESS_TAGS = new Set(['shell', 'process', 'mitre_execution']);

/**
 * Whether an alert is about a process started in the container, which is
 * what CONTAINER_EXEC records: by the syscall when the rule's output names
 * it (`evt.type`, in the stock rules' output since Falco 0.36: execve or
 * execveat), else by the rule's tags, else by its name. A "Read sensitive
 * file" alert names the process that opened the file (`proc.cmdline`, a
 * TTY), and stored as an exec it counted as a shell opened (found by a
 * probe).
 */
function isProcessStart(a: FalcoAlert, f: Record<string, unknown>): boolean {
  const syscall = str(f['evt.type']);
  if (syscall !== undefined) return syscall === 'execve' || syscall === 'execveat';
  if (Array.isArray(a.tags) && a.tags.some((t) => typeof t === 'string' && PROCESS_TAGS.has(t.toLowerCase()))) return true;
  return PROCESS_RULE.test(a.rule ?? '');
}

/**
 * OCSF `severity_id` of each Falco priority (falco.yaml `priority`, syslog's
 * levels; alerts spell them capitalised: "Critical"): Emergency 6 Fatal,
 * Alert and Critical 5 Critical, Error 4 High, Warning 3 Medium, Notice 2
 * Low, Informational and Debug 1 Informational.
 */
const FALCO_SEVERITY: Record<string, number> = { emergency: 6, alert: 5, critical: 5, error: 4, warning: 3, notice: 2, informational: 1, info: 1, debug: 1 };

/**
 * Maps a Falco alert about a container to a CONTAINER_* event: "Launch
 * Privileged Container" -> CONTAINER_PRIVILEGED; an alert about a process
 * started in the container, with its command line ("Terminal shell in
 * container", ...) -> CONTAINER_EXEC. A rule
 * whose name says "privileged" is a CONTAINER_PRIVILEGED unless it also names
 * a process run in the container ({@link PROCESS_RULE}) and is not the stock
 * launch rule: "Shell in privileged container" is a shell, which the shell
 * reports must count (they read CONTAINER_EXEC only). Falco's
 * `container.privileged` field, when the rule's output has it, is kept on
 * either. Alerts about the host (`container.id` "host"), about something
 * other than a process started in the container ({@link isProcessStart}: a
 * file read, a connection), or without a command (and not privileged)
 * return undefined. The detector records the rule and
 * priority; `runtime` the host (the node) and, in Kubernetes, the pod and
 * namespace.
 */
export function falcoAlertToAudit(a: FalcoAlert, raw: string): AuditEventInput | undefined {
  const f = a.output_fields ?? {};
  // container.id is "the truncated container ID (first 12 characters)";
  // container.full_id, where the output has it, is the id Docker's events
  // and the transport give: one container, one id in the reports (found by
  // a probe).
  const full = str(f['container.full_id'])?.toLowerCase();
  const id = full !== undefined && /^[0-9a-f]{64}$/.test(full) ? full : str(f['container.id'])?.toLowerCase();
  if (!id || !/^[0-9a-f]{12,64}$/.test(id)) return undefined;
  const image = str(f['container.image.repository']);
  const tag = str(f['container.image.tag']);
  const container = {
    id,
    ...(str(f['container.name']) ? { name: str(f['container.name']) } : {}),
    ...(image ? { image: tag ? `${image}:${tag}` : image } : {}),
    ...(typeof f['container.privileged'] === 'boolean' ? { privileged: f['container.privileged'] } : {}),
  };
  // Where it ran: Falco's host is the node; the container plugin adds the pod
  // and namespace in Kubernetes (falcosecurity/plugins, plugins/container).
  const runtime = {
    ...(str(a.hostname) ? { host: str(a.hostname) } : {}),
    ...(str(f['k8s.ns.name']) ? { k8s_namespace: str(f['k8s.ns.name']) } : {}),
    ...(str(f['k8s.pod.name']) ? { k8s_pod: str(f['k8s.pod.name']) } : {}),
  };
  const placed = Object.keys(runtime).length > 0 ? { runtime } : {};
  const detector = { name: 'falco' as const, rule: a.rule!, priority: a.priority! };
  const cmd = str(f['proc.cmdline']);
  const process = cmd
    ? {
        command_line: cmd,
        ...(execUser(f['user.name']) ? { exec_user: execUser(f['user.name']) } : {}),
        ...(typeof f['proc.tty'] === 'number' ? { tty: f['proc.tty'] !== 0 } : {}),
        ...(typeof f['proc.pid'] === 'number' && f['proc.pid'] >= 0 ? { pid: f['proc.pid'] } : {}),
      }
    : undefined;
  const rule = a.rule ?? '';
  const privileged = /privileged/i.test(rule) && (!process || LAUNCH_PRIVILEGED.test(rule) || !PROCESS_RULE.test(rule));
  let draft: AuditEventDraft;
  if (privileged) {
    draft = { event_type: 'CONTAINER_PRIVILEGED', container: { ...container, privileged: true }, detector, ...placed, ...(process ? { process } : {}) };
  } else if (process && isProcessStart(a, f)) {
    draft = { event_type: 'CONTAINER_EXEC', container, detector, ...placed, process };
  } else return undefined;
  // Falco's priority raises the event's severity, never lowers it: a Critical
  // alert was stored at the type's default (3, as a Notice), and the default
  // priority of "Terminal shell in container" (Notice) must not rank a shell
  // below a Docker exec's (found by a probe).
  const severity = Math.max(DEFAULT_SEVERITY[draft.event_type], FALCO_SEVERITY[(a.priority ?? '').toLowerCase()] ?? 1);
  // No receipt-time fallback: the event id is derived from the time and the
  // record, and a resent alert must get the same id. classifyObject keeps an
  // alert without a time as a reject. Falco writes `time` as RFC 3339 in UTC
  // with nanoseconds (schema-anchors.md); read field by field (parseRfc3339),
  // not by Date.parse, which took a time without a zone as the aggregator's
  // local time (the same alert dated, and so identified, differently under
  // another TZ: stored twice), rolled 2026-02-30 over to March and read
  // "2026" as New Year (found by a probe).
  const ms = typeof a.time === 'string' ? (parseRfc3339(a.time)?.getTime() ?? Number.NaN) : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`Falco alert time ${String(JSON.stringify(a.time)).slice(0, 64)} is not an RFC 3339 time`);
  return completeEvent(
    { ...draft, severity, event_id: deterministicEventId(ms, raw) } as AuditEventDraft,
    { producer: { service: 'falco', ...(str(a.hostname) ? { instance: str(a.hostname) } : {}) }, now: () => new Date(ms) },
  );
}
