import { createHash } from 'node:crypto';
import { escapeControls, LOG_TYPE, sanitizeText, setOwnMember } from '@audit-trail/schema';
import type { ForwardedReject } from '../fallback/forwarder.js';
import type { ReceiverCounters } from '../receivers/counters.js';
import { classifyLine, classifyObject, untrustedContainerClaim, type LineOutcome, type Normalized } from './classify-line.js';
import { isDockerEvent } from './docker-events.js';
import { isFalcoAlert } from './falco.js';
import { isK8sAuditEvent } from './k8s-audit.js';
import { invalidUtf8Bytes } from '../receivers/msgpack/decode.js';
import type { PartialPiece } from './partial-journal.js';
import { PartialAssembler, type AssembledLine, type PartialLimits, type StoredLine } from './partials.js';
import type { TagFilter } from './tag-patterns.js';
import { compileTagTemplate, type TagParser } from './tag-template.js';
import { recordMeta, transportText, type RecordMeta } from './transport-meta.js';

/** Settings of {@link RecordNormalizer}. */
export interface NormalizerOptions {
  /** Docker tag template parsed into Swarm columns. */
  tagTemplate: string;
  partials: PartialLimits;
  /** Tags Docker events, Falco alerts and Kubernetes audit events may arrive with (tag-patterns.ts); any tag when undefined. */
  containerEventTags?: TagFilter;
}

// Keys the Docker driver, Fluentd or Fluent Bit put next to an event that an
// agent already parsed to top level; the event schema is strict, so they are
// moved out of the event (they are transport metadata, not signed content).
const TRANSPORT_KEYS = new Set([
  'container_id', 'container_name', 'source', 'log', 'stream', 'kubernetes', 'docker',
  'partial_message', 'partial_id', 'partial_ordinal', 'partial_last', '_p', 'tag',
]);

/** fluent_signal values that are not logs (Fluent Bit include/fluent-bit/flb_input_chunk.h: metrics, traces, blobs, profiles). */
const NOT_LOGS = new Set([1, 2, 3, 4]);

/**
 * Turns forward-protocol records into sink items. Understands Docker fluentd
 * log-driver records (application line in `log`, `partial_*` pieces
 * reassembled), records an agent already parsed (event fields at top level),
 * Fluent Bit records with kubernetes metadata, Docker events, Falco alerts and
 * Kubernetes audit events of pods/exec, pods/attach and pods/ephemeralcontainers (as CONTAINER_* events).
 * Non-audit records are counted and skipped.
 */
export class RecordNormalizer {
  private readonly parseTag: TagParser;
  private readonly containerEventTags?: TagFilter;
  readonly partials: PartialAssembler<PieceOrigin>;
  /**
   * Keys of split lines released unfinished as audit rejects (displaced,
   * expired, too large), oldest first, at most {@link RELEASED_KEYS}: their
   * later pieces no longer hold the `log_type` that marks an audit line, and
   * were dropped as non-audit when they expired in turn (found by a probe).
   */
  private readonly auditReleased = new Set<string>();

  constructor(
    options: NormalizerOptions,
    private readonly counters: ReceiverCounters,
  ) {
    this.parseTag = compileTagTemplate(options.tagTemplate);
    this.containerEventTags = options.containerEventTags;
    this.partials = new PartialAssembler(options.partials);
  }

  /**
   * Normalises one record of a request; `signal` is the v1.5 fluent_signal
   * (0 logs; Fluent Bit's flb_input_chunk.h: 1 metrics, 2 traces, 3 blobs,
   * 4 profiles). Pushes results to `out`. Only those known not to be logs
   * are skipped: any other value is read as logs, so an audit line under a
   * signal this version does not know is stored, not acked and dropped (a
   * record that is not an audit line is counted in `nonAudit` as usual).
   */
  normalize(tag: string, record: unknown, signal: number, source: string, out: Normalized[]): void {
    const before = out.length;
    try {
      this.normalizeRecord(tag, record, signal, source, out);
    } catch (err) {
      // Never thrown to the receiver: there one record's throw failed its
      // whole request, unacked, on every resend, and the sender's queue
      // stalled behind it (found by a probe). The record is kept as a reject.
      out.length = before;
      const why = sanitizeText(err instanceof Error ? err.message : String(err), 200);
      out.push({ kind: 'sink', item: { line: safeJson(record), meta: { source_tag: transportText(tag, 256) ?? '' }, source, reject: `RECORD_UNREADABLE: ${why}` } });
    }
  }

