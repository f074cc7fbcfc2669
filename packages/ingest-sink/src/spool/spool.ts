import { mkdir, open, readdir, readFile, rm, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SinkError } from '../sink/errors.js';
import { FRAME_HEADER_BYTES, scanSegment } from './record.js';
import { lockSpool } from './spool-lock.js';

/** When the spool makes an append durable. */
export type FsyncPolicy = 'batch' | 'off';

/** Options of {@link Spool.open}. */
export interface SpoolOpenOptions {
  dir: string;
  /** Roll to a new segment file past this size (default 8 MiB). */
  segmentBytes?: number;
  /** `batch` (default): fdatasync once per group of appends; `off`: page cache only (survives a process crash, not a power cut). */
  fsync?: FsyncPolicy;
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

/** What replay found wrong, for stats and logs. */
export interface SpoolReplayReport {
  corruptTails: number;
  corruptBytes: number;
  /** Files the bad bytes were moved to, for forensics. */
  quarantined: string[];
  reasons: string[];
}

const SEG_RE = /^seg-(\d{12})\.log$/;
const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

interface PendingAppend {
  buffer: Buffer;
  resolve: (start: SpoolPosition) => void;
  reject: (err: Error) => void;
}

/**
 * Append-only, checksummed segment files (the write-ahead log of the sink).
 *
 * Appends are group-committed: concurrent `append()` calls that arrive while
 * a write+fdatasync is in progress are written together and share the next
 * fdatasync, so throughput does not collapse to one fsync per caller.
 * `release()` is called after a database commit (or forward ack); it
 * records a watermark (no fsync: it only saves redundant replays) and
 * deletes segments wholly behind it.
 */
export class Spool {
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private running = false;
  private fd!: FileHandle;
  private activeSeg = 0;
  private activeSize = 0;
  private segments = new Set<number>();
  /** End of the last good record of each segment no longer appended to (a failed append's partial frame lies past it). */
  private sealed = new Map<number, number>();
  private watermark: SpoolPosition = { seg: 0, end: 0 };
  private wmFd!: FileHandle;
  private unlock!: () => Promise<void>;
  private closed = false;
  /** fdatasync calls so far (group commit makes this far smaller than the number of appends). */
  syncs = 0;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly fsync: FsyncPolicy,
  ) {}

  /** Opens (creating) the spool, replays what earlier runs left, and starts a fresh segment. */
  static async open(opts: SpoolOpenOptions): Promise<{ spool: Spool; replayed: ReplayedRecord[]; report: SpoolReplayReport }> {
    await mkdir(opts.dir, { recursive: true });
    const spool = new Spool(opts.dir, opts.segmentBytes ?? 8 * 1024 * 1024, opts.fsync ?? 'batch');
    spool.unlock = await lockSpool(opts.dir);
    try {
      const result = await spool.replay();
      await spool.openSegment(Math.max(0, ...spool.segments) + 1);
      return { spool, ...result };
    } catch (err) {
      await spool.unlock();
      throw err;
    }
  }

