import { completeEvent, type AuditEventDraft, type AuditEventInput } from '@audit-trail/schema';
import { deterministicEventId } from './deterministic-id.js';

/** A Falco JSON alert (`json_output: true`): rule, priority, time, output_fields. */
interface FalcoAlert {
  rule?: string;
  priority?: string;
  time?: string;
  hostname?: string;
  output?: string;
  output_fields?: Record<string, unknown>;
}

/** True when a parsed JSON object has the shape of a Falco alert. */
export function isFalcoAlert(o: Record<string, unknown>): boolean {
  return typeof o.rule === 'string' && typeof o.priority === 'string' && typeof o.output_fields === 'object' && o.output_fields !== null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * Maps a Falco alert about a container to a CONTAINER_* event: "Launch
 * Privileged Container" -> CONTAINER_PRIVILEGED; any alert naming a process
 * command line ("Terminal shell in container", ...) -> CONTAINER_EXEC. Alerts
 * about the host (`container.id` "host") or without a command return
 * undefined. The detector records the rule and priority; `runtime` the host
 * (the node) and, in Kubernetes, the pod and namespace.
 */
export function falcoAlertToAudit(a: FalcoAlert, raw: string): AuditEventInput | undefined {
  const f = a.output_fields ?? {};
  const id = str(f['container.id'])?.toLowerCase();
  if (!id || !/^[0-9a-f]{12,64}$/.test(id)) return undefined;
  const image = str(f['container.image.repository']);
  const tag = str(f['container.image.tag']);
  const container = {
    id,
    ...(str(f['container.name']) ? { name: str(f['container.name']) } : {}),
    ...(image ? { image: tag ? `${image}:${tag}` : image } : {}),
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
        ...(str(f['user.name']) ? { exec_user: str(f['user.name']) } : {}),
        ...(typeof f['proc.tty'] === 'number' ? { tty: f['proc.tty'] !== 0 } : {}),
        ...(typeof f['proc.pid'] === 'number' && f['proc.pid'] >= 0 ? { pid: f['proc.pid'] } : {}),
      }
    : undefined;
  let draft: AuditEventDraft;
  if (/privileged/i.test(a.rule ?? '')) {
    draft = { event_type: 'CONTAINER_PRIVILEGED', container: { ...container, privileged: true }, detector, ...placed, ...(process ? { process } : {}) };
  } else if (process) {
    draft = { event_type: 'CONTAINER_EXEC', container, detector, ...placed, process };
  } else return undefined;
  // No receipt-time fallback: the event id is derived from the time and the
  // record, and a resent alert must get the same id. classifyObject keeps an
  // alert without a time as a reject.
  const ms = typeof a.time === 'string' ? Date.parse(a.time) : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`Falco alert time ${String(JSON.stringify(a.time)).slice(0, 64)} is not a time`);
  return completeEvent(
    { ...draft, event_id: deterministicEventId(ms, raw) } as AuditEventDraft,
    { producer: { service: 'falco', ...(str(a.hostname) ? { instance: str(a.hostname) } : {}) }, now: () => new Date(ms) },
  );
}
