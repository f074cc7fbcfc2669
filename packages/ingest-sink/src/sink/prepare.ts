import { INSERT_COLUMNS, loneSurrogateEscape, parseAuditEvent, toRow, wellFormedJson, type ColumnValue, type TransportMeta } from '@audit-trail/schema';
import type { SpoolEntry } from '../spool/record.js';
import type { WriteItem } from './types.js';
import { SinkError } from './errors.js';
import { ChunkedEventRow, RowChunk } from '../rows/row-chunk.js';
import { MAX_TEXT_CHARS } from '../rows/packed-rows.js';
import { rejectKey } from '../adapters/reject-key.js';

/**
 * A validated event, as a row of {@link INSERT_COLUMNS} values. The sink's
 * rows are {@link ChunkedEventRow}s, which read these fields from a packed
 * chunk: treat them as read-only.
 */
export interface EventRow {
  readonly kind: 'event';
  readonly values: ColumnValue[];
  readonly eventId: string;
  readonly chainId: string | null;
  readonly seq: number | null;
  /** For a reject if the row collides on (chain_id, seq). */
  readonly source: string;
  readonly raw: string;
}

/** A row of the rejects table (received_at is filled by the database). */
export interface RejectRow {
  readonly kind: 'reject';
  readonly source: string;
  readonly reason: string;
  readonly raw: string;
  /** Its idempotency key, {@link rejectKey} of the three above: make rows with {@link rejectRow}. */
  readonly key: string;
}

/** A reject row with its key. */
export function rejectRow(source: string, reason: string, raw: string): RejectRow {
  return { kind: 'reject', source, reason, raw, key: rejectKey(source, reason, raw) };
}

/** What one spooled item becomes. */
export type PreparedRow = EventRow | RejectRow;

/** Longest line kept whole; a longer one becomes a reject holding its first {@link REJECT_RAW_KEEP} characters. */
export const MAX_LINE_CHARS = 8 * 1024 * 1024;
/** How much of an over-long line a reject keeps. */
export const REJECT_RAW_KEEP = 1024 * 1024;
const REASON_MAX = 4000;
const SOURCE_MAX = 256;

/** Character limit of each insert column that comes from the transport (not the signed event), from its SQL type. */
const CLAMPS: [number, number][] = INSERT_COLUMNS.flatMap((c, i) => {
  const m = /CHAR\((\d+)\)/.exec(c.type.mssql);
  return !c.projection && m && c.name !== 'event_json' ? [[i, Number(m[1])] as [number, number]] : [];
});

/** NUL cannot be stored in PostgreSQL text; U+FFFD marks where it was. */
const clean = (s: string) => (s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s);

function isWrapped(item: object): item is { line: string; meta?: SpoolEntry['meta']; source?: string; reject?: string } {
  return typeof (item as { line?: unknown }).line === 'string' && !('event_type' in item);
}

/** The reject reason of a line of `length` characters over {@link MAX_LINE_CHARS}. */
export const lineTooLongReason = (length: number): string =>
  `LINE_TOO_LONG: line of ${length} characters exceeds the limit of ${MAX_LINE_CHARS}; the first ${REJECT_RAW_KEEP} are kept`;

/**
 * The spool entry of a line: made well-formed (lone surrogates become
 * U+FFFD), so the spooled bytes and the validated text are the same; a line
 * over {@link MAX_LINE_CHARS} is cut to its first {@link REJECT_RAW_KEEP}
 * characters before it is spooled (it can only become a reject, and whole it
 * could pass the spool's record limit, which replay takes for corruption).
 */
function lineEntry(line: string): SpoolEntry {
  if (line.length <= MAX_LINE_CHARS) return { line: line.toWellFormed() };
  return { line: line.slice(0, REJECT_RAW_KEEP).toWellFormed(), overLong: line.length };
}

/**
 * Turns a write item into what the spool keeps ({@link lineEntry}). Throws
 * `SINK_BAD_ITEM` only for items that are not one of the accepted shapes (a
 * programming error of the caller).
 */
export function toSpoolEntry(item: WriteItem, defaultSource: string): SpoolEntry {
  // The default source is not spooled (prepareRows applies it), saving a JSON meta per record.
  if (typeof item === 'string') return lineEntry(item);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new SinkError('SINK_BAD_ITEM', `write() takes event objects, JSON lines or { line, meta, source }; got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}`);
  }
  if (isWrapped(item)) {
    const meta = item.meta && typeof item.meta === 'object' ? item.meta : undefined;
    const source = typeof item.source === 'string' && item.source !== defaultSource ? item.source : undefined;
    // Properties set one by one, not spread: this runs for every event (see validate()).
    const entry = lineEntry(item.line);
    if (meta) entry.meta = meta;
    if (source !== undefined) entry.source = source;
    if (item.reject !== undefined) {
      if (typeof item.reject !== 'string' || item.reject === '') throw new SinkError('SINK_BAD_ITEM', 'an item\'s reject reason must be a non-empty string');
      entry.reject = item.reject;
    }
    return entry;
  }
  let line: string;
  try {
    line = JSON.stringify(item);
    // Written here, so spelled as the schema reads it where the schema
    // repairs: a lone surrogate half in free text (a user agent, a message)
    // as U+FFFD; as text it is refused (parse.ts). Only when the object this
    // text holds (undefined members dropped) is a valid event: in an
    // identifier the schema refuses the half (a repaired user id would name
    // someone else: fields/text.ts), so that text is left for validation to
    // refuse (found by a review).
    if (loneSurrogateEscape(line) !== undefined && parseAuditEvent(JSON.parse(line)).ok) line = wellFormedJson(line);
  } catch (err) {
    throw new SinkError('SINK_BAD_ITEM', `event object cannot be serialised: ${(err as Error).message}`);
  }
  return lineEntry(line);
}