  private async replay(): Promise<{ replayed: ReplayedRecord[]; report: SpoolReplayReport }> {
    const report: SpoolReplayReport = { corruptTails: 0, corruptBytes: 0, quarantined: [], reasons: [] };
    const wmPath = join(this.dir, 'committed');
    const wm = await readFile(wmPath).catch(() => undefined);
    if (wm && wm.length >= 16) this.watermark = { seg: Number(wm.readBigUInt64BE(0)), end: Number(wm.readBigUInt64BE(8)) };
    this.wmFd = await open(wmPath, 'a+').then(async (h) => (await h.close(), open(wmPath, 'r+')));
    const names = (await readdir(this.dir)).filter((n) => SEG_RE.test(n)).sort();
    const replayed: ReplayedRecord[] = [];
    for (const name of names) {
      const seg = Number(SEG_RE.exec(name)![1]);
      const path = join(this.dir, name);
      if (seg < this.watermark.seg) {
        await rm(path, { force: true });
        continue;
      }
      const buf = await readFile(path);
      const scan = scanSegment(buf);
      if (scan.badAt !== undefined) {
        // Quarantine the bad tail byte for byte, then cut it off, so it is
        // never decoded and the next replay does not report it again.
        const q = join(this.dir, 'quarantine');
        await mkdir(q, { recursive: true });
        const qPath = join(q, `${name}.${scan.badAt}.${Date.now()}.bad`);
        await writeFile(qPath, buf.subarray(scan.badAt));
        await truncate(path, scan.badAt);
        report.corruptTails++;
        report.corruptBytes += buf.length - scan.badAt;
        report.quarantined.push(qPath);
        report.reasons.push(`${name} at byte ${scan.badAt}: ${scan.badReason}`);
      }
      let kept = 0;
      for (const r of scan.records) {
        if (seg === this.watermark.seg && r.end <= this.watermark.end) continue;
        replayed.push({ seg, end: r.end, payload: r.payload, size: r.size });
        kept++;
      }
      if (kept === 0) await rm(path, { force: true });
      else {
        this.segments.add(seg);
        this.sealed.set(seg, scan.records.at(-1)!.end);
      }
    }
    return { replayed, report };
  }

  private async openSegment(seg: number): Promise<void> {
    this.fd = await open(join(this.dir, segName(seg)), 'a');
    this.activeSeg = seg;
    this.activeSize = 0;
    this.segments.add(seg);
    // The new directory entry must be durable too, or a power cut could lose
    // the whole file with its fsynced content (POSIX fsync(2) on the directory).
    if (this.fsync === 'batch') {
      const dirFd = await open(this.dir, 'r');
      await dirFd.sync().finally(() => dirFd.close());
    }
  }

