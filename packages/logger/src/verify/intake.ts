import { CHAIN_EVENT_TYPES, duplicateName, LOG_TYPE, nonIntegerLiteral, MAX_EVENT_JSON_LENGTH, parseAuditEvent, TRANSPORT_FIELDS } from '@audit-trail/schema';
import { signableProblem } from '../signing/canonical.js';
import { MAX_LINE_BYTES } from './byte-lines.js';
import type { MacVerifier } from './chain-mac.js';
import type { EpochKeyRefusal } from './epoch-keys.js';
import { projectionDiffs } from './projection.js';
import type { Finding, VerifyRecord } from './types.js';
import { checkRecord } from './verify-options.js';

/** A record that claims a chain position (has `integrity.chain_id` and `integrity.seq`); only what the checks need. */
export interface ChainEntry {
  index: number;
  chainId: string;
  seq: number;
  epoch: number;
  kid: string;
  prev: string;
  mac: string;
  eventType: string;
  time: number;
  /** VerifyRecord.storedAt in ms, NaN when not given. */
  stored: number;
  /** The `chain` detail of OPEN / CHECKPOINT / CLOSE records. */
  chain?: Record<string, unknown>;
  service?: string;
  instance?: string;
  /** The record without transport fields (what the MAC covers), until its MAC is checked. */
  signed?: Record<string, unknown> | undefined;
  /** MAC result once checked; undefined when no key allowed checking. */
  macOk?: boolean;
  /** Why the epoch key was not derived (macOk is then false). */
  keyRefused?: EpochKeyRefusal;
  location?: string;
  eventId?: string;
}

/** An audit record without integrity. */
export interface UnsignedEntry {
  service?: string;
  instance?: string;
  time: number;
  location?: string;
  eventId?: string;
}

/**
 * Where the intake files what it keeps of a record: by default into
 * {@link Intake.chains} and {@link Intake.unsigned} (judged at the end); a
 * verifier reading chain after chain (VerifyOptions.order "chain") judges
 * them as they come instead.
 */
export interface IntakeTarget {
  entry(e: ChainEntry): void;
  unsigned(u: UnsignedEntry): void;
}

/** What the intake sorted out of the input. */
export interface Intake {
  chains: Map<string, ChainEntry[]>;
  unsigned: UnsignedEntry[];
  findings: Finding[];
  records: number;
  ignored: number;
  newest: number;
  /** The latest event_time of a chain record the logger dated itself (open, checkpoint, close): NaN when none. */
  newestMark: number;
  /** The latest storedAt of any record (NaN when none has one). */
  newestStored: number;
}

const transport = new Set<string>(TRANSPORT_FIELDS);
/** The chain records a signing logger dates itself; any other event_time may be its caller's. */
const MARK_TYPES = new Set<string>(CHAIN_EVENT_TYPES);

/**
 * Whether a log line that is not a JSON object was meant to be an audit
 * record: it starts like JSON (a torn or edited record) or names what audit
 * records carry (`security_audit`, `"integrity"`: a record behind a prefix,
 * as `docker logs --timestamps` prints). Such a line is SCHEMA_INVALID; any
 * other is another program's output on the same stream, skipped.
 * Skipping cannot hide a signed record: its seq then goes missing (SEQ_GAP).
 */
