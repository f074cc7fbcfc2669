/**
 * Fluentd EventTime: msgpack ext type 0 with 8 bytes, seconds then
 * nanoseconds, both uint32 big-endian (forward protocol v1, "EventTime Ext
 * Format"; Fluentd packs with Ruby 'NN', i.e. unsigned).
 */
export class EventTime {
  constructor(
    readonly seconds: number,
    readonly nanoseconds: number,
  ) {}

  /** Milliseconds since the epoch (sub-millisecond digits dropped). */
  toMillis(): number {
    return this.seconds * 1000 + Math.floor(this.nanoseconds / 1e6);
  }
}

/** An ext value other than EventTime, kept as type and bytes. */
export class ExtValue {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

/** Seconds since the epoch of a forward-protocol `Time` (integer, EventTime, or v1.5 `[time, meta]`), or undefined. */
export function timeToMillis(t: unknown): number | undefined {
  if (typeof t === 'number' && Number.isFinite(t)) return t * 1000;
  if (t instanceof EventTime) return t.toMillis();
  // v1.5 "Entry / time part": [time, {metadata}]
  if (Array.isArray(t) && t.length >= 1 && !Array.isArray(t[0])) return timeToMillis(t[0]);
  return undefined;
}
