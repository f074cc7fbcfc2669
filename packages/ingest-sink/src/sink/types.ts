import type { AuditEvent, TransportMeta } from '@audit-trail/schema';
import type { Connection } from './connection.js';
import type { FsyncPolicy } from '../spool/spool.js';
import type { ForwardFallbackOptions } from '../fallback/forward-options.js';

/**
 * One item for {@link Sink.write}: an event object, one JSON line, or a line
 * with what the transport knows about it (Fluent tag, Swarm/Kubernetes
 * placement) and where it came from (stored with rejects). With `reject`,
 * the line is stored in the rejects table under that reason, unvalidated:
 * for input its receiver has already refused, kept as evidence.
 */
export type WriteItem = AuditEvent | Record<string, unknown> | string | LineItem;

/** A {@link WriteItem} that is a line with its transport meta, source and (for input already refused) reject reason. */
export interface LineItem {
  line: string;
  meta?: Omit<TransportMeta, 'raw'> | undefined;
  source?: string | undefined;
  reject?: string | undefined;
}

/** What a resolved `write()` guarantees: every item is durable, as an event or as a reject. */
export interface WriteReceipt {
  /** Valid events, now durable (spooled or committed). */
  accepted: number;
  /** Invalid items, recorded (durably) for the rejects table with their reason. */
  rejected: number;
}

/** An error as stats() keep it: its code, a one-line message without secrets, and when it happened. */
export interface SinkErrorNote {
  code: string;
  message: string;
  at: string;
}

/** Counters of one sink since it was created. */
export interface SinkStats {
  /** Items passed to write() and accepted into the spool. */
  received: number;
  /** Event rows committed to the database. */
  committed: number;
  /** Events ignored because their event_id was already stored (or earlier in the batch) with the same event: equal text, or equal JSON without the transport fields. */
  duplicates: number;
  /** Rows written to the rejects table: invalid input plus (chain_id, seq) and event_id conflicts. */
  rejected: number;
  /** Refusals not written because the same one (same reject_key: source, reason and payload) was already stored, or earlier in the batch. */
  duplicateRejects: number;
  /** Events refused because a different event_id held their (chain_id, seq): in `rejected` the first time, in `duplicateRejects` when resent. */
  chainConflicts: number;
  /** Events refused because their event_id was already stored (or earlier in the batch) with another event: in `rejected` the first time (`EVENT_ID_CONFLICT`), in `duplicateRejects` when resent. */
  eventIdConflicts: number;
  /**
   * Valid events received (`write()` resolved) whose `event_time` was more
   * than `futureSkewMs` after the sink's clock, to the second. Stored as
   * usual; counted so that a node whose clock runs ahead, or a record dated
   * forward, shows while it happens (`serve` logs it), not only in a report.
   */
  futureDated: number;
  /** Bytes and records in the spool not yet committed or forwarded. */
  spooledBytes: number;
  spooledEvents: number;
  /** The spool's size limit (`spool.maxBytes`): at it, write() waits or refuses (`spool.onFull`). */
  spoolMaxBytes: number;
  /** Events (spooled records, each counted, not batches) delivered to the Fluent forward fallback (with ack). */
  forwarded: number;
  /** Database write attempts that failed and were retried. */
  retries: number;
  /** Batches committed. */
  batches: number;
  /** Records that waited in the spool files only (the in-memory queue was at `spool.memoryBytes`) and were read back. */
  readBack: number;
  /** Records found on start in the spool and queued again. */
  replayed: number;
  /**
   * Damaged spool regions and their size: torn or corrupt tails found on
   * start, and records found damaged when read back (with the rest of their
   * segment). Never decoded; copied to spool/quarantine when there is room.
   */
  spoolCorruptTails: number;
  spoolCorruptBytes: number;
  /**
   * Accepted records that were in a region found damaged when read back:
   * their `write()` resolved, and they will never reach the database (the
   * bytes are in spool/quarantine). On start the count in a corrupt tail is
   * not known, so only read-backs add to this.
   */
  spoolQuarantinedRecords: number;
  /** The last error met (database, forward, spool), without secrets; undefined when none. */
  lastError?: SinkErrorNote;
  /**
   * The error of the database's latest failed attempt (a write or a check)
   * in the current outage; cleared with `outageSince`. `lastError` may be
   * another part's meanwhile (a spool on a full disk, the fallback), which
   * /healthz then gave as the database's cause.
   */
  databaseError?: SinkErrorNote;
  /**
   * When the current database outage began (ISO 8601): the first failed
   * attempt (a write, or a check: `checkIntervalMs`) since the last commit
   * or passing check. Undefined while the database accepts batches. Events
   * keep being spooled (and forwarded, with a fallback) meanwhile.
   */
  outageSince?: string;
  /**
   * When appends to the spool began to fail (ISO 8601): the first failed
   * append (its disk full, its files unwritable: `SINK_SPOOL_IO`) since the
   * last one that succeeded. Undefined while the spool takes writes. Meanwhile
   * write() rejects, so nothing is acked and senders keep their events.
   */
  spoolFailingSince?: string;
  /** The error of the latest failed spool append while `spoolFailingSince` is set; cleared with it. */
  spoolError?: SinkErrorNote;
  /**
   * When the oldest database write (or check) still awaiting its answer was
   * sent (ISO 8601); undefined when none is. A database that hangs fails no attempt
   * until the driver's timeout: a write waiting long says so first.
   */
  writingSince?: string;
}

