import { envelopeShape, MAX_USER_AGENT_LENGTH, type AuditIssue } from '@audit-trail/schema';
import { AuditValidationError } from '../errors.js';
import type { RuntimeFields } from './runtime-env.js';

/**
 * Fields a child logger binds to every event it writes. Only these envelope
 * fields can be bound; they are validated when the child is created and
 * copied field by field (never spread from a caller's object into pino
 * bindings, pino docs/child-loggers.md).
 */
export interface AuditBindings {
  correlation?: { request_id?: string; trace_id?: string; session_id?: string };
  runtime?: RuntimeFields;
  user_id?: string;
  client_ip?: string;
  client_ip_source?: 'socket' | 'x-forwarded-for' | 'forwarded' | 'x-real-ip' | 'transport';
  peer_ip?: string;
  user_agent?: string;
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
    out[key] = key === 'correlation' || key === 'runtime' ? { ...(base as Record<string, object>)[key], ...(r.data as object) } : r.data;
  }
  if (issues.length > 0) throw new AuditValidationError(issues);
  return out as AuditBindings;
}
