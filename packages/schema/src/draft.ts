import type { AuditEventInput } from './audit-event.js';
import { LOG_TYPE, SCHEMA_VERSION, type EventType } from './constants.js';
import { EventDraftError } from './draft-error.js';
import { newEventId } from './event-id.js';
import { setOwnMember } from './json/own-member.js';

type EnvelopeKey = 'event_id' | 'log_type' | 'schema_version' | 'event_time' | 'producer' | 'integrity' | 'outcome' | 'severity';

type DraftOf<E> = E extends unknown
  ? Omit<E, EnvelopeKey> & Partial<Pick<E, Extract<keyof E, 'event_id' | 'event_time' | 'outcome' | 'severity' | 'producer'>>>
  : never;

/**
 * An event as a producer writes it: the envelope (`event_id`, `log_type`,
 * `schema_version`, `event_time`, `producer`, default `outcome` and
 * `severity`) is filled in by {@link completeEvent}.
 */
export type AuditEventDraft = DraftOf<AuditEventInput>;

/** Default OCSF severity per event type: failures Medium, clone signals and privileged containers High. */
export const DEFAULT_SEVERITY: Record<EventType, number> = {
  WEBAUTHN_REG_SUCCESS: 1,
  WEBAUTHN_REG_FAILURE: 3,
  WEBAUTHN_AUTH_SUCCESS: 1,
  WEBAUTHN_AUTH_FAILURE: 3,
  WEBAUTHN_COUNTER_REGRESSION: 4,
  CONTAINER_EXEC: 3,
  CONTAINER_START: 1,
  CONTAINER_STOP: 1,
  CONTAINER_PRIVILEGED: 4,
  AUDIT_CHAIN_OPEN: 1,
  AUDIT_CHECKPOINT: 1,
  AUDIT_CHAIN_CLOSE: 1,
  AUDIT_SCHEMA_VIOLATION: 3,
};

/** Default outcome per event type. */
export const DEFAULT_OUTCOME: Record<EventType, 'success' | 'failure' | 'unknown'> = {
  WEBAUTHN_REG_SUCCESS: 'success',
  WEBAUTHN_REG_FAILURE: 'failure',
  WEBAUTHN_AUTH_SUCCESS: 'success',
  WEBAUTHN_AUTH_FAILURE: 'failure',
  WEBAUTHN_COUNTER_REGRESSION: 'failure',
  CONTAINER_EXEC: 'success',
  CONTAINER_START: 'success',
  CONTAINER_STOP: 'success',
  CONTAINER_PRIVILEGED: 'success',
  AUDIT_CHAIN_OPEN: 'success',
  AUDIT_CHECKPOINT: 'success',
  AUDIT_CHAIN_CLOSE: 'success',
  AUDIT_SCHEMA_VIOLATION: 'failure',
};

/** What {@link completeEvent} adds to a draft. */
export interface EventContext {
  producer: { service: string; version?: string | undefined; sdk_version?: string | undefined; instance?: string | undefined };
  runtime?: AuditEventInput['runtime'] | undefined;
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
}

/**
 * Copies the keys of `from` whose value is not `undefined` onto `to`, and
 * returns `to`. A draft built as `{ event_id: req.auditId }` or
 * `runtime: { host: env.HOST }` says "not given" with `undefined`, as
 * TypeScript's optional properties do; a plain spread would overwrite the
 * default with it, and the event would then fail validation for a missing
 * `event_id` or lose the context's host. The logger merges its bindings and
 * options the same way.
 */
export function assignDefined(to: Record<string, unknown>, from: object | undefined): Record<string, unknown> {
  // A "__proto__" member (JSON.parse makes one an own key) stays a member,
  // for validation to refuse as unknown (setOwnMember says why).
  if (from) for (const [k, v] of Object.entries(from)) if (v !== undefined) setOwnMember(to, k, v);
  return to;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value's kind for an error message (never a string's text). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an Invalid Date' : 'a Date';
  const t = typeof value;
  return t === 'undefined' ? 'undefined' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

/**
 * Checks the context and reads its clock: the context is required (it says
 * who produced the event; there is no sensible default service), and each
 * part that is given must be usable. A string `runtime` would otherwise be
 * spread into `{ 0: 'n', 1: 'o', ... }`, and a clock's bad reading would be
 * a RangeError from `toISOString`.
 */
function eventTime(ctx: unknown): Date {
  const context = (field: string, got: unknown, expected: string) =>
    new EventDraftError('EVENT_CONTEXT_INVALID', `completeEvent: ${field} must be ${expected}, got ${kindOf(got)}`);
  if (!isRecord(ctx)) throw context('the context', ctx, "an object such as { producer: { service: 'my-api' } }");
  if (ctx.producer !== undefined && !isRecord(ctx.producer)) throw context('ctx.producer', ctx.producer, "an object such as { service: 'my-api' }");
  if (ctx.runtime !== undefined && !isRecord(ctx.runtime)) throw context('ctx.runtime', ctx.runtime, 'an object of runtime fields');
  if (ctx.now === undefined) return new Date();
  if (typeof ctx.now !== 'function') throw context('ctx.now', ctx.now, 'a function returning a Date');
  const time: unknown = ctx.now();
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw context('ctx.now()', time, 'a valid Date');
  return time;
}

/**
 * Fills in the envelope of a draft. Values present in the draft win (a key
 * whose value is `undefined` counts as absent); the draft's `runtime`, when
 * an object, is merged over the context's (any other value is kept as given,
 * for validation to refuse). The result still has to pass
 * {@link parseAuditEvent}: this only completes, it does not validate.
 *
 * Throws {@link EventDraftError} when it cannot complete: a draft that is
 * not an object (`EVENT_DRAFT_INVALID`), or a missing or unusable context
 * (`EVENT_CONTEXT_INVALID`). The context is not optional: it names the
 * producer, which no default could.
 */
export function completeEvent(draft: AuditEventDraft, ctx: EventContext): AuditEventInput {
  if (!isRecord(draft)) {
    throw new EventDraftError('EVENT_DRAFT_INVALID', `completeEvent: the draft must be an event object, got ${kindOf(draft)}`);
  }
  const time = eventTime(ctx);
  const type = draft.event_type as EventType;
  const d = draft as Record<string, unknown> & { runtime?: object };
  const event = assignDefined(
    {
      event_id: newEventId(),
      log_type: LOG_TYPE,
      schema_version: SCHEMA_VERSION,
      event_time: time.toISOString(),
      outcome: DEFAULT_OUTCOME[type],
      severity: DEFAULT_SEVERITY[type],
      producer: ctx.producer,
    },
    d,
  );
  // Merged only when the draft's runtime is an object (or absent): any other
  // value stays as the draft gave it (copied above), for validation to refuse
  // by its type. Merged, a string was spread into `runtime.0`, `runtime.1`...
  // and a number, boolean or null vanished beside the context's runtime.
  if (d.runtime === undefined ? ctx.runtime : isRecord(d.runtime)) event.runtime = assignDefined(assignDefined({}, ctx.runtime), d.runtime);
  return event as AuditEventInput;
}
