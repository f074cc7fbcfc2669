import { copyFile, mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SinkError, spoolIoError } from '../sink/errors.js';
import { encodeFrame, frameAt } from '../spool/record.js';
import { writeAll } from '../spool/write-all.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../spool/private-files.js';
import type { StoredLine } from './partials.js';
import type { RecordMeta } from './transport-meta.js';

/** One piece of a line the Docker log driver split (moby daemon/logger/copier.go), with where it came from. */
export interface PartialPiece {
  /** `container_id/partial_id`: one line. */
  key: string;
  /** `partial_ordinal`, from 1. */
  ordinal: number;
  /** `partial_last`. */
  last: boolean;
  /** The piece's bytes as sent (a piece may end or start inside a UTF-8 character). */
  bytes: Buffer;
  meta: RecordMeta;
  source: string;
}

/**
 * Where the pieces of lines not yet complete are kept until their line is
 * stored. The forward protocol acks each request, and the Docker driver with
 * `fluentd-request-ack` waits for the ack of one piece before it sends the
 * next (fluent-logger-golang is stop-and-wait): a piece must be acked while
 * its line is still incomplete, so it must be durable on its own.
 */
export interface PartialDurability {
  /** Resolves when the pieces are durable; rejects when that cannot be guaranteed (no ack then). */
  record(pieces: readonly PartialPiece[]): Promise<void>;
  /**
   * The lines of these keys are stored (complete or released incomplete):
   * their pieces are no longer needed. `stored` are the complete ones as
   * the assembler remembers them, to recognise their pieces resent after a
   * restart. Never rejects.
   */
  settle(keys: readonly string[], stored?: readonly StoredLine[]): Promise<void>;
}

/** Pieces kept in memory only: a crash loses the pieces acked for lines not yet complete. */
export const MEMORY_ONLY: PartialDurability = {
  record: async () => undefined,
  settle: async () => undefined,
};

/** What {@link PartialJournal.open} found. */
export interface JournalOpenReport {
  /** Pieces of lines left incomplete by an earlier run, in the order they arrived. */
  pieces: PartialPiece[];
  /** Bytes that held no readable record (a torn tail after a crash mid-append, or damage); skipped. */
  damagedBytes: number;
  /** A copy of the journal as found, kept when damage other than a torn tail was found. */
  damagedCopy?: string;
  /** The last lines an earlier run stored ({@link RECENT_STORED_LINES} at most), oldest first. */
  stored: StoredLine[];
}

/**
 * Stored lines the journal keeps across restarts: a sender whose ack of a
 * line's last piece was lost when the aggregator stopped sends that piece
 * again to the next run, which must take it for the resend it is. The
 * assembler keeps as many (partials.maxOpen, 1000 by default) in memory.
 */
export const RECENT_STORED_LINES = 1000;

/** The journal is rewritten with only what it still needs once it is this large and at least twice that size. */
const COMPACT_AT_BYTES = 1024 * 1024;

interface Pending {
  frame: Buffer;
  sync: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * An append-only file of the pieces of lines not yet complete, so that a
 * piece acked before its line is complete survives a crash of the
 * aggregator. Records are framed as the spool frames its own (`[len][crc32]`,
 * spool/record.ts): a piece (a JSON header, a newline, its bytes), or
 * `{"done":[keys],"stored":[lines]}` once lines are stored, `stored`
 * holding the complete ones as the assembler remembers them (a digest per
 * piece, to recognise a piece resent after a restart). Appends made while
 * an fsync runs share the next one (group commit). The file is rewritten
 * with only what it still needs (the pieces of open lines and the last
 * {@link RECENT_STORED_LINES} stored lines) once it has grown past 1 MiB and
 * twice that size (and on open), so it stays about the size of the lines
 * being reassembled.
 *
 * The owner must hold the file alone: the aggregator keeps it in its sink's
 * spool directory, which the spool's lock gives to one process.
 */
export class PartialJournal implements PartialDurability {
  private readonly live = new Map<string, { frames: Buffer[]; bytes: number }>();
  private liveBytes = 0;
  /** The last stored lines (RECENT_STORED_LINES), with the bytes each adds to a compacted file. */
  private readonly recent = new Map<string, { line: StoredLine; bytes: number }>();
  private recentBytes = 0;
  private fileBytes = 0;
  private pending: Pending[] = [];
  private running: Promise<void> | undefined;
  private busy = false;
  private broken: Error | undefined;
  private closed = false;

