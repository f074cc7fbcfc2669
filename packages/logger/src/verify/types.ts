import type { KeyObject } from 'node:crypto';

/**
 * Every finding code: docs/integrity.md's ("Verifier findings"), in its order,
 * with EPOCH_OVERDUE and EPOCH_EARLY (an epoch that outlived or came before
 * the schedule its chain's OPEN states; docs/integrity.md) beside EPOCH_REGRESSION.
 */
export const FINDING_CODES = [
  'MAC_INVALID',
  'CHAIN_BREAK',
  'SEQ_GAP',
  'SEQ_DUPLICATE',
  'REORDERED',
  'EPOCH_REGRESSION',
  'EPOCH_OVERDUE',
  'EPOCH_EARLY',
  'UNSIGNED_IN_SIGNED_CHAIN',
  'TAIL_TRUNCATED',
  'CHECKPOINT_MISSING',
  'KEY_UNKNOWN',
  'SCHEMA_INVALID',
  'PROJECTION_MISMATCH',
] as const;

/** One of {@link FINDING_CODES}. */
export type FindingCode = (typeof FINDING_CODES)[number];

/** One problem: its code, the chain and seq it concerns (null when unknown), and where it was read. */
export interface Finding {
  code: FindingCode;
  chain_id: string | null;
  seq: number | null;
  message: string;
  /** `file:line` or a database row reference, as given in the input. */
  location?: string;
  event_id?: string;
}

/**
 * One stored record to verify. `event` is the parsed NDJSON object or its
 * JSON text (the `event_json` column). `columns` are the database columns
 * stored beside it; given, the projection columns (COLUMNS with
 * `projection: true`) are compared with the signed JSON (PROJECTION_MISMATCH).
 */
export interface VerifyRecord {
  event: unknown;
  location?: string | undefined;
  /** The record's bytes were not valid UTF-8 (set by iterateNdjson on bytes): SCHEMA_INVALID, the record still checked. */
  invalidUtf8?: boolean | undefined;
  /**
   * The record is a line of a log stream, where other output may sit beside
   * the audit records (set by the NDJSON readers for files and stdin): a line
   * that is not a JSON object and does not look like an audit record (it
   * starts with neither `{` nor `[`, and names neither `security_audit` nor
   * `"integrity"`) is skipped and counted in `ignored`, not SCHEMA_INVALID.
   * Unset (a database row, a caller's own list), every record must be JSON.
   */
  logLine?: boolean | undefined;
  /**
   * The line was longer than a reader keeps (MAX_LINE_BYTES): its length in
   * bytes; `event` holds only its start. Always SCHEMA_INVALID, even when
   * that start is blank: a record further along it cannot be verified.
   */
  lineBytes?: number | undefined;
  columns?: Record<string, unknown> | undefined;
  /**
   * When the store received the record (the database's `ingested_at`; a
   * Date or RFC 3339 text). Given, `settleMs` keeps a record pending only if
   * it is recent by this clock as well as by its own `event_time`: a
   * producer whose clock runs ahead does not keep its records pending, and
   * this unsigned value can only shorten what is pending, never lengthen it.
   */
  storedAt?: Date | string | undefined;
}

/** A verifier key: the shared secret, or the X25519 private key of sealed mode. */
export type VerifyKey = { secret: Buffer | string } | { privateKey: KeyObject | string };

/** Keys by `kid`. Several kids verify chains across key rotation. */
export type VerifyKeys = ReadonlyMap<string, VerifyKey> | Readonly<Record<string, VerifyKey>>;

/** Options of verifyChain. */
export interface VerifyOptions {
  /**
   * Reference time for open chains: an open chain whose last checkpoint is
   * older than interval + slack before it gets CHECKPOINT_MISSING. Default:
   * the newest `event_time` of an open, checkpoint or close in the input (of
   * any chain: the logger sets those times, a caller may date its own events
   * ahead); with `settleMs`, or when there is none, of any record.
   * An Invalid Date is refused (AuditConfigError): it would judge nothing.
   */
  asOf?: Date | undefined;
  /** Slack added to the chain's checkpoint interval (default: half the interval). */
  checkpointSlackMs?: number | undefined;
  /**
   * HKDF steps the verifier may spend deriving epoch keys before the first
   * record (default 1 000 000, a few seconds); every record read adds 64.
   * A record whose key would pass the budget is MAC_INVALID, not derived:
   * a forged `epoch` of ten million must not keep the verifier busy for
   * minutes per line. Raise it only for a fragment of a very long chain
   * read without its start.
   */
  keyStepBudget?: number | undefined;
  /** Report REORDERED when a chain's records are not in seq order in the input (default true; files are in write order). */
  checkOrder?: boolean | undefined;
  /**
   * Records stamped less than this many milliseconds before `asOf` may still
   * be on their way (several aggregators, a spool replaying after an outage),
   * so the records before them may not all be stored yet. Each chain is
   * judged for continuity (gaps, links, epochs, checkpoint cadence) only up
   * to its first such record; that record and those after it are still
   * checked one by one (MAC, schema, duplicates, projection) and counted in
   * {@link ChainSummary.pending}. Default 0: nothing is pending. A gap is then
   * reported once the record after it is older than the settle time.
   */
  settleMs?: number | undefined;
  /**
   * The store's clock at `asOf`, for `settleMs` (records are pending only if
   * stored after `storedAsOf - settleMs` too). Default: `asOf` when it is
   * given, else the newest `storedAt` in the input.
   */
  storedAsOf?: Date | undefined;
  /**
   * How the input is ordered. `"any"` (default): records of several chains
   * in any order; every chain record is kept (a few fields each) until the
   * end. `"chain"`: the records of each chain together and in seq order,
   * the chains one after another, then the records without integrity, as
   * `verify --db` reads them (`ORDER BY chain_id, seq`, then the rest).
   * Each chain is judged as it ends, so memory holds a summary per chain
   * and the findings, not the records: a table of any size verifies in
   * bounded memory. Needs `asOf` (the newest record is not known until the
   * end). A chain record that comes where the order says it cannot (its
   * chain already judged, or after the unsigned records) is REORDERED and
   * not checked with its chain: in a database, its chain_id or seq column
   * no longer matches its signed JSON. REORDERED in input order within a
   * chain (`checkOrder`) does not apply.
   */
  order?: 'any' | 'chain' | undefined;
}

/** One line of the report per chain. */
export interface ChainSummary {
  chain_id: string;
  kid: string | null;
  mode: 'shared' | 'sealed' | null;
  service: string | null;
  instance: string | null;
  records: number;
  first_seq: number;
  last_seq: number;
  first_time: string | null;
  last_time: string | null;
  closed: boolean;
  last_epoch: number;
  /** Records from the first one stamped within `settleMs` of `asOf` on, not judged for continuity (0 without `settleMs`). */
  pending: number;
  findings: number;
  ok: boolean;
}

/** What verifyChain returns; `ok` is false when there is any finding. */
export interface VerifyReport {
  ok: boolean;
  findings: Finding[];
  chains: ChainSummary[];
  /** Records read (audit records, signed or not). */
  records: number;
  /** Audit records without integrity that belong to no signed chain. */
  unsigned: number;
  /** Other log lines, skipped: JSON objects that are not audit records, and plain text lines of a log stream (`logLine`). */
  ignored: number;
}