  private normalizeRecord(tag: string, record: unknown, signal: number, source: string, out: Normalized[]): void {
    if (NOT_LOGS.has(signal)) return void out.push({ kind: 'not_logs' });
    if (typeof record !== 'object' || record === null || Array.isArray(record) || record instanceof Uint8Array) {
      // Not a map: kept as evidence; the sink records it as a reject with its reason.
      return void out.push({ kind: 'sink', item: { line: safeJson(record), meta: { source_tag: transportText(tag, 256) ?? '' }, source } });
    }
    const r = record as Record<string, unknown>;
    const meta = recordMeta(tag, r, this.parseTag);
    if (r.partial_message === 'true' || r.partial_message === true) {
      // Docker sends strings (the ordinal a number); a map or array there
      // made String() throw ({} with a toString key), which failed the whole
      // request on every resend (found by a probe): such a piece is invalid.
      const partialId = pieceText(r.partial_id);
      const containerId = pieceText(r.container_id);
      const ordinal = r.partial_ordinal === undefined ? 1 : typeof r.partial_ordinal === 'number' || typeof r.partial_ordinal === 'string' ? Number(r.partial_ordinal) : Number.NaN;
      // Docker's ids are 64 hex characters; a longer one (the client's choice) would make every
      // open or remembered line as large as it likes.
      const badId = partialId === undefined || containerId === undefined;
      const idTooLong = !badId && (partialId.length > MAX_PIECE_ID || containerId.length > MAX_PIECE_ID);
      if (!Number.isInteger(ordinal) || ordinal < 1 || badId || idTooLong) {
        // Docker numbers pieces from 1; the assembler joins 1..last, so a
        // piece numbered 0 or less would be acked and never stored (found by
        // a probe). Its text is classified alone: an audit line is a reject.
        const n = classifyLine(typeof r.log === 'string' ? r.log : '', meta, source, this.containerEventTags);
        if (n.kind !== 'sink') return void out.push(n);
        const why = badId
          ? 'partial_id or container_id is not a string'
          : idTooLong
            ? `partial_id or container_id is longer than ${MAX_PIECE_ID} characters`
            : `partial_ordinal ${safeJson(r.partial_ordinal).slice(0, 20)} is not a whole number from 1`;
        const reject = n.item.reject ?? `PARTIAL_PIECE_INVALID: ${why}; the piece is kept as it came`;
        return void out.push({ ...n, item: { ...n.item, reject } });
      }
      const piece: PartialPiece = {
        key: `${containerId}/${partialId}`,
        ordinal,
        last: r.partial_last === 'true' || r.partial_last === true,
        // The bytes as sent when they were not valid UTF-8 (a character cut at the piece's end).
        bytes: invalidUtf8Bytes(r, 'log') ?? Buffer.from(typeof r.log === 'string' ? r.log : '', 'utf8'),
        meta,
        source,
      };
      this.counters.partialsBuffered++;
      this.addPiece(piece, Date.now(), out);
      return;
    }
    if (typeof r.log_type === 'string') {
      if (r.log_type !== LOG_TYPE) return void out.push({ kind: 'non_audit' });
      const event: Record<string, unknown> = {};
      // A "__proto__" member (the decoder keeps it as data) stays one in the stored line (setOwnMember).
      for (const k of Object.keys(r)) if (!TRANSPORT_KEYS.has(k)) setOwnMember(event, k, r[k]);
      const reject = this.containerEventTags && untrustedContainerClaim(event.event_type, meta, this.containerEventTags);
      return void out.push({ kind: 'sink', item: { line: safeJson(event), meta, source, ...(reject ? { reject } : {}) } });
    }
    // `message` is the line only in a record that is not itself a runtime record: Falco's
    // JSON alert has a `message` member of its own with `json_include_message_property`
    // (falco.yaml; the rule's output text without time and priority), and an alert an agent
    // parsed to top level (Falco's http_output to Fluent Bit's http input, a tail with a
    // JSON parser) was read by that text alone, which is no audit line: dropped as
    // non-audit, a shell never stored (found by a probe).
    const text = typeof r.log === 'string' ? r.log : typeof r.message === 'string' && !isRuntimeRecord(r) ? r.message : undefined;
    if (text !== undefined) return void out.push(classifyLine(text, meta, source, this.containerEventTags));
    const relayed = relayedReject(r);
    if (relayed) {
      // Kept as the reject it was (its reason as given), the relay named in its source. The
      // payload is evidence, kept as sent; reason and source are the client's text headed for
      // columns, where an ESC or CR/LF reached the table raw (found by a probe): escaped as \xNN,
      // which leaves a relaying sink's own (clean) text, and so its reject_key, unchanged.
      const reason = escapeControls(relayed.reason, RELAYED_REASON_MAX);
      return void out.push({ kind: 'sink', item: { line: relayed.raw_payload, meta, source: `${source} relaying ${escapeControls(relayed.source ?? '-', RELAYED_SOURCE_MAX)}`, reject: reason || 'RELAYED_REJECT' } });
    }
    out.push(classifyObject(r, safeJson(r), meta, source, this.containerEventTags));
  }

