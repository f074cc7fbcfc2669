import {
  canonicalizeIps,
  CHAIN_EVENT_TYPES,
  completeEvent,
  EVENT_TYPES,
  newEventId,
  parseAuditEvent,
  TRANSPORT_FIELDS,
  markTruncatedText,
  type AuditEvent,
  type AuditEventDraft,
  type AuditIssue,
  type EventContext,
} from '@audit-trail/schema';
import { ENVELOPE_KEYS, validateOwnFields } from './trusted-envelope.js';

/** Result of checking a draft: the completed, validated event, or every reason it was refused. */
export type DraftResult = { ok: true; event: AuditEvent; line?: string } | { ok: false; issues: AuditIssue[]; eventType?: string };

const chainTypes = new Set<string>(CHAIN_EVENT_TYPES);
const eventTypes = new Set<string>(EVENT_TYPES);

/**
 * Completes a draft's envelope and validates it with the schema
 * (`completeEvent` + `parseAuditEvent`). Keys the logger owns are refused
 * rather than silently dropped: the transport keys pino would add
 * (`parseAuditEvent` would strip them), `integrity` (set when signing) and
 * the chain record types (written by the logger itself). `owned`: the
 * draft is a plain object literal the caller made for this call alone.
 * `wantLine`: also return the JSON line when the fast path can make it
 * cheaply (it equals `JSON.stringify(event)`).
 */
export function validateDraft(draft: unknown, ctx: EventContext, owned = false, wantLine = false): DraftResult {
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

  if (eventType && eventTypes.has(eventType) && !hasAnyOwn(d, ENVELOPE_KEYS) && d.runtime === undefined) {
    // Fast path: the draft leaves the whole envelope to the logger
    // (trusted-envelope.ts). `own` holds what completeEvent would copy of
    // the draft (its own enumerable keys); `owned`: the draft is already
    // such a copy, made by the logger for this call, and may be changed.
    const own: Record<string, unknown> = owned ? d : { ...d };
    markTruncatedText(own);
    canonicalizeIps(own);
    const fast = validateOwnFields(eventType, own, ctx, wantLine);
    if (fast) return { ok: true, event: fast.event, line: fast.line };
  }
  // The general path; it also words the issues of anything invalid.
  const completed = completeEvent(d as AuditEventDraft, ctx) as Record<string, unknown>;
  // One id generator for every event of the logger, so ids stay monotonic in write order.
  if (!Object.hasOwn(d, 'event_id')) completed.event_id = newEventId();
  if (eventType && eventTypes.has(eventType)) {
    markTruncatedText(completed);
    canonicalizeIps(completed);
  }
  const result = parseAuditEvent(completed);
  return result.ok ? { ok: true, event: result.event } : { ok: false, issues: result.issues, eventType };
}

function hasAnyOwn(o: object, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (Object.hasOwn(o, keys[i]!)) return true;
  return false;
}

