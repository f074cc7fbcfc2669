import { COLUMNS, type AuditEvent } from '@audit-trail/schema';

/** A projection column whose stored value differs from the value derived from the signed JSON. */
export interface ProjectionDiff {
  column: string;
  stored: unknown;
  expected: unknown;
}

const projected = COLUMNS.filter((c) => c.projection && c.from);
/**
 * Columns the event may hold or the transport fill in (placement, the
 * container: `projection: false`). The transport's values are not signed,
 * so these are compared only where the signed event holds one: reports show
 * them, and an edit of a signed container or pod name went unnoticed (found
 * by a review). `event_json` is what is verified, not a projection of it.
 */
const eventOrTransport = COLUMNS.filter((c) => !c.projection && c.from && c.name !== 'event_json');
/** Every column compared: the projections, then those the transport may fill in. */
const checked = [...projected, ...eventOrTransport];
const isTimestamp = (type: string) => type.startsWith('TIMESTAMP');
const CASELESS = new Set(['event_id', 'chain_id']);

/**
 * The value as the event spells it, for columns the sink writes in a fixed
 * form that older sinks did not: a row they stored holds this spelling
 * (event_timestamp before 2026-12-05, client_ip before 2026-12-07).
 */
const AS_SPELLED: Partial<Record<string, (e: AuditEvent) => unknown>> = {
  event_timestamp: (e) => e.event_time,
  client_ip: (e) => e.client_ip,
};

/**
 * `stored` against `expected`. A timestamp read as a Date (PostgreSQL, SQL
 * Server) is compared as an instant; one read as text (SQLite keeps the
 * column as text, and the reports compare it as text) must be spelled
 * exactly as the sink writes it, or as `source` (the event's own
 * `event_time`, what sinks before 2026-12-05 stored): `+002026-...` or a
 * space for the `T` is the same instant to Date.parse but sorts before
 * every `2026-...`, which took a signed row out of every time-windowed
 * report with `verify --db` clean (found by a probe).
 */
function same(name: string, timestamp: boolean, expected: unknown, stored: unknown, source?: unknown): boolean {
  if (expected === null || expected === undefined) return stored === null || stored === undefined;
  if (stored === null || stored === undefined) return false;
  // Bytes (a SQLite BLOB, which any column can hold) never come from the sink.
  // String() read a BLOB of the same text as equal, while SQL compares it with
  // no text: an event_type cast to BLOB left every report, verify clean (found by a probe).
  if (stored instanceof Uint8Array) return false;
  if (source !== undefined && stored === source) return true;
  if (timestamp && typeof stored === 'string') return stored === expected;
  if (timestamp) {
    const a = Date.parse(String(expected));
    const b = stored instanceof Date ? stored.getTime() : Date.parse(String(stored));
    // Columns keep milliseconds; an event time with more digits may be rounded by one.
    return Math.abs(a - b) <= 1;
  }
  const x = String(expected);
  const y = stored instanceof Date ? stored.toISOString() : String(stored);
  return CASELESS.has(name) ? x.toLowerCase() === y.toLowerCase() : x === y;
}

/**
 * Compares the analyst-facing columns stored beside a signed event with what
 * the schema's `COLUMNS[].from` derives from that event (the same function
 * the sink used to write them): every projection column, and each column the
 * transport may fill in where the event holds the value itself. Only columns
 * present in `columns` are compared, so a reader may select a subset.
 */
export function projectionDiffs(event: AuditEvent, columns: Record<string, unknown>): ProjectionDiff[] {
  const diffs: ProjectionDiff[] = [];
  for (const c of checked) {
    if (!Object.hasOwn(columns, c.name)) continue;
    // Without transport meta, `from` gives the event's own value, or nothing.
    const expected = c.from!(event, { raw: '' }) ?? null;
    // A transport column the event leaves empty holds the transport's value, unsigned.
    if (expected === null && !c.projection) continue;
    // A column added after the row was stored: NULL, and read from event_json instead
    // (every older row with a Kubernetes node failed after migrate; found by a review).
    if (c.addedIn !== undefined && (columns[c.name] === null || columns[c.name] === undefined)) continue;
    const source = AS_SPELLED[c.name]?.(event);
    if (!same(c.name, isTimestamp(c.type.postgres), expected, columns[c.name], source)) diffs.push({ column: c.name, stored: columns[c.name], expected });
  }
  return diffs;
}
