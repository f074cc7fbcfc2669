import {
  DEFAULT_OUTCOME,
  DEFAULT_SEVERITY,
  eventSchemas,
  LOG_TYPE,
  SCHEMA_VERSION,
  type AuditEvent,
  type EventContext,
  type EventType,
} from '@audit-trail/schema';
import { isoNow } from './clock.js';
import { newEventId } from '@audit-trail/schema';

/** The subset of a zod object schema this module uses. */
interface ObjectSchema {
  shape: Record<string, FieldSchema>;
  omit(mask: Record<string, true>): ObjectSchema;
  safeParse(v: unknown): { success: true; data: unknown } | { success: false };
}
type FieldSchema = Pick<ObjectSchema, 'safeParse'>;

/**
 * The envelope `completeEvent` fills in. When the draft holds none of these
 * keys, every one of them comes from the logger itself, and only the
 * draft's own fields need zod on each event:
 * - `event_id` is `newEventId()` (UUIDv7, lowercase, version 7, variant 10
 *   by construction; event-id.test.ts); the type's zod field schema checks
 *   the first one per type;
 * - `log_type`, `schema_version`, `event_time`, `outcome`, `severity` repeat
 *   from event to event (constants, the type's defaults, the clock's
 *   millisecond): each value is checked by the type's own zod field schema
 *   the first time it is seen and remembered (one value per field and type);
 * - `producer` and `runtime` come from `createAuditLogger` options, validated
 *   there and frozen: they are checked by the type's schema once per logger
 *   context and type, and copied into each event.
 */
export const ENVELOPE_KEYS = ['event_id', 'log_type', 'schema_version', 'event_time', 'outcome', 'severity', 'producer', 'runtime'] as const;

// Where each key of the output comes from (the plan of a type, in shape
// order): 0 = the draft (zod's output), else 1 + its index in ENVELOPE_KEYS.
const FROM_DRAFT = 0;
const LOG_TYPE_JSON = JSON.stringify(LOG_TYPE);
const SCHEMA_VERSION_JSON = JSON.stringify(SCHEMA_VERSION);
// What newEventId() writes: nothing JSON would escape.
const EVENT_ID = /^[0-9a-f-]{36}$/;

interface TypeState {
  schema: ObjectSchema;
  /** Shape keys in order (the order zod writes its output in), and where each value comes from. */
  keys: string[];
  plan: number[];
  /** The schema without the envelope keys; null when zod cannot omit (object-level refinements). */
  rest: ObjectSchema | null;
  /** event_id (the first), log_type, schema_version, outcome, severity passed the type's field schemas. */
  constantsChecked: boolean;
  /** The last event_time that passed the type's field schema, and whether JSON writes it unescaped. */
  lastTime?: string;
  lastTimePlain?: boolean;
  outcome: unknown;
  severity: unknown;
  /** The last context seen and its validated producer/runtime templates. */
  lastCtx?: EventContext;
  lastCs?: ContextState;
}

/** Validated copies (templates) of a context's frozen producer/runtime for one type; null = not usable. */
interface ContextState {
  producer: object | null;
  runtime: object | null | undefined;
  /**
   * JSON text of the envelope from `"outcome"` to `"runtime":{…}` and a
   * comma (constant per context and type), when the type's shape starts
   * with ENVELOPE_KEYS in order; see {@link ValidatedEvent.line}.
   */
  middle?: string;
}

/** A validated event and, when asked for, its JSON line (without newline). */
export interface ValidatedEvent {
  event: AuditEvent;
  /**
   * `JSON.stringify(event)`, built as the constant envelope text (made once
   * per context and type) around the new id and time, followed by
   * `JSON.stringify` of zod's output for the draft's fields: the envelope
   * leads the shape of every type (envelopeShape is spread first), so the
   * key order is the same. `trusted-envelope.test.ts` checks the equality.
   */
  line?: string;
}

const types = new Map<string, TypeState>();
const contexts = new WeakMap<EventContext, Map<string, ContextState>>();

function typeState(type: string): TypeState {
  let st = types.get(type);
  if (!st) {
    const schema = eventSchemas[type as EventType] as unknown as ObjectSchema;
    let rest: ObjectSchema | null;
    try {
      rest = schema.omit(Object.fromEntries(ENVELOPE_KEYS.map((k) => [k, true] as const)));
    } catch {
      rest = null; // zod refuses omit() on objects with refinements: no fast path for this type
    }
    const keys = Object.keys(schema.shape);
    const plan = keys.map((k) => 1 + ENVELOPE_KEYS.indexOf(k as never));
    const t = type as EventType;
    st = { schema, keys, plan, rest, constantsChecked: false, outcome: DEFAULT_OUTCOME[t], severity: DEFAULT_SEVERITY[t] };
    types.set(type, st);
  }
  return st;
}

