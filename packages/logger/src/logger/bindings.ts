import { assignDefined, envelopeShape, MAX_USER_AGENT_LENGTH, type AuditIssue } from '@audit-trail/schema';
import { AuditValidationError } from '../errors.js';
import type { RuntimeFields } from './runtime-env.js';

/**
 * Fields a child logger binds to every event it writes. Only these envelope
 * fields can be bound; they are validated when the child is created and
 * copied field by field (never spread from a caller's object into pino
 * bindings, pino docs/child-loggers.md). A field given as `undefined` binds
 * nothing and keeps what a parent bound (`{ user_id: req.user?.id }`), so
 * every field accepts `undefined` under `exactOptionalPropertyTypes` too.
 */
export interface AuditBindings {
  correlation?: { request_id?: string | undefined; trace_id?: string | undefined; session_id?: string | undefined } | undefined;
  runtime?: { [K in keyof RuntimeFields]?: RuntimeFields[K] | undefined } | undefined;
  user_id?: string | undefined;
  client_ip?: string | undefined;
  client_ip_source?: 'socket' | 'x-forwarded-for' | 'forwarded' | 'x-real-ip' | 'transport' | undefined;
  peer_ip?: string | undefined;
  user_agent?: string | undefined;
}

const BINDABLE = ['correlation', 'runtime', 'user_id', 'client_ip', 'client_ip_source', 'peer_ip', 'user_agent'] as const;
const bindable = new Set<string>(BINDABLE);

/** Validates `add` and merges it over `base` (nested `correlation` and `runtime` merge key by key). */
export function mergeBindings(base: AuditBindings, add: unknown): AuditBindings {
  if (typeof add !== 'object' || add === null || Array.isArray(add)) {
    throw new AuditValidationError([{ path: '', message: 'child bindings must be an object' }]);
  }
  const issues: AuditIssue[] = [];
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(add)) {
    if (value === undefined) continue;
    if (!bindable.has(key)) {
      issues.push({ path: key.slice(0, 64), message: `"${key.slice(0, 64)}" cannot be bound; bindable: ${BINDABLE.join(', ')}` });
      continue;
    }
    const r = envelopeShape[key as (typeof BINDABLE)[number]].safeParse(value);
    if (!r.success) {
      for (const i of r.error.issues) issues.push({ path: [key, ...i.path.map(String)].join('.'), message: i.message });
      continue;
    }
    if (key === 'user_agent' && typeof value === 'string' && value.length > MAX_USER_AGENT_LENGTH) {
      // Kept whole: every event cuts it and sets user_agent_truncated, as
      // for a draft's user_agent (truncateUserAgent). The schema's own cut
      // (r.data) left the events of the child with a cut user agent and no
      // flag saying so (found by a probe).
      out[key] = value;
      continue;
    }
    // Nested fields given as undefined keep the parent's (assignDefined): a
    // spread would let `{ request_id: undefined }` erase a bound request id.
    out[key] = key === 'correlation' || key === 'runtime' ? assignDefined({ ...(base as Record<string, object>)[key] }, r.data as object) : r.data;
  }
  if (issues.length > 0) throw new AuditValidationError(issues);
  return out as AuditBindings;
}