  /**
   * Appends framed records; resolves with the position of the buffer's first
   * byte once it is durable under the fsync policy. Rejects with
   * `SINK_SPOOL_IO` when the disk write fails (nothing of it may be assumed kept).
   */
  append(buffer: Buffer): Promise<SpoolPosition> {
    if (this.closed) return Promise.reject(new SinkError('SINK_CLOSED', 'spool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ buffer, resolve, reject });
      if (!this.running) {
        this.running = true;
        this.flushing = this.flushLoop();
      }
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      await this.drain();
    } finally {
      this.running = false;
      // A caller resumed by the last resolve may have appended while this
      // loop was finishing: start again rather than strand its append.
      if (this.queue.length > 0) {
        this.running = true;
        this.flushing = this.flushLoop();
      }
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      try {
        if (this.activeSize >= this.segmentBytes) await this.roll();
        const starts: SpoolPosition[] = [];
        let off = this.activeSize;
        for (const g of group) {
          starts.push({ seg: this.activeSeg, end: off });
          off += g.buffer.length;
        }
        await this.fd.writev(group.map((g) => g.buffer));
        this.activeSize = off;
        if (this.fsync === 'batch') {
          await this.fd.datasync();
          this.syncs++;
        }
        group.forEach((g, i) => g.resolve(starts[i]!));
      } catch (err) {
        const e = new SinkError('SINK_SPOOL_IO', `spool write failed: ${(err as Error).message}`, { cause: err });
        group.forEach((g) => g.reject(e));
        // A failed write may have left a partial frame; never append after it.
        await this.roll().catch(() => undefined);
      }
    }
  }

  private async roll(): Promise<void> {
    const old = this.fd;
    // activeSize moves only after a successful write, so it excludes a failed append's bytes.
    this.sealed.set(this.activeSeg, this.activeSize);
    await this.openSegment(this.activeSeg + 1);
    await old.close().catch(() => undefined);
  }

  /** Everything up to `pos` is committed (or forwarded): move the watermark, delete finished segments. */
  async release(pos: SpoolPosition): Promise<void> {
    if (pos.seg < this.watermark.seg || (pos.seg === this.watermark.seg && pos.end <= this.watermark.end)) return;
    this.watermark = { ...pos };
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(BigInt(pos.seg), 0);
    b.writeBigUInt64BE(BigInt(pos.end), 8);
    await this.wmFd.write(b, 0, 16, 0);
    for (const seg of [...this.segments]) {
      if (seg < pos.seg && seg !== this.activeSeg) {
        this.segments.delete(seg);
        this.sealed.delete(seg);
        await rm(join(this.dir, segName(seg)), { force: true });
      }
    }
  }

  /**
   * Reads back records appended earlier, in spool order: from `from` (a
   * record boundary) up to `upTo` (a position an `append()` resolved past, so
   * everything before it is complete), about `maxBytes` of them (at least one
   * record). For records the sink keeps on disk only while its in-memory
   * queue is full. A checksum mismatch here is a disk fault: `SINK_SPOOL_IO`.
   */
  async read(from: SpoolPosition, upTo: SpoolPosition, maxBytes: number): Promise<{ records: ReplayedRecord[]; next: SpoolPosition }> {
    const records: ReplayedRecord[] = [];
    let pos = { ...from };
    let bytes = 0;
    // At least one record, whatever maxBytes (even 0): every read makes progress.
    while ((records.length === 0 || bytes < maxBytes) && (pos.seg < upTo.seg || (pos.seg === upTo.seg && pos.end < upTo.end))) {
      const segEnd = pos.seg === upTo.seg ? upTo.end : this.sealed.get(pos.seg);
      if (segEnd === undefined) throw new SinkError('SINK_SPOOL_IO', `spool segment ${pos.seg} is gone before its records were delivered`);
      if (pos.end >= segEnd) {
        // On to the next live segment (numbers can skip: empty ones are deleted).
        const next = Math.min(...[...this.segments].filter((s) => s > pos.seg));
        pos = { seg: Number.isFinite(next) ? next : upTo.seg, end: 0 };
        continue;
      }
      const chunk = await this.readRange(pos.seg, pos.end, Math.min(segEnd, pos.end + Math.max(maxBytes - bytes, FRAME_HEADER_BYTES)));
      let scan = scanSegment(chunk);
      if (scan.records.length === 0 && scan.badReason?.startsWith('torn') && pos.end + chunk.length < segEnd) {
        // The first record is larger than the window: read exactly it.
        const len = chunk.length >= FRAME_HEADER_BYTES ? chunk.readUInt32BE(0) : 0;
        scan = scanSegment(await this.readRange(pos.seg, pos.end, Math.min(segEnd, pos.end + FRAME_HEADER_BYTES + len)));
      }
      // A frame cut by the window end is read next time; anything else wrong is corruption.
      const cutByWindow = scan.badAt !== undefined && scan.badReason!.startsWith('torn') && pos.end + chunk.length < segEnd;
      if (scan.badAt !== undefined && !cutByWindow) {
        throw new SinkError('SINK_SPOOL_IO', `spool segment ${segName(pos.seg)} is corrupt at byte ${pos.end + scan.badAt}: ${scan.badReason}`);
      }
      if (scan.records.length === 0) throw new SinkError('SINK_SPOOL_IO', `spool segment ${segName(pos.seg)}: no record at byte ${pos.end}`);
      for (const r of scan.records) {
        records.push({ seg: pos.seg, end: pos.end + r.end, payload: r.payload, size: r.size });
        bytes += r.size;
      }
      pos = { seg: pos.seg, end: pos.end + scan.records.at(-1)!.end };
    }
    return { records, next: pos };
  }

  private async readRange(seg: number, start: number, end: number): Promise<Buffer> {
    const fd = await open(join(this.dir, segName(seg)), 'r');
    try {
      const buf = Buffer.allocUnsafe(end - start);
      const { bytesRead } = await fd.read(buf, 0, buf.length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fd.close();
    }
  }

  /** Waits for queued appends, then closes files; deletes the last segment when nothing in it is pending. */
  async close(allReleased: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.running) await this.flushing;
    await this.fd.close().catch(() => undefined);
    await this.wmFd.close().catch(() => undefined);
    if (allReleased) {
      for (const seg of this.segments) await rm(join(this.dir, segName(seg)), { force: true });
      await rm(join(this.dir, 'committed'), { force: true });
    }
    await this.unlock();
  }
}

