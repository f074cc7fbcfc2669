import {
  DEFAULT_OUTCOME,
  DEFAULT_SEVERITY,
  eventSchemas,
  LOG_TYPE,
  newEventId,
  SCHEMA_VERSION,
  type AuditEvent,
  type EventContext,
  type EventType,
} from '@audit-trail/schema';
import { isoNow } from './clock.js';

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
 * - `event_id` is `newEventId()` (the uuid package's UUIDv7, lowercase,
 *   version 7, variant 10 by construction); the type's zod field schema
 *   checks the first one per type;
 * - `log_type`, `schema_version`, `event_time`, `outcome`, `severity` repeat
 *   from event to event (constants, the type's defaults, the clock's
 *   millisecond): each value is checked by the type's own zod field schema
 *   the first time it is seen and remembered (one value per field and type);
 * - `producer` and `runtime` come from `createAuditLogger` options, validated
 *   there and frozen: they are checked by the type's schema once per logger
 *   context and type, and copied into each event.
 */
export const ENVELOPE_KEYS = ['event_id', 'log_type', 'schema_version', 'event_time', 'outcome', 'severity', 'producer', 'runtime'] as const;

// Where each key of the output comes from (the plan of a type, in shape order).
const FROM_DRAFT = 0;
const FROM_ENVELOPE = 1; // index into the envelope values below, + FROM_ENVELOPE
const MEMO = ['log_type', 'schema_version', 'event_time', 'outcome', 'severity'] as const;

interface TypeState {
  schema: ObjectSchema;
  /** Shape keys in order (the order zod writes its output in), and where each value comes from. */
  keys: string[];
  plan: number[];
  /** The schema without the envelope keys; null when zod cannot omit (object-level refinements). */
  rest: ObjectSchema | null;
  /** Last value of each MEMO field that passed the type's field schema unchanged. */
  memo: unknown[];
  memoSet: boolean[];
  idChecked: boolean;
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
    const plan = keys.map((k) => (ENVELOPE_KEYS.includes(k as never) ? FROM_ENVELOPE + ENVELOPE_KEYS.indexOf(k as never) : FROM_DRAFT));
    const t = type as EventType;
    st = { schema, keys, plan, rest, memo: MEMO.map(() => undefined), memoSet: MEMO.map(() => false), idChecked: false, outcome: DEFAULT_OUTCOME[t], severity: DEFAULT_SEVERITY[t] };
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
export function validateOwnFields(type: string, own: Record<string, unknown>, ctx: EventContext): AuditEvent | undefined {
  const st = typeState(type);
  if (!st.rest) return undefined;
  const cs = contextState(ctx, st, type);
  if (!cs.producer || cs.runtime === null) return undefined;
  const when = ctx.now?.();
  // In ENVELOPE_KEYS order.
  const envelope: unknown[] = [
    newEventId(),
    LOG_TYPE,
    SCHEMA_VERSION,
    when != null ? when.toISOString() : isoNow(),
    st.outcome,
    st.severity,
    cs.producer,
    cs.runtime,
  ];
  if (!st.idChecked) {
    if (!fieldOk(st, 'event_id', envelope[0])) return undefined;
    st.idChecked = true;
  }
  for (let i = 0; i < MEMO.length; i++) {
    const value = envelope[i + 1];
    if (st.memoSet[i] && st.memo[i] === value) continue;
    if (!fieldOk(st, MEMO[i]!, value)) return undefined;
    st.memo[i] = value;
    st.memoSet[i] = true;
  }
  const r = st.rest.safeParse(own);
  if (!r.success) return undefined;
  const out = r.data as Record<string, unknown>;
  const event: Record<string, unknown> = {};
  const { keys, plan } = st;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const from = plan[i]!;
    if (from === FROM_DRAFT) {
      if (Object.hasOwn(out, key)) event[key] = out[key];
    } else {
      const value = envelope[from - FROM_ENVELOPE];
      // producer/runtime templates are copied, as zod's output would be: callers may mutate the returned event.
      if (typeof value === 'object') event[key] = { ...value };
      else if (value !== undefined) event[key] = value;
    }
  }
  return event as unknown as AuditEvent;
}