  private fd!: FileHandle;

  private constructor(readonly path: string) {}

  /**
   * Opens (creating) the journal at `path`, reads back the pieces an earlier
   * run left for lines still incomplete and the lines it stored last, and
   * rewrites the file with only them. Unreadable bytes are skipped frame by
   * frame (a record is found again after damage by its length and CRC-32).
   */
  static async open(path: string): Promise<{ journal: PartialJournal; report: JournalOpenReport }> {
    try {
      await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
      const buf = await readFile(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return Buffer.alloc(0);
        throw err;
      });
      const read = readJournal(buf);
      const report: JournalOpenReport = { pieces: [], damagedBytes: read.damagedBytes, stored: [...read.stored.values()] };
      // A torn last record is what a crash mid-append leaves (that piece was
      // never acked, so its sender sends it again); anything else is damage,
      // and the file as found is kept beside the journal for inspection.
      if (read.damagedBytes > 0 && !read.tornTailOnly) {
        report.damagedCopy = `${path}.damaged-${Date.now()}`;
        await copyFile(path, report.damagedCopy);
      }
      const journal = new PartialJournal(path);
      for (const line of read.stored.values()) journal.remember(line);
      for (const pieces of read.live.values()) {
        for (const { piece, frame } of pieces) {
          journal.keep(piece.key, frame);
          report.pieces.push(piece);
        }
      }
      const frames = journal.compacted();
      journal.fd = await rewrite(path, frames);
      journal.fileBytes = frames.reduce((n, f) => n + f.length, 0);
      return { journal, report };
    } catch (err) {
      throw spoolIoError(`cannot open partial-line journal ${path}`, err);
    }
  }

  /** Appends the pieces and resolves once they are on disk (fsync). */
  record(pieces: readonly PartialPiece[]): Promise<void> {
    if (pieces.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new SinkError('SINK_CLOSED', 'the partial-line journal is closed'));
    if (this.broken) return Promise.reject(this.broken);
    let frames: Buffer[];
    try {
      frames = pieces.map(encodePiece);
    } catch (err) {
      return Promise.reject(err);
    }
    frames.forEach((f, i) => this.keep(pieces[i]!.key, f));
    return this.enqueue(frames.length === 1 ? frames[0]! : Buffer.concat(frames), true);
  }

  /**
   * Marks the keys' lines stored, and remembers the complete ones among
   * them. Not fsynced: a marker lost in a crash only has the line stored
   * again, which the sink ignores as a duplicate.
   */
  async settle(keys: readonly string[], stored: readonly StoredLine[] = []): Promise<void> {
    const known = keys.filter((k) => this.drop(k));
    for (const line of stored) this.remember(line);
    if ((known.length === 0 && stored.length === 0) || this.closed || this.broken) return;
    await this.enqueue(encodeFrame(Buffer.from(JSON.stringify({ done: known, ...(stored.length > 0 ? { stored } : {}) }), 'utf8')), false).catch(() => undefined);
  }

  /** Keys of lines with pieces not yet settled. */
  get openLines(): number {
    return this.live.size;
  }

  /** Size of the file now. */
  get bytes(): number {
    return this.fileBytes;
  }

