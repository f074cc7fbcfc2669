import { completeEvent, START_ACTIONS, STOP_ACTIONS, type AuditEventDraft, type AuditEventInput } from '@audit-trail/schema';
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

// The schema's lists: a CONTAINER_START's lifecycle.action is one of START_ACTIONS, a stop's of STOP_ACTIONS.
const START = new Set<string>(START_ACTIONS);
const STOP = new Set<string>(STOP_ACTIONS);

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
  const rawId: unknown = e.Actor?.ID ?? e.id ?? '';
  // Any container's output can look like a Docker event: say what is wrong (classifyObject keeps it as a reject).
  if (typeof rawId !== 'string') throw new Error(`the container id (Actor.ID) is ${rawId === null ? 'null' : `a ${typeof rawId}`}, not a string`);
  const id = rawId.toLowerCase();
  if (!/^[0-9a-f]{12,64}$/.test(id)) return undefined;
  const container = {
    id,
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(attrs.image || e.from ? { image: attrs.image ?? e.from } : {}),
    runtime: 'docker',
  };
  const ms = eventMillis(e);
  const placed = swarmPlacement(attrs);
  const detector = { name: 'docker-events' as const };
  const action = e.Action.split(':', 1)[0]!;
  let draft: AuditEventDraft;
  if (action === 'exec_start') {
    const command = e.Action.slice('exec_start:'.length).trim();
    draft = { event_type: 'CONTAINER_EXEC', container, detector, ...placed, process: { command_line: command || '(unknown)' } };
  } else if (START.has(action)) {
    draft = { event_type: 'CONTAINER_START', container, detector, ...placed, lifecycle: { action: action as (typeof START_ACTIONS)[number] } };
  } else if (STOP.has(action)) {
    // The engine writes exitCode on `die` and signal on `kill` only (moby daemon/monitor.go,
    // daemon/kill.go). Docker copies a container's labels over its events' attributes
    // (daemon/events.go, copyAttributes), so a label `exitCode` or `signal` shows on every
    // event of that container: taken from the one action that has it, a label cannot put an
    // exit code on a stop or a signal on a die (found by a probe). On that action a label of
    // the same name still wins over the engine's value: the README says so.
    const exit = action === 'die' && attrs.exitCode !== undefined ? Number.parseInt(attrs.exitCode, 10) : undefined;
    const signal = action === 'kill' ? attrs.signal : undefined;
    draft = {
      event_type: 'CONTAINER_STOP',
      container,
      detector,
      ...placed,
      lifecycle: { action: action as (typeof STOP_ACTIONS)[number], ...(Number.isInteger(exit) ? { exit_code: exit } : {}), ...(signal ? { signal } : {}) },
    };
  } else return undefined;
  return completeEvent(
    { ...draft, event_id: deterministicEventId(ms, raw) } as AuditEventDraft,
    { producer: { service: 'docker-events', ...(host ? { instance: host } : {}) }, now: () => new Date(ms) },
  );
}

/** A Swarm service name (swarmkit: a DNS label of at most 63 characters; `_` and `.` as some releases allowed). */
const SWARM_SERVICE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A Swarm task id (swarmkit identity.NewID: 25 base-36 characters). */
const SWARM_TASK_ID = /^[0-9a-z]{1,64}$/;

/**
 * The Swarm service and task of a task's container, from the system labels
 * Docker copies into every event's attributes (`com.docker.swarm.service.name`,
 * `com.docker.swarm.task.id`; moby daemon/cluster/executor/container,
 * `labels()`, which override a user's labels of those names). Without them
 * an exec into a task named its container only, and the swarm_service and
 * swarm_task_id columns stayed empty (found by a probe). A container outside
 * Swarm may carry such labels by its creator's choice: one that is not a
 * Swarm name is left out, so it cannot turn the event into a reject.
 */
function swarmPlacement(attrs: Record<string, string>): { runtime?: { swarm_service?: string; swarm_task_id?: string } } {
  const service = attrs['com.docker.swarm.service.name'];
  const task = attrs['com.docker.swarm.task.id'];
  const runtime = {
    ...(typeof service === 'string' && SWARM_SERVICE.test(service) ? { swarm_service: service } : {}),
    ...(typeof task === 'string' && SWARM_TASK_ID.test(task) ? { swarm_task_id: task } : {}),
  };
  return Object.keys(runtime).length > 0 ? { runtime } : {};
}

/** Largest |Unix ms| a Date holds (ECMA-262 §21.4.1.1: ±100 000 000 days). */
const MAX_DATE_MS = 8.64e15;

/**
 * Unix milliseconds of a Docker event (`timeNano`, else `time` in seconds).
 * Any container's output can look like a Docker event, so the fields are
 * attacker-controlled: one no Date can hold throws (classifyObject keeps
 * the record as a reject with the message).
 */
function eventMillis(e: DockerEvent): number {
  const field = typeof e.timeNano === 'number' ? 'timeNano' : 'time';
  const value: unknown = e[field];
  const ms = typeof value !== 'number' ? Number.NaN : field === 'timeNano' ? Math.floor(value / 1e6) : value * 1000;
  if (Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS) return ms;
  throw new RangeError(`Docker event ${field} ${String(JSON.stringify(value)).slice(0, 64)} is not a time`);
}
