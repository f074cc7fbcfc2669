import type { AuditEventDraft } from '@audit-trail/schema';

/**
 * Anything that can write an audit event. `createAuditLogger()` from
 * `@audit-trail/logger` fits (its `emit` fills the envelope, validates, signs
 * and writes one line); so does a test recorder. The hooks await what
 * `emit` returns and use nothing else of it: an emitter that writes
 * asynchronously (a database insert) returns a promise, and its rejection
 * fails the ceremony closed as a throw does.
 */
export interface AuditEmitter {
  emit(draft: AuditEventDraft): unknown;
}
