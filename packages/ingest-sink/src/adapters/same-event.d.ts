/** Whether a stored `event_json` and a line with the same event_id hold the same event (equal text, or equal JSON without the transport fields). */
export function sameEvent(stored: string, raw: string, transportFields: readonly string[]): boolean;
