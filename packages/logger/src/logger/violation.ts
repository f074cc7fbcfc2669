import type { AuditEventDraft, AuditIssue } from '@audit-trail/schema';
import { redactedCopy, type RedactPath } from './redact.js';

/** Most issues a violation record keeps (the schema's limit). */
export const MAX_VIOLATION_ISSUES = 50;

/**
 * The AUDIT_SCHEMA_VIOLATION draft that stands in for an event that failed
 * the schema: nothing disappears. It keeps the issues and the original with
 * secrets and user paths censored (the schema cuts it to 16 KiB and removes
 * control characters), plus the context bound to the logger.
 */
export function violationDraft(
  input: unknown,
  issues: readonly AuditIssue[],
  paths: readonly RedactPath[],
  context: Record<string, unknown>,
  attempted?: string,
): AuditEventDraft {
  // `attempted`: the type of the typed helper that was called (its fields hold no event_type).
  let type: unknown = attempted;
  try {
    type ??= (input as { event_type?: unknown } | null)?.event_type;
  } catch {
    // A getter that throws, a revoked Proxy: the record says so in its issues.
  }
  let original: string;
  try {
    original = JSON.stringify(redactedCopy(input, paths)) ?? String(input);
  } catch {
    original = '[unserialisable]';
  }
  const kept = issues.slice(0, MAX_VIOLATION_ISSUES).map((i) => ({ path: i.path.slice(0, 256), message: i.message.slice(0, 256) }));
  if (issues.length > MAX_VIOLATION_ISSUES) kept[MAX_VIOLATION_ISSUES - 1] = { path: '', message: `${issues.length - MAX_VIOLATION_ISSUES + 1} more issues` };
  return {
    ...context,
    event_type: 'AUDIT_SCHEMA_VIOLATION',
    violation: {
      ...(typeof type === 'string' ? { attempted_event_type: type.slice(0, 64) } : {}),
      issues: kept,
      original,
    },
  } as AuditEventDraft;
}