  /** Waits for pending appends, compacts and closes the file. The pieces of lines still open stay in it for the next run. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running;
    if (!this.broken && this.fileBytes > this.neededBytes) await this.compact().catch(() => undefined);
    await this.fd.close().catch(() => undefined);
  }

  private keep(key: string, frame: Buffer): void {
    let l = this.live.get(key);
    if (!l) this.live.set(key, (l = { frames: [], bytes: 0 }));
    l.frames.push(frame);
    l.bytes += frame.length;
    this.liveBytes += frame.length;
  }

  private remember(line: StoredLine): void {
    const had = this.recent.get(line.key);
    if (had) this.recentBytes -= had.bytes;
    this.recent.delete(line.key);
    // Its share of the compacted record: the JSON of the line and a comma.
    const bytes = JSON.stringify(line).length + 1;
    this.recent.set(line.key, { line, bytes });
    this.recentBytes += bytes;
    for (const [key, r] of this.recent) {
      if (this.recent.size <= RECENT_STORED_LINES) break;
      this.recent.delete(key);
      this.recentBytes -= r.bytes;
    }
  }

  /**
   * Bytes a compacted file holds: the open lines' pieces, and the recent
   * stored lines' record (8 bytes of frame header, `{"done":[],"stored":[`
   * and `]}`, the lines with a comma between each).
   */
  private get neededBytes(): number {
    return this.liveBytes + (this.recent.size > 0 ? this.recentBytes + 30 : 0);
  }

  /** The frames of a compacted file: the recent stored lines (one record), then the open lines' pieces. */
  private compacted(): Buffer[] {
    const stored = this.recent.size > 0 ? [encodeFrame(Buffer.from(JSON.stringify({ done: [], stored: [...this.recent.values()].map((r) => r.line) }), 'utf8'))] : [];
    return [...stored, ...[...this.live.values()].flatMap((l) => l.frames)];
  }

  private drop(key: string): boolean {
    const l = this.live.get(key);
    if (!l) return false;
    this.live.delete(key);
    this.liveBytes -= l.bytes;
    return true;
  }

  private enqueue(frame: Buffer, sync: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ frame, sync, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        this.running = this.run();
      }
    });
  }

  /** Writes what is pending, group after group, until nothing is. */
  private async run(): Promise<void> {
    try {
      while (this.pending.length > 0) await this.writeGroup();
    } finally {
      // Cleared in the same step that found nothing pending (no await in
      // between): an enqueue after it starts a new run.
      this.busy = false;
    }
  }

  /** Writes what is pending as one group, with one fsync when any record needs it; compacts after it when due. */
  private async writeGroup(): Promise<void> {
    const group = this.pending.splice(0);
    if (this.broken) return group.forEach((g) => g.reject(this.broken!));
    const total = group.reduce((n, g) => n + g.frame.length, 0);
    try {
      await writeAll(this.fd, group.map((g) => g.frame), total);
      this.fileBytes += total;
      if (group.some((g) => g.sync)) await this.fd.datasync();
    } catch (err) {
      const e = spoolIoError('partial-line journal write failed', err);
      group.forEach((g) => g.reject(e));
      // A frame cut short would hide every record appended after it: cut the
      // file back to its last complete record, or stop using it.
      await this.fd.truncate(this.fileBytes).catch(() => (this.broken = e));
      return;
    }
    group.forEach((g) => g.resolve());
    if (this.fileBytes >= COMPACT_AT_BYTES && this.fileBytes > 2 * this.neededBytes) {
      await this.compact().catch((err: unknown) => (this.broken = spoolIoError('partial-line journal compaction failed', err)));
    }
  }

  /** Rewrites the file with what it still needs only (write, fsync, rename, fsync the directory). */
  private async compact(): Promise<void> {
    const frames = this.compacted();
    const fd = await rewrite(this.path, frames);
    await this.fd.close().catch(() => undefined);
    this.fd = fd;
    this.fileBytes = frames.reduce((n, f) => n + f.length, 0);
  }
}

/**
 * A piece's record: its JSON header (key, ordinal, last, meta, source), a
 * newline (JSON.stringify never writes a raw one), then the piece's bytes
 * as they are, so a record is no larger than the piece was on the wire.
 */
function encodePiece(p: PartialPiece): Buffer {
  const header = Buffer.from(`${JSON.stringify({ k: p.key, o: p.ordinal, l: p.last, m: p.meta, s: p.source })}\n`, 'utf8');
  return encodeFrame(Buffer.concat([header, p.bytes]));
}

