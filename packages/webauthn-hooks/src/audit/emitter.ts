import type { AuditEventDraft } from '@audit-trail/schema';

/**
 * Anything that can write an audit event. `createAuditLogger()` from
 * `@audit-trail/logger` fits (its `emit` fills the envelope, validates, signs
 * and writes one line); so does a test recorder. The hooks never look at the
 * return value.
 */
export interface AuditEmitter {
  emit(draft: AuditEventDraft): unknown;
}
