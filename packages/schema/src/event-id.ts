import { v7 } from 'uuid';

/**
 * A new event id: UUIDv7 (RFC 9562 §5.7), monotonic within this process.
 * Time-ordered ids keep the unique index on `event_id` append-only; random
 * (v4) ids halve SQLite insert speed on that index.
 */
export function newEventId(): string {
  return v7();
}

/** The Unix-millisecond timestamp embedded in a UUIDv7 (first 48 bits). */
export function eventIdTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