/** Batch limits: a batch is written when any is reached. */
export interface BatchOptions {
  /**
   * Rows per database transaction (default 5000 for PostgreSQL and SQL
   * Server, 1000 for SQLite). Writes resolve on the spool fsync, not on the
   * commit, so larger batches cost no ack latency; they amortise the commit
   * (bench/sink.ts), and cost memory (bench/receiver.ts).
   */
  maxRows?: number | undefined;
  /** Bytes of spooled records per transaction (default 8 MiB). */
  maxBytes?: number | undefined;
  /** How long a partial batch waits for more rows (default 20 ms). */
  maxDelayMs?: number | undefined;
}

/** Spool (write-ahead log) options. */
export interface SpoolOptions {
  /** Directory; default `<sqlite file>.spool`, or `.audit-trail-spool/<dialect>-<hash of URL>` for servers. */
  dir?: string | undefined;
  /** When `write()` may resolve: after fdatasync of its group (`batch`, default) or after write(2) (`off`). */
  fsync?: FsyncPolicy | undefined;
  /** Pending bytes allowed before the full policy applies (default 256 MiB). */
  maxBytes?: number | undefined;
  /**
   * Spooled bytes kept in memory, parsed, waiting for the database (default
   * room for three batches: 3 KiB x `batch.maxRows`, at least 2 MiB; 3 MiB
   * for SQLite, 15 MiB for server databases). When the queue is at this budget, `write()`
   * waits for room while the database keeps up (backpressure: a slow
   * database slows the writers); during an outage newer records go on into
   * the spool files only and are read back in order as the database
   * recovers, so a long outage fills the disk, not the heap.
   */
  memoryBytes?: number | undefined;
  /** `wait` (default): write() waits for room (backpressure); `reject`: it fails with SpoolFullError. */
  onFull?: 'wait' | 'reject' | undefined;
  /** Segment file size before rolling (default 8 MiB). */
  segmentBytes?: number | undefined;
}

/** Retry of failed database writes: exponential backoff with full jitter. */
export interface RetryOptions {
  /** First delay (default 100 ms). */
  initialDelayMs?: number | undefined;
  /** Cap of the delay (default 10 s). */
  maxDelayMs?: number | undefined;
  /** Growth per attempt (default 2). */
  factor?: number | undefined;
}

/** Options of {@link createSink}. */
export interface SinkOptions {
  /** Database URL (`sqlite:./audit.db`, `postgres://...`, `mssql://...`), default `sqlite:./audit.db`. */
  url?: string | undefined;
  /** Or the connection as an object, with every driver option. Wins over `url`. */
  connection?: Connection | undefined;
  /** Run `migrate()` before the first write (default true for SQLite, false for servers). */
  migrate?: boolean | undefined;
  batch?: BatchOptions | undefined;
  spool?: SpoolOptions | undefined;
  retry?: RetryOptions | undefined;
  /** Fluent forward fallback when the database stays down (off unless given). */
  fallback?: ForwardFallbackOptions | undefined;
  /** `source` stored with rejects of items that name none (default 'direct'). */
  defaultSource?: string | undefined;
  /**
   * The sink checks the database (it answers; the audit tables exist and fit
   * this version) at start and after this long without a write (default
   * 30 000 ms; 0: never). A failed check begins an outage (`outageSince`,
   * `lastError`, `onError`) as a failed write does, so a database that is
   * down, misnamed or not migrated shows before any event arrives, and an
   * idle sink does not look healthy with its database gone.
   */
  checkIntervalMs?: number | undefined;
  /**
   * How far (ms) an event's `event_time` may run ahead of the sink's clock
   * before the event counts in `futureDated` (default 300 000, five minutes,
   * as `audit-trail report future-dated`'s `--skew-minutes`). Such events are
   * stored like any other: they are evidence, of a clock running ahead or of
   * a record dated forward to stay on top of newest-first reports.
   */
  futureSkewMs?: number | undefined;
  /** Called with each database/forward/spool error (already counted in stats); never with secrets. */
  onError?: ((err: Error) => void) | undefined;
}

/** The sink: durable, idempotent writer of audit events. */
export interface Sink {
  /**
   * Validates and spools the items. Resolves once every item is durable
   * (fsynced to the spool, or committed), invalid ones as rejects with their
   * reason; rejects when that cannot be guaranteed (spool I/O error, spool
   * full with `onFull: 'reject'`, sink closed). Receivers ack after it resolves.
   * Concurrent writes reach the spool, and the database, in call order.
   */
  write(items: WriteItem | readonly WriteItem[]): Promise<WriteReceipt>;
  /** Resolves when everything written so far (every write() called before it) is committed or forwarded (retrying meanwhile); rejects with SINK_CLOSED when close() ends first (what is left stays in the spool). */
  flush(): Promise<void>;
  /**
   * Stops accepting writes, tries to deliver what is pending (bounded by
   * `timeoutMs`, default 10 s), closes. Pending items stay in the spool.
   * During a database outage it tries what is pending once more and returns
   * at its failure, not at `timeoutMs`: everything accepted is in the spool.
   * On SQLite it also waits for the writer thread to end, which may take up
   * to the connection's `busyTimeoutMs` (5 s) past `timeoutMs` while another
   * process holds the database's lock: a thread ended in that wait aborts
   * the process (better-sqlite3#842).
   */
  close(opts?: { timeoutMs?: number | undefined }): Promise<void>;
  /** Counters. */
  stats(): SinkStats;
  /** Creates the tables and indexes of the dialect (idempotent). */
  migrate(): Promise<void>;
  /** Resolves when the spool is replayed and the sink accepts writes. */
  readonly ready: Promise<void>;
}