  /**
   * Lines released by the assembler outside a request (expiry), classified
   * like any other line under the meta and source of their first piece, and
   * the keys they settle.
   */
  expire(now: number): Released {
    const out: Normalized[] = [];
    const released = this.partials.expire(now);
    for (const done of released) this.released(done, out);
    // A line reopened after its store failed, made whole again by a copy of its last piece, comes back complete.
    const whole = released.filter((l) => l.complete);
    return { out, settles: [...new Set(released.map((l) => l.key))], stored: () => whole.flatMap((l) => this.stored(l) ?? []) };
  }

  /**
   * Takes back the pieces an earlier run journaled for lines it had not
   * completed (partial-journal.ts). Their lines count their age from `now`:
   * the sender could not send the rest while this receiver was down. Returns
   * what they release (a line the crash interrupted after its last piece
   * came is complete again here; its last piece, never acked, comes again
   * and is taken for the resend it is once `stored()` is called) and the
   * keys that settles.
   */
  restore(pieces: readonly PartialPiece[], now: number): Released {
    const out: Normalized[] = [];
    for (const piece of pieces) {
      this.counters.partialsRestored++;
      this.counters.partialsBuffered++;
      this.addPiece(piece, now, out);
    }
    const settles: string[] = [];
    const completed: LineOutcome[] = [];
    for (const n of out) {
      if (n.kind !== 'partial') continue;
      settles.push(...n.settles);
      if (n.completed) completed.push(n.completed);
    }
    return { out: out.filter((n) => n.kind !== 'partial'), settles, stored: () => completed.flatMap((c) => c.stored() ?? []) };
  }

  /**
   * Adds one piece to the assembler. Pushes `{kind: 'partial'}` with the
   * piece to journal (none when it was not kept: a resend of a piece of a
   * line already stored, a piece that conflicts with an earlier one, or one
   * that made its line too large and released it at once), the keys of
   * lines it closed, and for a line it completed what to do once it is
   * stored or failed to be (see Normalized); then what those lines are.
   */
  private addPiece(piece: PartialPiece, now: number, out: Normalized[]): void {
    if (this.partials.isResent(piece.key, piece.ordinal, piece.bytes)) {
      this.counters.partialsResent++;
      return void out.push({ kind: 'partial', settles: [] });
    }
    const released = this.partials.add(piece.key, piece.ordinal, piece.last, piece.bytes, { meta: piece.meta, source: piece.source }, now);
    const notKept = released.some((l) => l.key === piece.key && (l.reason === 'conflicting_piece' || l.reason === 'too_large'));
    const settles = [...new Set(released.filter((l) => l.reason !== 'conflicting_piece').map((l) => l.key))];
    const line = released.find((l) => l.complete);
    const completed: LineOutcome | undefined = line && {
      stored: () => this.stored(line),
      failed: () => this.partials.reopen(line, piece.ordinal),
    };
    out.push({ kind: 'partial', ...(notKept ? {} : { piece }), settles, ...(completed ? { completed } : {}) });
    for (const done of released) this.released(done, out);
  }

  /**
   * A completed line is stored: its pieces sent again are resends from now
   * on (and a copy open already is one). Returns what the journal keeps of
   * it, so that this holds after a restart too.
   */
  private stored(line: AssembledLine<PieceOrigin>): StoredLine | undefined {
    const { dropped, record } = this.partials.stored(line);
    this.counters.partialsResent += dropped;
    return record;
  }

  private released(done: AssembledLine<PieceOrigin>, out: Normalized[]): void {
    if (done.complete) this.counters.partialsReassembled++;
    else this.counters.partialsExpired++;
    const { meta, source } = done.context;
    const n = classifyLine(done.line, meta, source, this.containerEventTags);
    // Pieces that did not make a whole line are evidence, never an event:
    // kept as they arrived, with why. A JSON parse error would not tell a
    // reader that the line was cut short in transit, or sent twice over.
    const partialId = done.key.slice(done.key.indexOf('/') + 1).slice(0, 128);
    if (!done.complete && n.kind !== 'sink' && this.auditReleased.has(keyDigest(done.key))) {
      // The rest of an audit line released before: evidence too, whatever it looks like.
      const reject = `PARTIAL_LINE_REST: later pieces of a split audit line whose first pieces were released earlier (partial_id ${partialId}); kept as they arrived`;
      return void out.push({ kind: 'sink', item: { line: done.line, meta, source, reject } });
    }
    if (done.complete || n.kind !== 'sink') return void out.push(n);
    // A whole line given up, not pieces kept apart from one still open.
    if (done.reason === 'expired' || done.reason === 'too_large' || done.reason === 'too_many_open') this.rememberReleased(keyDigest(done.key));
    const reject = `${PARTIAL_REASONS[done.reason!]} (partial_id ${partialId})`;
    out.push({ kind: 'sink', item: { line: done.line, meta, source, reject } });
  }