/** A piece from its record's payload, or undefined when the payload is not one. */
function decodePiece(payload: Buffer): PartialPiece | undefined {
  const nl = payload.indexOf(0x0a);
  if (nl < 0) return undefined;
  const r = parseJson(payload.subarray(0, nl)) as Record<string, unknown> | undefined;
  if (typeof r !== 'object' || r === null) return undefined;
  if (typeof r.k !== 'string' || !Number.isInteger(r.o) || typeof r.l !== 'boolean' || typeof r.s !== 'string') return undefined;
  if (typeof r.m !== 'object' || r.m === null || Array.isArray(r.m)) return undefined;
  return { key: r.k, ordinal: r.o as number, last: r.l, bytes: Buffer.from(payload.subarray(nl + 1)), meta: r.m as RecordMeta, source: r.s };
}

/**
 * Reads a journal: pieces per key in arrival order, minus keys marked done
 * after them, and the last {@link RECENT_STORED_LINES} stored lines. Where
 * no intact record starts, moves on byte by byte until one does (as
 * `salvageFrames` does for the spool), counting the bytes.
 */
function readJournal(buf: Buffer): { live: Map<string, { piece: PartialPiece; frame: Buffer }[]>; stored: Map<string, StoredLine>; damagedBytes: number; tornTailOnly: boolean } {
  const live = new Map<string, { piece: PartialPiece; frame: Buffer }[]>();
  const stored = new Map<string, StoredLine>();
  let damagedBytes = 0;
  let gapFrom: number | undefined;
  let gapsInside = 0;
  let off = 0;
  while (off < buf.length) {
    const f = frameAt(buf, off, (payload) => payload[0] === 0x7b /* { */);
    const done = 'bad' in f ? undefined : doneRecord(f.payload);
    const piece = 'bad' in f || done ? undefined : decodePiece(f.payload);
    if ('bad' in f || (!piece && !done)) {
      gapFrom ??= off;
      damagedBytes++;
      off++;
      continue;
    }
    if (gapFrom !== undefined) gapsInside++;
    gapFrom = undefined;
    if (piece) {
      let l = live.get(piece.key);
      if (!l) live.set(piece.key, (l = []));
      l.push({ piece, frame: Buffer.from(buf.subarray(off, f.end)) });
    } else {
      for (const k of done!.keys) live.delete(k);
      for (const line of done!.stored) {
        stored.delete(line.key);
        stored.set(line.key, line);
        if (stored.size > RECENT_STORED_LINES) stored.delete(stored.keys().next().value!);
      }
    }
    off = f.end;
  }
  return { live, stored, damagedBytes, tornTailOnly: gapsInside === 0 };
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A `{"done":[keys],"stored":[lines]}` record (`stored` absent in journals
 * written before it existed), or undefined when the payload is not one.
 */
function doneRecord(payload: Buffer): { keys: string[]; stored: StoredLine[] } | undefined {
  if (payload.indexOf(0x0a) >= 0) return undefined;
  const r = parseJson(payload) as { done?: unknown; stored?: unknown } | undefined;
  if (!Array.isArray(r?.done) || !r.done.every((k) => typeof k === 'string')) return undefined;
  const stored = r.stored === undefined ? [] : r.stored;
  if (!Array.isArray(stored) || !stored.every(isStoredLine)) return undefined;
  return { keys: r.done as string[], stored: stored as StoredLine[] };
}

function isStoredLine(v: unknown): boolean {
  const l = v as StoredLine | null;
  return typeof l === 'object' && l !== null && typeof l.key === 'string' && Array.isArray(l.digests) && l.digests.every((d) => typeof d === 'string');
}

/** Writes `frames` to a new file that replaces `path` atomically; returns it open for appending. */
async function rewrite(path: string, frames: Buffer[]): Promise<FileHandle> {
  const tmp = `${path}.tmp`;
  const out = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    const total = frames.reduce((n, f) => n + f.length, 0);
    if (total > 0) await writeAll(out, frames, total);
    await out.datasync();
  } finally {
    await out.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  await dir.sync().finally(() => dir.close());
  return open(path, 'a', PRIVATE_FILE_MODE);
}

