import type { LockTiming } from './spool-lock.js';

/** When the spool makes an append durable. */
export type FsyncPolicy = 'batch' | 'off';

/** Options of {@link Spool.open}. */
export interface SpoolOpenOptions {
  dir: string;
  /** Roll to a new segment file past this size (default 8 MiB). */
  segmentBytes?: number;
  /** `batch` (default): fdatasync once per group of appends; `off`: page cache only (survives a process crash, not a power cut). */
  fsync?: FsyncPolicy;
  /** How the directory's lock is renewed and when a silent holder in another PID namespace is taken for dead (spool-lock.ts; default LOCK_TIMING). */
  lockTiming?: LockTiming;
  /**
   * Replay returns the bytes of at most this many bytes of records (always
   * of the first one), in spool order; the records after them are returned
   * as {@link RecordRun}s, where they are, for {@link Spool.read} to read
   * later. Default: every record's bytes. The sink passes its memory budget,
   * so that a spool filled by a long outage is not read into memory whole
   * at start (found by a probe: a 600 MiB spool took 784 MiB to open).
   */
  loadBytes?: number;
}

/** Position just past a record: segment number and byte offset. */
export interface SpoolPosition {
  seg: number;
  end: number;
}

/** A record found on replay. */
export interface ReplayedRecord extends SpoolPosition {
  payload: Buffer;
  size: number;
}

/** Records that follow each other in one segment, not loaded: where the first starts and each one's size. */
export interface RecordRun {
  seg: number;
  start: number;
  sizes: readonly number[];
}

/** What replay found wrong, for stats and logs. */
export interface SpoolReplayReport {
  corruptTails: number;
  corruptBytes: number;
  /** Files the bad bytes were copied to, for forensics (a tail that could not be copied is left in its segment). */
  quarantined: string[];
  reasons: string[];
  /** Why the watermark was not used (damaged): everything on disk was replayed, the committed part as duplicates. */
  watermarkIgnored?: string;
}

/**
 * Bytes {@link Spool.read} passed over: from a record that failed its
 * checksum (or whose length is implausible) to the end of what its segment
 * held for the read. Nothing in them is decoded; they are copied to
 * `quarantine/` first and recorded as a {@link Hole}.
 */
export interface SpoolSkip {
  seg: number;
  /** Offset of the bad record (a record boundary: every record before it verified). */
  from: number;
  /** Offset just past the last byte skipped (a record boundary). */
  to: number;
  reason: string;
  /**
   * The quarantine file, or undefined when it could not be written (the
   * segment is then kept, and the next replay finds the damage again). A
   * copy made whose hole could not be made durable is kept and named here:
   * the hole may have reached the page cache, and the next replay then passes over
   * the damage.
   */
  quarantined?: string;
}