  private rememberReleased(key: string): void {
    this.auditReleased.delete(key);
    this.auditReleased.add(key);
    if (this.auditReleased.size > RELEASED_KEYS) this.auditReleased.delete(this.auditReleased.values().next().value!);
  }
}

/** Longest relayed reject reason and source kept (the rejects table's reason and source columns). */
const RELAYED_REASON_MAX = 4000;
const RELAYED_SOURCE_MAX = 256;

/** Longest partial_id or container_id of a piece that is joined (Docker's are 64 characters). */
const MAX_PIECE_ID = 128;

/** How many released audit lines' keys are remembered for their later pieces (digests of 22 characters: about 1 MB). */
const RELEASED_KEYS = 10_000;

/**
 * A split line's key (container id and partial_id, both the client's) as a
 * fixed-size digest: a partial_id of megabytes must not make the set of
 * remembered keys hold gigabytes (found by a review).
 */
function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}

/** The reject reason of pieces released without making a whole line, by why they were released. */
const PARTIAL_REASONS: Record<NonNullable<AssembledLine['reason']>, string> = {
  expired: 'PARTIAL_LINE_EXPIRED: the last piece of a line the Docker log driver split did not arrive in time; the pieces that did are kept, joined in order',
  too_large: 'PARTIAL_LINE_TOO_LARGE: a line the Docker log driver split grew past partials.maxLineBytes; its pieces so far are kept, joined in order',
  too_many_open: 'PARTIAL_LINE_DISPLACED: more lines or bytes were being reassembled than partials.maxOpen or maxOpenBytes allow, and this one was the oldest; its pieces so far are kept, joined in order',
  beyond_last: 'PARTIAL_PIECE_BEYOND_LAST: pieces numbered past the one marked last of their line, kept apart from it',
  conflicting_piece: 'PARTIAL_PIECE_CONFLICT: a second piece with other bytes at an ordinal of its line already taken, kept apart from the line',
};

/**
 * Lines the assembler released outside a request (expiry, restore), to be
 * stored; then call `stored()` and settle `settles` in the journal with
 * what it returns.
 */
export interface Released {
  out: Normalized[];
  settles: string[];
  stored(): StoredLine[];
}

/** Where a partial line came from: its first piece's transport meta and source. */
interface PieceOrigin {
  meta: RecordMeta;
  source: string;
}

/**
 * A split line's id field as its key text: a string, or a number or
 * nothing as earlier versions keyed them (`String(v)`: "undefined" for a
 * record without `container_id`, so journaled pieces still match); any
 * other value (a map, an array, bytes) is undefined, an invalid piece.
 */
function pieceText(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' || v === undefined || v === null || typeof v === 'boolean' ? String(v) : undefined;
}

/** Whether a record has the shape of a Docker event, a Falco alert or a Kubernetes audit event (classifyObject maps those). */
function isRuntimeRecord(r: Record<string, unknown>): boolean {
  return isDockerEvent(r) || isFalcoAlert(r) || isK8sAuditEvent(r);
}

/** JSON text of a decoded msgpack value; bytes become base64, EventTime its fields, so nothing throws. */
export function safeJson(value: unknown): string {
  try {
    // `this[k]`, not `v`: JSON.stringify calls a Buffer's toJSON before the
    // replacer, which would see {"type":"Buffer","data":[...]}, three to four
    // times the base64 (found by a probe).
    return JSON.stringify(value, function (this: Record<string, unknown>, k: string, v: unknown) {
      const raw = this[k];
      if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
      if (typeof v === 'bigint') return v.toString();
      return v;
    }) ?? 'null';
  } catch {
    return '"(unserialisable record)"';
  }
}

/**
 * A reject as another sink's Fluent forward fallback sends it
 * ({@link ForwardedReject} and nothing else; `source` may be absent), or
 * undefined. Without this, a sink whose fallback points at an
 * audit-trail aggregator would have its rejects counted as non-audit
 * records and dropped there.
 */
function relayedReject(r: Record<string, unknown>): (Omit<ForwardedReject, 'source'> & { source?: string }) | undefined {
  if (typeof r.raw_payload !== 'string' || typeof r.reason !== 'string') return undefined;
  if (r.source !== undefined && typeof r.source !== 'string') return undefined;
  for (const k of Object.keys(r)) if (k !== 'raw_payload' && k !== 'reason' && k !== 'source') return undefined;
  return r as Omit<ForwardedReject, 'source'> & { source?: string };
}