/** What validation makes of one entry before its values are packed. */
type Validated = RejectRow | { kind: 'event'; values: ColumnValue[]; source: string };

/**
 * The meta handed to toRow, with the entry's `raw`: one copy per distinct
 * meta object, not per event. Consecutive entries of a request share one
 * meta object (normalize/transport-meta.ts), and toRow keeps nothing of it.
 */
interface MetaScratch {
  from: SpoolEntry['meta'] | null;
  meta: TransportMeta;
}

/**
 * Counts the valid events dated after a moment, to the second: `after` is
 * that moment's first 19 characters (`YYYY-MM-DDTHH:MM:SS`). `event_time` is
 * RFC 3339 UTC ending in `Z` with a four-digit year (the schema's
 * utcTimestamp), so its first 19 characters compare as text in time order
 * (a fraction of a second would not: `.5Z` sorts before `Z`); one string
 * comparison per event, on the thread that acks.
 */
export interface FutureTally {
  readonly after: string;
  count: number;
}

/** A {@link FutureTally} of events dated more than `skewMs` after `now`. */
export function futureTally(skewMs: number, now = Date.now()): FutureTally {
  return { after: new Date(now + skewMs).toISOString().slice(0, 19), count: 0 };
}

function validate(entry: SpoolEntry, defaultSource: string, scratch: MetaScratch, future: FutureTally | undefined): Validated {
  const source = clean((entry.source ?? defaultSource).slice(0, SOURCE_MAX));
  const line = entry.line;
  // Cut before spooling (lineEntry); the length check covers entries made elsewhere.
  const length = entry.overLong ?? line.length;
  if (length > MAX_LINE_CHARS) {
    return rejectRow(source, lineTooLongReason(length), clean(line.slice(0, REJECT_RAW_KEEP)));
  }
  if (entry.reject !== undefined) return rejectRow(source, clean(entry.reject.slice(0, REASON_MAX)), clean(line));
  const parsed = parseAuditEvent(line);
  if (!parsed.ok) {
    return rejectRow(source, clean(JSON.stringify(parsed.issues).slice(0, REASON_MAX)), clean(line));
  }
  if (future !== undefined && parsed.event.event_time.slice(0, 19) > future.after) future.count++;
  // Object.assign, not `{ ...meta, raw }`: on Node 20 the spread costs ~1 µs
  // per copy against ~0.06 µs (bench/object-copy.mjs), on the thread that acks.
  if (scratch.from !== entry.meta) {
    scratch.from = entry.meta;
    scratch.meta = Object.assign({}, entry.meta) as TransportMeta;
  }
  scratch.meta.raw = line;
  const values = toRow(parsed.event, scratch.meta);
  for (const [i, max] of CLAMPS) {
    const v = values[i];
    if (v !== null && v !== undefined) values[i] = clean(String(v)).slice(0, max);
  }
  return { kind: 'event', values, source };
}

/** Characters of a row's string cells: what it adds to its chunk's text. */
function textChars(values: readonly ColumnValue[]): number {
  let n = 0;
  for (const v of values) if (typeof v === 'string') n += v.length;
  return n;
}

/**
 * Validates spooled entries into event rows and reject rows, in order (never
 * throws). The event rows of consecutive entries share packed chunks
 * (rows/row-chunk.ts), which is how the sink keeps them until commit. A
 * chunk's text is kept under `maxTextChars` (default {@link MAX_TEXT_CHARS}:
 * V8 allocates longer strings in large-object space, 30x slower to fill
 * here, rows/packed-rows.js); a row longer than that gets a chunk of its own.
 * With `future`, the valid events dated after its moment are counted in it.
 */
export function prepareRows(entries: readonly SpoolEntry[], defaultSource: string, maxTextChars = MAX_TEXT_CHARS, future?: FutureTally): PreparedRow[] {
  const out: PreparedRow[] = new Array(entries.length);
  let pending: { at: number; values: ColumnValue[]; source: string }[] = [];
  let chars = 0;
  const close = () => {
    if (pending.length === 0) return;
    const chunk = new RowChunk(pending.map((p) => p.values));
    pending.forEach((p, i) => (out[p.at] = new ChunkedEventRow(chunk, i, p.source)));
    pending = [];
    chars = 0;
  };
  const scratch: MetaScratch = { from: null, meta: { raw: '' } };
  for (let i = 0; i < entries.length; i++) {
    const v = validate(entries[i]!, defaultSource, scratch, future);
    if (v.kind === 'reject') {
      out[i] = v;
      continue;
    }
    const rowChars = textChars(v.values);
    if (chars + rowChars > maxTextChars) close();
    pending.push({ at: i, values: v.values, source: v.source });
    chars += rowChars;
  }
  close();
  return out;
}
