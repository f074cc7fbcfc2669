import type { AuditEventDraft } from '@audit-trail/schema';
import type { AuditEmitter } from './emitter.js';

/**
 * Guards the rule "exactly one event per verification": a second emit is a
 * bug and throws; `done` tells the caller whether the error path still owes
 * the event. It is marked before calling the emitter, so an emitter that
 * throws is never called twice for the same verification.
 */
export class OneEvent {
  #done = false;
  constructor(private readonly audit: AuditEmitter) {}

  get done(): boolean {
    return this.#done;
  }

  emit(draft: AuditEventDraft): void {
    if (this.#done) throw new Error('a verification emitted a second audit event');
    this.#done = true;
    this.audit.emit(draft);
  }
}
