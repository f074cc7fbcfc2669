import type { AuditEventDraft } from '@audit-trail/schema';
import type { AuditEmitter } from './emitter.js';

/**
 * Guards the rule "exactly one event per verification": a second emit is a
 * bug and throws; `done` tells the caller whether the error path still owes
 * the event. It is marked before calling the emitter, so an emitter that
 * throws is never called twice for the same verification. The one exception
 * is {@link OneEvent.retract}.
 *
 * What `emit` returns is awaited: an emitter that writes asynchronously (a
 * database insert, a queue producer) fits the AuditEmitter type, and
 * without the await its rejection went unhandled (which ends a Node
 * process) while the ceremony it was to audit stored the account or
 * signed the user in: not the fail-closed the README promises (found by a
 * probe). A synchronous emitter (`createAuditLogger()`) has written its
 * line before the await.
 */
export class OneEvent {
  #done = false;
  #retracted = false;
  constructor(private readonly audit: AuditEmitter) {}

  get done(): boolean {
    return this.#done;
  }

  async emit(draft: AuditEventDraft): Promise<void> {
    if (this.#done) throw new Error('a verification emitted a second audit event');
    this.#done = true;
    await this.audit.emit(draft);
  }

  /**
   * The one second event a verification may write: its success was audited,
   * then a store refused to keep what it verified (a replica of the service
   * registered the same name first). The trail is append-only, so the
   * success stays and this failure says it did not stand.
   */
  async retract(draft: AuditEventDraft): Promise<void> {
    if (!this.#done || this.#retracted) throw new Error('a verification retracted an event it did not write, or twice');
    this.#retracted = true;
    await this.audit.emit(draft);
  }
}