/** Checks a frozen context object with the type's field schema once; its output is the per-event template. */
function template(st: TypeState, key: 'producer' | 'runtime', value: object | undefined): object | null | undefined {
  if (value === undefined) return undefined;
  if (!Object.isFrozen(value)) return null;
  const r = st.schema.shape[key]?.safeParse(value);
  return r?.success ? Object.freeze(r.data as object) : null;
}

function contextState(ctx: EventContext, st: TypeState, type: string): ContextState {
  if (st.lastCtx === ctx) return st.lastCs!;
  let perType = contexts.get(ctx);
  if (!perType) contexts.set(ctx, (perType = new Map()));
  let cs = perType.get(type);
  if (!cs) {
    cs = { producer: template(st, 'producer', ctx.producer) ?? null, runtime: template(st, 'runtime', ctx.runtime) };
    if (cs.producer && cs.runtime !== null && ENVELOPE_KEYS.every((k, i) => st.keys[i] === k)) {
      cs.middle =
        `","outcome":${JSON.stringify(st.outcome)},"severity":${JSON.stringify(st.severity)}` +
        `,"producer":${JSON.stringify(cs.producer)}${cs.runtime ? `,"runtime":${JSON.stringify(cs.runtime)}` : ''},`;
    }
    perType.set(type, cs);
  }
  st.lastCtx = ctx;
  st.lastCs = cs;
  return cs;
}

function fieldOk(st: TypeState, key: string, value: unknown): boolean {
  const r = st.schema.shape[key]?.safeParse(value);
  return r !== undefined && r.success && r.data === value;
}

/**
 * `eventSchemas[type].safeParse(completeEvent(draft, ctx))` for a draft
 * that holds none of ENVELOPE_KEYS (`own`: a plain copy of its own
 * enumerable keys, user_agent already cut), with zod skipped for values
 * the logger produced (see ENVELOPE_KEYS). Every key of the draft goes
 * through the type's zod schema, unknown-key check included. Returns the
 * same event, key order included, or undefined when it is invalid or the
 * fast path does not apply; the caller then runs completeEvent +
 * parseAuditEvent, which word the issues (`trusted-envelope.test.ts`
 * compares both on many drafts).
 */
export function validateOwnFields(type: string, own: Record<string, unknown>, ctx: EventContext, wantLine = false): ValidatedEvent | undefined {
  const st = typeState(type);
  if (!st.rest) return undefined;
  const cs = contextState(ctx, st, type);
  if (!cs.producer || cs.runtime === null) return undefined;
  const when = ctx.now?.();
  const eventId = newEventId();
  const eventTime = when != null ? when.toISOString() : isoNow();
  if (!st.constantsChecked) {
    const ok =
      fieldOk(st, 'event_id', eventId) &&
      fieldOk(st, 'log_type', LOG_TYPE) &&
      fieldOk(st, 'schema_version', SCHEMA_VERSION) &&
      fieldOk(st, 'outcome', st.outcome) &&
      fieldOk(st, 'severity', st.severity);
    if (!ok) return undefined;
    st.constantsChecked = true;
  }
  if (eventTime !== st.lastTime) {
    if (!fieldOk(st, 'event_time', eventTime)) return undefined;
    st.lastTime = eventTime;
    st.lastTimePlain = JSON.stringify(eventTime) === `"${eventTime}"`;
  }
  const r = st.rest.safeParse(own);
  if (!r.success) return undefined;
  const out = r.data as Record<string, unknown>;
  let line: string | undefined;
  if (wantLine && cs.middle && st.lastTimePlain && EVENT_ID.test(eventId)) {
    const rest = JSON.stringify(out); // never "{}": every type requires event_type
    if (rest.length > 2) line = `{"event_id":"${eventId}","log_type":${LOG_TYPE_JSON},"schema_version":${SCHEMA_VERSION_JSON},"event_time":"${eventTime}${cs.middle}${rest.slice(1)}`;
  }
  const event: Record<string, unknown> = {};
  const { keys, plan } = st;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    // In ENVELOPE_KEYS order; producer/runtime templates are copied, as
    // zod's output would be: callers may mutate the returned event.
    switch (plan[i]) {
      case FROM_DRAFT:
        if (Object.hasOwn(out, key)) event[key] = out[key];
        break;
      case 1:
        event[key] = eventId;
        break;
      case 2:
        event[key] = LOG_TYPE;
        break;
      case 3:
        event[key] = SCHEMA_VERSION;
        break;
      case 4:
        event[key] = eventTime;
        break;
      case 5:
        event[key] = st.outcome;
        break;
      case 6:
        event[key] = st.severity;
        break;
      case 7:
        event[key] = { ...cs.producer };
        break;
      case 8:
        if (cs.runtime) event[key] = { ...cs.runtime };
        break;
    }
  }
  return { event: event as unknown as AuditEvent, line };
}
