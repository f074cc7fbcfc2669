import { CodedError } from './coded-error.js';

/** Why {@link completeEvent} could not complete a draft. */
export type EventDraftErrorCode = 'EVENT_DRAFT_INVALID' | 'EVENT_CONTEXT_INVALID';

/**
 * Thrown by `completeEvent` when the draft is not an object or the context
 * is missing or unusable (no context at all, `now` that is no function or
 * returns no valid Date, `runtime` or `producer` that is no object). What
 * the draft's fields hold is not its business: `parseAuditEvent` reports
 * that.
 */
export class EventDraftError extends CodedError<EventDraftErrorCode> {
  override readonly name = 'EventDraftError';
}
