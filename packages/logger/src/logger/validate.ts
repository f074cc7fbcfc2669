import {
  CHAIN_EVENT_TYPES,
  completeEvent,
  EVENT_TYPES,
  eventSchemas,
  MAX_USER_AGENT_LENGTH,
  parseAuditEvent,
  TRANSPORT_FIELDS,
  type AuditEvent,
  type AuditEventDraft,
  type AuditIssue,
  type EventContext,
} from '@audit-trail/schema';

/** Result of checking a draft: the completed, validated event, or every reason it was refused. */
export type DraftResult = { ok: true; event: AuditEvent } | { ok: false; issues: AuditIssue[]; eventType?: string };

const chainTypes = new Set<string>(CHAIN_EVENT_TYPES);
const eventTypes = new Set<string>(EVENT_TYPES);
type AnySchema = { safeParse(v: unknown): { success: true; data: unknown } | { success: false } };

/**
 * Completes a draft's envelope and validates it with the schema
 * (`completeEvent` + `parseAuditEvent`). Keys the logger owns are refused
 * rather than silently dropped: the transport keys pino would add
 * (`parseAuditEvent` would strip them), `integrity` (set when signing) and
 * the chain record types (written by the logger itself).
 */
export function validateDraft(draft: unknown, ctx: EventContext): DraftResult {
  if (typeof draft !== 'object' || draft === null || Array.isArray(draft)) {
    return { ok: false, issues: [{ path: '', message: `expected an event object, received ${draft === null ? 'null' : typeof draft}` }] };
  }
  const d = draft as Record<string, unknown>;
  const eventType = typeof d.event_type === 'string' ? d.event_type : undefined;
  const issues: AuditIssue[] = [];
  for (const key of TRANSPORT_FIELDS) {
    if (Object.hasOwn(d, key)) issues.push({ path: key, message: `"${key}" is reserved for the transport (pino) and is not part of an audit event` });
  }
  if (Object.hasOwn(d, 'integrity')) issues.push({ path: 'integrity', message: 'integrity is written by the logger when it signs' });
  if (eventType && chainTypes.has(eventType)) issues.push({ path: 'event_type', message: `${eventType} records are written by the logger itself` });
  if (issues.length > 0) return { ok: false, issues, eventType };

  const completed = completeEvent(d as AuditEventDraft, ctx) as Record<string, unknown>;
  // Fast path, the same steps as parseAuditEvent minus its copy into new
  // objects (about a third of the validation cost, bench/logger.ts): transport keys were refused
  // above and completeEvent adds none, so only the type lookup and the
  // user_agent cut remain. Anything invalid goes through parseAuditEvent
  // itself, which words the issues (validate.test.ts checks both agree).
  if (eventType && eventTypes.has(eventType)) {
    if (typeof completed.user_agent === 'string' && completed.user_agent.length > MAX_USER_AGENT_LENGTH) {
      completed.user_agent = completed.user_agent.slice(0, MAX_USER_AGENT_LENGTH);
      completed.user_agent_truncated = true;
    }
    const fast = (eventSchemas[eventType as keyof typeof eventSchemas] as unknown as AnySchema).safeParse(completed);
    if (fast.success) return { ok: true, event: fast.data as AuditEvent };
  }
  const result = parseAuditEvent(completed);
  return result.ok ? { ok: true, event: result.event } : { ok: false, issues: result.issues, eventType };
}