function looksLikeAuditRecord(text: string): boolean {
  return /^\s*[[{]/.test(text) || text.includes('security_audit') || text.includes('"integrity"');
}
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Reads each record once: parses JSON text, strips transport fields, checks
 * the schema (SCHEMA_INVALID), compares projection columns
 * (PROJECTION_MISMATCH), hands chain records to the MAC verifier, and files
 * them under their chain (a few fields each) or counts them as unsigned.
 * JSON objects with neither `log_type: "security_audit"` nor `integrity` are
 * other log lines and are skipped (counted). Records are added one at a
 * time, from a list or a stream alike: nothing else of them is kept.
 */
export class IntakeBuilder {
  readonly out: Intake = { chains: new Map(), unsigned: [], findings: [], records: 0, ignored: 0, newest: Number.NaN, newestMark: Number.NaN, newestStored: Number.NaN };
  private index = 0;

  /** One copy of the strings every record of a chain repeats (chain id, kid, producer, type): JSON.parse makes a new one each time. */
  private readonly strings = new Map<string, string>();

  constructor(
    private readonly macs: MacVerifier,
    private readonly target: IntakeTarget = {
      entry: (e) => {
        const list = this.out.chains.get(e.chainId);
        if (list) list.push(e);
        else this.out.chains.set(e.chainId, [e]);
      },
      unsigned: (u) => this.out.unsigned.push(u),
    },
  ) {}

  private intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    // Bounded: a hostile input of unique ids is not worth a map entry each.
    if (this.strings.size < 10_000) this.strings.set(s, s);
    return s;
  }

  /**
   * Findings on the JSON text itself, which the MAC (over what JSON.parse
   * read) cannot see: a name twice in one object, a number not written as a
   * plain integer. Reported, and the record still checked, so its chain
   * position is not also a gap.
   */
  private textChecks(text: string, value: unknown, location: string | undefined, dup = duplicateName(text, value)): void {
    if (dup !== undefined) {
      this.out.findings.push(textFinding(value, location, `the name ${JSON.stringify(dup.slice(0, 64))} occurs twice in one object: parsers that keep the first occurrence read another value than the one verified`));
    }
    const number = nonIntegerLiteral(text);
    if (number !== undefined) {
      this.out.findings.push(textFinding(value, location, `the number ${JSON.stringify(number.slice(0, 40))} is not written as a plain integer: the MAC covers what JSON.parse reads (${String(Number(number)).slice(0, 40)}), other readers (PostgreSQL jsonb, SQL casts, decimal parsers) may read another value`));
    }
  }

  /** Throws AuditConfigError for an item that is not a record at all (null, a string): the caller's mistake, not the data's. */
  add(rec: VerifyRecord): void {
    const out = this.out;
    const index = ++this.index;
    checkRecord(rec, index);
    const location = rec.location;
    let value = rec.event;
    const text = typeof value === 'string' ? value : undefined;
    if (rec.lineBytes !== undefined) {
      out.findings.push({ code: 'SCHEMA_INVALID', chain_id: null, seq: null, message: `line of ${rec.lineBytes} bytes exceeds the reader's limit of ${MAX_LINE_BYTES}: not verified, nor any record in it`, ...(location ? { location } : {}) });
      return;
    }
    if (typeof value === 'string') {
      if (value.length > MAX_EVENT_JSON_LENGTH) {
        out.findings.push({ code: 'SCHEMA_INVALID', chain_id: null, seq: null, message: `line of ${value.length} characters exceeds ${MAX_EVENT_JSON_LENGTH}`, ...(location ? { location } : {}) });
        return;
      }
      try {
        value = JSON.parse(value);
      } catch {
        if (rec.logLine === true && !looksLikeAuditRecord(text!)) {
          out.ignored++;
          return;
        }
        out.findings.push({ code: 'SCHEMA_INVALID', chain_id: null, seq: null, message: 'not valid JSON', ...(location ? { location } : {}) });
        return;
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      // A log line that parses as a number or a quoted string is other output too.
      if (rec.logLine === true && typeof rec.event === 'string' && !looksLikeAuditRecord(rec.event)) {
        out.ignored++;
        return;
      }
      out.findings.push({ code: 'SCHEMA_INVALID', chain_id: null, seq: null, message: 'not a JSON object', ...(location ? { location } : {}) });
      return;
    }
    const obj = value as Record<string, unknown>;
    const integrity = obj.integrity as Record<string, unknown> | undefined;
    // An `integrity` that is no object claims no chain position: another
    // program's line with a Subresource Integrity hash (`"integrity":
    // "sha384-..."`) was taken for an audit record, SCHEMA_INVALID, and a
    // clean stream exited 1 (found by a probe). A signed record so altered
    // drops out of its chain, which its missing seq shows.
    if (obj.log_type !== LOG_TYPE && (typeof integrity !== 'object' || integrity === null)) {
      // Not a log line (a database row, a caller's own list): every record
      // must be an audit record. A row of the events table holding other
      // JSON ('{}') was skipped while reports showed its columns: a forged
      // event no check saw (found by a probe). The sink never stores one.
      if (rec.logLine !== true) {
        out.findings.push({ code: 'SCHEMA_INVALID', chain_id: null, seq: null, message: `not an audit record (no log_type "${LOG_TYPE}" and no integrity): a stored row must hold one`, ...(location ? { location } : {}) });
        return;
      }
      // A name twice can hide a log_type or integrity another parser reads: reported when the
      // line names one of them (or holds an escape that could spell it).
      const dup = text !== undefined && /"log_type"|"integrity"|\\u/.test(text) ? duplicateName(text, value) : undefined;
      if (dup !== undefined) this.textChecks(text!, value, location, dup);
      else out.ignored++;
      return;
    }
    out.records++;
    // Audit records only, as below: another app's line with a decimal number is not ours to judge.
    if (text !== undefined) this.textChecks(text, value, location);
    // Audit records only: another app's log line with stray bytes is not ours to judge.
    if (rec.invalidUtf8) {
      out.findings.push(textFinding(value, location, 'the line is not valid UTF-8 (RFC 8259 §8.1); its bad bytes were read as U+FFFD, so other readers may see other text than the one verified'));
    }
    const signed = Object.fromEntries(Object.entries(obj).filter(([k]) => !transport.has(k)));
    const parsed = parseAuditEvent(signed);
    const time = Date.parse(str(obj.event_time) ?? '');
    if (!Number.isNaN(time) && !(time <= out.newest)) out.newest = time;
    if (!Number.isNaN(time) && integrity !== undefined && MARK_TYPES.has(obj.event_type as string) && !(time <= out.newestMark)) out.newestMark = time;
    const stored = storedMs(rec.storedAt);
    if (!Number.isNaN(stored) && !(stored <= out.newestStored)) out.newestStored = stored;
    const eventId = str(obj.event_id);
    const chainId = typeof integrity === 'object' && integrity !== null ? str(integrity.chain_id) : undefined;
    const seq = chainId ? integrity!.seq : undefined;
    const at = { chain_id: chainId ?? null, seq: typeof seq === 'number' ? seq : null, ...(location ? { location } : {}), ...(eventId ? { event_id: eventId } : {}) };

    if (!parsed.ok) {
      const why = parsed.issues.slice(0, 3).map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
      out.findings.push({ code: 'SCHEMA_INVALID', ...at, message: `fails the schema: ${why}` });
    } else if (rec.columns) {
      for (const d of projectionDiffs(parsed.event, rec.columns)) {
        out.findings.push({ code: 'PROJECTION_MISMATCH', ...at, message: `column ${d.column} holds ${JSON.stringify(d.stored)} but the signed event says ${JSON.stringify(d.expected)}` });
      }
    }
    if (chainId && Number.isSafeInteger(seq) && (seq as number) >= 1) {
      const problem = signableProblem(signed);
      if (problem) out.findings.push({ code: 'SCHEMA_INVALID', ...at, message: problem });
      const producer = obj.producer as Record<string, unknown> | undefined;
      const detail = obj.chain;
      const entry: ChainEntry = {
        index,
        chainId: this.intern(chainId),
        seq: seq as number,
        epoch: Number.isSafeInteger(integrity!.epoch) ? (integrity!.epoch as number) : -1,
        kid: this.intern(str(integrity!.kid) ?? ''),
        prev: str(integrity!.prev) ?? '',
        mac: str(integrity!.mac) ?? '',
        eventType: this.intern(str(obj.event_type) ?? ''),
        time,
        stored,
        signed,
        ...(typeof detail === 'object' && detail !== null ? { chain: detail as Record<string, unknown> } : {}),
        ...(str(producer?.service) ? { service: this.intern(str(producer?.service)!) } : {}),
        ...(str(producer?.instance) ? { instance: this.intern(str(producer?.instance)!) } : {}),
        ...(location ? { location } : {}),
        ...(eventId ? { eventId } : {}),
      };
      this.macs.offer(entry);
      this.target.entry(entry);
    } else if (integrity === undefined) {
      const producer = obj.producer as Record<string, unknown> | undefined;
      this.target.unsigned({ service: str(producer?.service), instance: str(producer?.instance), time, ...(location ? { location } : {}), ...(eventId ? { eventId } : {}) });
    } else if (parsed.ok) {
      out.findings.push({ code: 'SCHEMA_INVALID', ...at, message: 'integrity has no usable chain_id and seq' });
    }
  }
}

/** A storedAt as ms since the epoch; NaN when absent or unreadable. */
function storedMs(v: Date | string | undefined): number {
  if (v instanceof Date) return v.getTime();
  return typeof v === 'string' ? Date.parse(v) : Number.NaN;
}

/** A SCHEMA_INVALID about a record's text, placed at its chain position when it has one. */
function textFinding(value: unknown, location: string | undefined, message: string): Finding {
  const integrity = (value as { integrity?: { chain_id?: unknown; seq?: unknown } } | null)?.integrity;
  return {
    code: 'SCHEMA_INVALID',
    chain_id: typeof integrity?.chain_id === 'string' ? integrity.chain_id : null,
    seq: typeof integrity?.seq === 'number' ? integrity.seq : null,
    message,
    ...(location ? { location } : {}),
  };
}
