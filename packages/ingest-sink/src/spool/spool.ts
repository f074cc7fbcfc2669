import { mkdir, open, readdir, readFile, rm, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SinkError, spoolIoError } from '../sink/errors.js';
import { FRAME_HEADER_BYTES, scanSegment } from './record.js';
import { formatHole, holesName, parseHoles, scanAround, type Hole } from './holes.js';
import { lockSpool } from './spool-lock.js';
import { writeAll } from './write-all.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';
import { encodeWatermark, openWatermark, removeWatermark } from './watermark.js';

export type { FsyncPolicy, SpoolOpenOptions, SpoolPosition, ReplayedRecord, RecordRun, SpoolReplayReport, SpoolSkip } from './spool-types.js';
import type { FsyncPolicy, SpoolOpenOptions, SpoolPosition, ReplayedRecord, RecordRun, SpoolReplayReport, SpoolSkip } from './spool-types.js';

/**
 * The whole of file `path`, read into `scratch` when it is large enough,
 * else into a new buffer of the file's size; with the buffer to pass as
 * `scratch` next time.
 */
async function readInto(path: string, scratch: Buffer): Promise<[Buffer, Buffer]> {
  const fd = await open(path, 'r');
  try {
    const { size } = await fd.stat();
    const into = size <= scratch.length ? scratch : Buffer.allocUnsafeSlow(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fd.read(into, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    // A file that shrank while being read (nothing else writes a locked spool): only what was read.
    return [into.subarray(0, at), into];
  } finally {
    await fd.close();
  }
}

const SEG_RE = /^seg-(\d{12})\.log$/;
const HOLES_RE = /^seg-(\d{12})\.log\.holes$/;
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
  /** An append failed (see dropPartialFrame), or damage in the segment could not be recorded as a hole: the next append starts a new segment. */
  private mustRoll = false;
  /** Damaged ranges of live segments, passed over by read() and replay (holes.ts). */
  private holes = new Map<number, Hole[]>();
  /**
   * Segments whose bad bytes could not be copied to quarantine: the
   * spool never deletes them (they hold the only copy of those bytes), and
   * the next replay tries again.
   */
  private keptForQuarantine = new Set<number>();
  /** fdatasync calls so far (group commit makes this far smaller than the number of appends). */
  syncs = 0;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly fsync: FsyncPolicy,
  ) {}

  /** Opens (creating) the spool, replays what earlier runs left, and starts a fresh segment. */
  static async open(opts: SpoolOpenOptions): Promise<{ spool: Spool; replayed: ReplayedRecord[]; unloaded: RecordRun[]; report: SpoolReplayReport }> {
    const spool = new Spool(opts.dir, opts.segmentBytes ?? 8 * 1024 * 1024, opts.fsync ?? 'batch');
    try {
      await mkdir(opts.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      spool.unlock = await lockSpool(opts.dir, opts.lockTiming);
    } catch (err) {
      // mkdir says EEXIST for a file in the way (ENOTDIR for one above it): said as what it is.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw spoolIoError(`cannot open spool ${opts.dir}: it, or a directory above it, is a file, not a directory`, err);
      throw spoolIoError(`cannot open spool ${opts.dir}`, err);
    }
    try {
      const result = await spool.replay(opts.loadBytes ?? Infinity);
      // Past every segment left on disk (never append behind a bad tail) and
      // past the watermark: a segment numbered at or below it would have its
      // records taken for released, and skipped, by the next replay.
      await spool.openSegment(Math.max(0, spool.watermark.seg, ...spool.segments, ...spool.keptForQuarantine) + 1);
      return { spool, ...result };
    } catch (err) {
      // The files opened before the failure are closed too: left to the
      // garbage collector they closed late, with a DEP0137 warning (found by
      // a probe: a directory named like a segment).
      await spool.wmFd?.close().catch(() => undefined);
      await spool.fd?.close().catch(() => undefined);
      await spool.unlock();
      throw spoolIoError(`cannot open spool ${opts.dir}`, err);
    }
  }

  private async replay(loadBytes: number): Promise<{ replayed: ReplayedRecord[]; unloaded: RecordRun[]; report: SpoolReplayReport }> {
    const report: SpoolReplayReport = { corruptTails: 0, corruptBytes: 0, quarantined: [], reasons: [] };
    const wm = await openWatermark(this.dir);
    this.wmFd = wm.fd;
    this.watermark = wm.position;
    if (wm.ignored !== undefined) report.watermarkIgnored = wm.ignored;
    const files = await readdir(this.dir);
    const names = files.filter((n) => SEG_RE.test(n)).sort();
    const segFiles = new Set(names);
    // Read only the holes files that exist (a segment rarely has one); one whose segment is gone (a crash between the two deletions) is removed.
    const holeFiles = new Set<string>();
    for (const n of files) {
      if (!HOLES_RE.test(n)) continue;
      if (segFiles.has(n.slice(0, -'.holes'.length))) holeFiles.add(n);
      else await rm(join(this.dir, n), { force: true });
    }
    const replayed: ReplayedRecord[] = [];
    const unloaded: RecordRun[] = [];
    let loadedBytes = 0;
    let run: { seg: number; start: number; sizes: number[] } | undefined;
    let runEnd = 0;
    let scratch: Buffer = Buffer.alloc(0);
    for (const name of names) {
      const seg = Number(SEG_RE.exec(name)![1]);
      const path = join(this.dir, name);
      // Segments behind the watermark are read too (they are rare: release()
      // deletes them), so that a bad tail in one is quarantined, not deleted.
      // Into one buffer reused for every segment: a fresh one each is freed
      // only when V8 next collects, so opening a large spool held many.
      let buf: Buffer;
      [buf, scratch] = await readInto(path, scratch);
      const holes = holeFiles.has(holesName(name)) ? parseHoles(await readFile(join(this.dir, holesName(name)), 'latin1')) : [];
      if (holes.length > 0) this.holes.set(seg, holes);
      const scan = scanAround(buf, holes);
      if (scan.badAt !== undefined) {
        report.corruptTails++;
        report.corruptBytes += buf.length - scan.badAt;
        const reason = `${name} at byte ${scan.badAt}: ${scan.badReason}`;
        // Quarantine the bad tail byte for byte, then cut it off, so it is
        // never decoded and the next replay does not report it again. When
        // the copy cannot be written (a full disk), the tail stays where it
        // is, still never loaded: the segment is not appended to again, and
        // starting matters more, since replaying the good records into the
        // database is what frees the spool's disk space.
        const q = await this.quarantine(seg, scan.badAt, buf.subarray(scan.badAt), 'cut');
        if (q.path) report.quarantined.push(q.path);
        report.reasons.push(q.path ? reason : `${reason} (left in place, not quarantined: ${q.error})`);
      }
      let kept = 0;
      for (const r of scan.records) {
        if (seg < this.watermark.seg || (seg === this.watermark.seg && r.end <= this.watermark.end)) continue;
        kept++;
        // Loaded while nothing before it stays on disk (spool order), and within the budget.
        if (unloaded.length === 0 && (replayed.length === 0 || loadedBytes + r.size <= loadBytes)) {
          // A copy: `scratch` is overwritten by the next segment.
          replayed.push({ seg, end: r.end, payload: Buffer.from(r.payload), size: r.size });
          loadedBytes += r.size;
          continue;
        }
        // One run per stretch of records that follow each other: a segment's
        // records are contiguous unless it holds a hole (damage recorded by
        // an earlier run), whose bytes are not records.
        const start = r.end - r.size;
        if (run?.seg === seg && runEnd === start) run.sizes.push(r.size);
        else unloaded.push((run = { seg, start, sizes: [r.size] }));
        runEnd = r.end;
      }
      // Nothing in it to deliver: deleted. One that cannot be deleted now
      // stays known, as release() leaves it: a later release tries again,
      // and close() keeps the watermark that passes over its records.
      // Forgotten, a close() with all released removed the watermark, and
      // the next start delivered them again (found by a review: strace
      // injecting EIO into unlink on two starts in a row).
      const removed = kept === 0 && (await this.removeSegment(seg).then(() => true, () => false));
      if (!removed) {
        this.segments.add(seg);
        this.sealed.set(seg, scan.records.at(-1)?.end ?? 0);
      }
    }
    return { replayed, unloaded, report };
  }

  /**
   * Copies `bytes`, segment `seg`'s bad part from offset `at`, to
   * `quarantine/` byte for byte, then marks it so that it is neither decoded
   * nor reported again: `cut` truncates the segment there (a tail, with
   * nothing after it); `hole` records the range up to `bytes`' end as a
   * {@link Hole}, durably, so the records after it stay readable, also by
   * the next replay. When either cannot be written (a full disk), the
   * segment is kept as it is and never deleted: it holds the only copy of
   * those bytes. `error` says why; `path` is the copy, when one was made.
   */
  private async quarantine(seg: number, at: number, bytes: Buffer, mark: 'cut' | 'hole'): Promise<{ path?: string; error?: string }> {
    const q = join(this.dir, 'quarantine');
    const path = join(q, `${segName(seg)}.${at}.${Date.now()}.bad`);
    let copied = false;
    try {
      // The copy is made durable (content, then its directory entries)
      // before the segment is cut or the hole recorded: after a power cut the
      // cut could survive and the copy not, and with it the only trace of
      // those bytes and of the records after a corrupt one.
      if ((await mkdir(q, { recursive: true, mode: PRIVATE_DIR_MODE })) !== undefined) await this.syncDir();
      await this.writeDurably(path, 'w', bytes);
      copied = true;
      if (mark === 'cut') await truncate(join(this.dir, segName(seg)), at);
      else await this.addHole(seg, { from: at, to: at + bytes.length });
      return { path };
    } catch (err) {
      this.keptForQuarantine.add(seg);
      // A hole whose fdatasync (or directory sync) failed may still be in
      // the holes file (write(2) put it in the page cache): the next replay
      // then passes over the damage without finding it again, and deletes
      // the segment once released, so the copy is kept, the only trace of
      // those bytes and of the intact records after the damaged one (found
      // by a probe: strace injecting EIO on the holes file's fdatasync).
      if (copied && mark === 'hole') return { path, error: (err as Error).message };
      await rm(path, { force: true }).catch(() => undefined);
      return { error: (err as Error).message };
    }
  }

  /**
   * Appends `hole` to segment `seg`'s holes file and makes it durable before
   * read() reports the skip: the hole is what keeps the next replay from
   * taking the damage for a corrupt tail and quarantining the undelivered
   * records after it.
   */
  private async addHole(seg: number, hole: Hole): Promise<void> {
    await this.writeDurably(join(this.dir, holesName(segName(seg))), 'a', formatHole(hole));
    this.holes.set(seg, [...(this.holes.get(seg) ?? []), hole].sort((a, b) => a.from - b.from));
  }

  /**
   * Writes `data` to the private file `path` (`w`: a new file; `a`: appended
   * to), then, under the fsync policy, makes its content and its directory
   * entry durable, in that order.
   */
  private async writeDurably(path: string, flags: 'w' | 'a', data: Buffer | string): Promise<void> {
    const fd = await open(path, flags, PRIVATE_FILE_MODE);
    try {
      await fd.writeFile(data);
      if (this.fsync === 'batch') await fd.datasync();
    } finally {
      await fd.close();
    }
    await this.syncDir(dirname(path));
  }

  /**
   * Makes new directory entries durable, or a power cut could lose a whole
   * file with its fsynced content (POSIX fsync(2) on the directory).
   */
  private async syncDir(dir = this.dir): Promise<void> {
    if (this.fsync !== 'batch') return;
    const dirFd = await open(dir, 'r');
    await dirFd.sync().finally(() => dirFd.close());
  }

  /** Creates segment `seg` and makes it the one appended to (only once its directory entry is durable). */
  private async openSegment(seg: number): Promise<void> {
    const fd = await open(join(this.dir, segName(seg)), 'a', PRIVATE_FILE_MODE);
    try {
      await this.syncDir();
    } catch (err) {
      // An empty segment file left behind is removed by the next replay.
      await fd.close().catch(() => undefined);
      throw err;
    }
    this.fd = fd;
    this.activeSeg = seg;
    this.activeSize = 0;
    this.segments.add(seg);
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
        if (this.mustRoll || this.activeSize >= this.segmentBytes) await this.roll();
        const starts: SpoolPosition[] = [];
        let off = this.activeSize;
        for (const g of group) {
          starts.push({ seg: this.activeSeg, end: off });
          off += g.buffer.length;
        }
        await writeAll(this.fd, group.map((g) => g.buffer), off - this.activeSize);
        if (this.fsync === 'batch') {
          await this.fd.datasync();
          this.syncs++;
        }
        // Only now: a failed fdatasync (EIO, or ENOSPC on NFS) rejects the
        // group, and dropPartialFrame() must cut its frames off too, or a
        // caller's retry would store them twice and replay deliver both.
        this.activeSize = off;
        group.forEach((g, i) => g.resolve(starts[i]!));
      } catch (err) {
        const e = spoolIoError('spool write failed', err);
        group.forEach((g) => g.reject(e));
        await this.dropPartialFrame();
      }
    }
  }

  /**
   * After a failed append. A write that failed part way (a full disk, a
   * file size limit) leaves a partial frame: anything appended after it
   * would be lost as a corrupt tail on replay. A write whose fdatasync
   * failed leaves whole frames its callers were told are not kept: they
   * write them again, so keeping these would store them twice. Either way
   * the segment is cut back to the end of its last kept record (ftruncate
   * needs no free space) and the next append starts a new segment, which
   * lets roll() delete this one once it holds nothing unreleased: on a full
   * disk, that is the space the spool gives back.
   */
  private async dropPartialFrame(): Promise<void> {
    this.mustRoll = true;
    await this.fd.truncate(this.activeSize).catch(() => undefined);
  }

  private async roll(): Promise<void> {
    const old = this.fd;
    const oldSeg = this.activeSeg;
    // activeSize moves only after a successful write, so it excludes a failed append's bytes.
    const oldSize = this.activeSize;
    await this.openSegment(oldSeg + 1);
    this.mustRoll = false;
    await old.close().catch(() => undefined);
    const wm = this.watermark;
    // Sealed first: one whose deletion below fails stays known, and a read
    // passing through it needs its end (without one, a read of the records
    // around an empty segment whose unlink failed threw "gone before its
    // records were delivered"; found by a review, strace injecting EIO).
    this.sealed.set(oldSeg, oldSize);
    if (oldSize === 0 || wm.seg > oldSeg || (wm.seg === oldSeg && wm.end >= oldSize)) {
      // Nothing in it is waiting for the database: no reason to keep it.
      await this.removeSegment(oldSeg).catch(() => undefined);
    }
  }

  /**
   * Deletes segment `seg`'s file (and holes file) and forgets it; one that
   * holds bad bytes not yet quarantined is forgotten and left on disk.
   * Rejects when the file cannot be deleted, and the segment stays known:
   * a later release() tries again, and close() keeps the watermark that
   * says its records were delivered. Forgotten first, a segment an unlink
   * failed on (EIO) was left behind by a close() that then removed the
   * watermark, and the next start delivered its records again (found by a
   * probe: strace injecting EIO into unlink).
   */
  private async removeSegment(seg: number): Promise<void> {
    if (!this.keptForQuarantine.has(seg)) {
      await rm(join(this.dir, segName(seg)), { force: true });
      // After the segment: a holes file left behind (a crash in between, a failed unlink) is removed by replay.
      await rm(join(this.dir, holesName(segName(seg))), { force: true }).catch(() => undefined);
    }
    this.segments.delete(seg);
    this.sealed.delete(seg);
    this.holes.delete(seg);
  }

  /**
   * Everything up to `pos` is committed (or forwarded): move the watermark,
   * delete finished segments. A sealed segment `pos` ends exactly is finished
   * too: a segment sealed while it still held pending records (a roll after
   * a refused append, the database behind) is released by a position inside
   * it, and was kept for good, so on a full disk the room it held never came
   * back, and every later append was refused (found by a review).
   */
  async release(pos: SpoolPosition): Promise<void> {
    if (pos.seg < this.watermark.seg || (pos.seg === this.watermark.seg && pos.end <= this.watermark.end)) return;
    this.watermark = { ...pos };
    const b = encodeWatermark(pos);
    // Finished segments are deleted even when the watermark cannot be written
    // (a full disk): deleting them is what frees the space, and the watermark
    // only spares a replay some duplicates.
    const written = this.wmFd.write(b, 0, b.length, 0).then(
      () => undefined,
      (err: unknown) => err,
    );
    for (const seg of [...this.segments]) {
      // One that cannot be deleted now stays known, for the next release to try again.
      if (seg !== this.activeSeg && (seg < pos.seg || (seg === pos.seg && pos.end >= (this.sealed.get(seg) ?? Infinity)))) await this.removeSegment(seg).catch(() => undefined);
    }
    const err = await written;
    if (err !== undefined) throw spoolIoError('spool watermark write failed', err);
  }

  /**
   * Reads back records appended earlier, in spool order: from `from` (a
   * record boundary) up to `upTo` (a position an `append()` resolved past, so
   * everything before it is complete), about `maxBytes` of them (at least one
   * record, unless all it met was skipped). For records the sink keeps on
   * disk only while its in-memory queue is full.
   *
   * A record that fails its checksum was damaged on disk after its append
   * resolved. It and the rest of what its segment holds for this read (up to
   * `upTo` or the segment's good end, both record boundaries) are copied to
   * `quarantine/`, recorded as a hole and skipped, and reading goes on after
   * them, rather than stopping delivery behind them for good (`skipped` says
   * what; the caller counts the records in it). Nothing inside the range is
   * guessed at: the bad record's length field may be what is damaged. The
   * hole keeps the next replay from taking the damage for a corrupt tail,
   * which would quarantine the records appended after it too.
   */
  async read(from: SpoolPosition, upTo: SpoolPosition, maxBytes: number): Promise<{ records: ReplayedRecord[]; next: SpoolPosition; skipped: SpoolSkip[] }> {
    const records: ReplayedRecord[] = [];
    const skipped: SpoolSkip[] = [];
    let pos = { ...from };
    let bytes = 0;
    // At least one record, whatever maxBytes (even 0): every read makes progress.
    while ((records.length === 0 || bytes < maxBytes) && (pos.seg < upTo.seg || (pos.seg === upTo.seg && pos.end < upTo.end))) {
      if (!this.segments.has(pos.seg) && pos.seg <= this.watermark.seg) {
        // Released whole and deleted (release()): nothing in it is left to
        // read. A read standing at its end goes on to the next segment.
        if (pos.seg >= upTo.seg) {
          pos = { ...upTo };
          break;
        }
        pos = this.nextSegmentStart(pos.seg, upTo);
        continue;
      }
      const segEnd = pos.seg === upTo.seg ? upTo.end : this.sealed.get(pos.seg);
      if (segEnd === undefined) throw new SinkError('SINK_SPOOL_IO', `spool segment ${pos.seg} is gone before its records were delivered`);
      if (pos.end >= segEnd) {
        pos = this.nextSegmentStart(pos.seg, upTo);
        continue;
      }
      const holes = this.holes.get(pos.seg) ?? [];
      const hole = holes.find((h) => h.from === pos.end);
      if (hole) {
        pos = { seg: pos.seg, end: hole.to };
        continue;
      }
      // A window never reaches into a hole: its bytes are not frames.
      const limit = Math.min(segEnd, holes.find((h) => h.from > pos.end)?.from ?? segEnd);
      let chunk = await this.readRange(pos.seg, pos.end, Math.min(limit, pos.end + Math.max(maxBytes - bytes, FRAME_HEADER_BYTES)));
      let scan = scanSegment(chunk);
      if (scan.records.length === 0 && scan.badReason?.startsWith('torn') && pos.end + chunk.length < limit) {
        // The first record is larger than the window: read exactly it. A
        // damaged length field makes this read reach `limit` (or end within
        // it on bytes that fail the checksum), so the scan below takes it for
        // damage, not for a record cut by the window.
        const len = chunk.length >= FRAME_HEADER_BYTES ? chunk.readUInt32BE(0) : 0;
        chunk = await this.readRange(pos.seg, pos.end, Math.min(limit, pos.end + FRAME_HEADER_BYTES + len));
        scan = scanSegment(chunk);
      }
      for (const r of scan.records) {
        records.push({ seg: pos.seg, end: pos.end + r.end, payload: r.payload, size: r.size });
        bytes += r.size;
      }
      // A frame cut by the window end is read next time; anything else wrong is corruption.
      const cutByWindow = scan.badAt !== undefined && scan.badReason!.startsWith('torn') && pos.end + chunk.length < limit;
      if (scan.badAt !== undefined && !cutByWindow) {
        const at = pos.end + scan.badAt;
        const q = await this.quarantine(pos.seg, at, await this.readRange(pos.seg, at, limit), 'hole');
        // Without a hole on disk, the next replay takes the damage for a corrupt tail and
        // quarantines everything after it: append nothing more behind it.
        if (q.error !== undefined && pos.seg === this.activeSeg) this.mustRoll = true;
        skipped.push({ seg: pos.seg, from: at, to: limit, reason: `spool segment ${segName(pos.seg)} is corrupt at byte ${at}: ${scan.badReason}`, ...(q.path ? { quarantined: q.path } : {}) });
        pos = { seg: pos.seg, end: limit };
        continue;
      }
      if (scan.records.length === 0) throw new SinkError('SINK_SPOOL_IO', `spool segment ${segName(pos.seg)}: no record at byte ${pos.end}`);
      pos = { seg: pos.seg, end: pos.end + scan.records.at(-1)!.end };
    }
    return { records, next: pos, skipped };
  }

  /** The start of the first live segment after `seg` (numbers can skip: empty ones are deleted), else of `upTo`'s. */
  private nextSegmentStart(seg: number, upTo: SpoolPosition): SpoolPosition {
    const next = Math.min(...[...this.segments].filter((s) => s > seg));
    return { seg: Number.isFinite(next) ? next : upTo.seg, end: 0 };
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
      // A segment kept for bad bytes it could not quarantine (a full disk) stays on disk too.
      let left = this.keptForQuarantine.size > 0;
      for (const seg of [...this.segments]) await this.removeSegment(seg).catch(() => (left = true));
      // A segment left on disk keeps the watermark: without it the next start delivers its records again.
      if (!left) await removeWatermark(this.dir);
    }
    await this.unlock();
  }
}

