import { completeEvent, type AuditEventDraft, type AuditEventInput } from '@audit-trail/schema';
import { deterministicEventId } from './deterministic-id.js';

/** A `docker events --format '{{json .}}'` record (Docker Engine API, "Monitor events"). */
interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  from?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** True when a parsed JSON object has the shape of a Docker event. */
export function isDockerEvent(o: Record<string, unknown>): boolean {
  return typeof o.Action === 'string' && typeof o.Type === 'string' && typeof o.Actor === 'object' && o.Actor !== null;
}

const START = new Set(['create', 'start', 'restart']);
const STOP = new Set(['die', 'stop', 'kill', 'destroy', 'oom']);

/**
 * Maps a Docker event to a CONTAINER_* audit event: start/create/restart ->
 * CONTAINER_START, die/stop/kill/destroy/oom -> CONTAINER_STOP,
 * `exec_start: <cmd>` -> CONTAINER_EXEC with the command line. Other actions
 * (attach, resize, exec_create...) and non-container types return undefined
 * (counted as non-audit by the caller). The event id is derived from the raw
 * record so a resent record is a duplicate, not a new event.
 */
export function dockerEventToAudit(e: DockerEvent, raw: string, host?: string): AuditEventInput | undefined {
  if (e.Type !== 'container' || typeof e.Action !== 'string') return undefined;
  const attrs = e.Actor?.Attributes ?? {};
  const id = (e.Actor?.ID ?? e.id ?? '').toLowerCase();
  if (!/^[0-9a-f]{12,64}$/.test(id)) return undefined;
  const container = {
    id,
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(attrs.image || e.from ? { image: attrs.image ?? e.from } : {}),
    runtime: 'docker',
  };
  const ms = typeof e.timeNano === 'number' ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000;
  const detector = { name: 'docker-events' as const };
  const action = e.Action.split(':', 1)[0]!;
  let draft: AuditEventDraft;
  if (action === 'exec_start') {
    const command = e.Action.slice('exec_start:'.length).trim();
    draft = { event_type: 'CONTAINER_EXEC', container, detector, process: { command_line: command || '(unknown)' } };
  } else if (START.has(action)) {
    draft = { event_type: 'CONTAINER_START', container, detector, lifecycle: { action: action as 'start' } };
  } else if (STOP.has(action)) {
    const exit = attrs.exitCode !== undefined ? Number.parseInt(attrs.exitCode, 10) : undefined;
    draft = {
      event_type: 'CONTAINER_STOP',
      container,
      detector,
      lifecycle: { action: action as 'die', ...(Number.isInteger(exit) ? { exit_code: exit } : {}), ...(attrs.signal ? { signal: attrs.signal } : {}) },
    };
  } else return undefined;
  const event = completeEvent(
    { ...draft, event_id: deterministicEventId(ms, raw) } as AuditEventDraft,
    { producer: { service: 'docker-events', ...(host ? { instance: host } : {}) }, now: () => new Date(ms) },
  );
  return event;
}
