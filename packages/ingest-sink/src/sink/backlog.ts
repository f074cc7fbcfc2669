import { decodePayload } from '../spool/record.js';
import type { RecordRun, ReplayedRecord, Spool, SpoolPosition, SpoolSkip } from '../spool/spool.js';
import { prepareRows } from './prepare.js';
import { tagOf, type DeliveryQueue, type QueuedItem } from './queue.js';
import type { SinkStats } from './types.js';

/** Spooled records as queue items (validated again: only their bytes were kept). */
function queuedFromRecords(records: readonly ReplayedRecord[], defaultSource: string): QueuedItem[] {
  const entries = records.map((r) => decodePayload(r.payload));
  const rows = prepareRows(entries, defaultSource);
  return records.map((r, i) => ({ row: rows[i]!, end: { seg: r.seg, end: r.end }, size: r.size, tag: tagOf(entries[i]!.meta) }));
}

/** Records a read back found damaged and skipped ({@link SpoolSkip}): accepted once, now only in `quarantine/`. */
export interface LostRecords {
  records: number;
  bytes: number;
  skips: SpoolSkip[];
}

/** Spilled records of one append (or of one stretch of a segment on replay): where the first starts and each one's size. */
type SpilledRun = Readonly<RecordRun>;

/**
 * Keeps the sink's memory bounded while the database falls behind (or is
 * down): every accepted record is in the spool anyway, so once the in-memory
 * delivery queue holds `memoryBytes` of records, newer records stay on disk
 * only and are read back, in spool order, as the queue drains. Before, the
 * queue held every spooled record as a parsed row (~2 KiB of heap each), so
 * an outage that filled the 256 MiB spool meant gigabytes of heap.
 *
 * Order is what keeps the spool watermark valid: a record goes into memory
 * only while nothing before it waits on disk, and reads stop at the end of
 * the last append that resolved.
 */
export class Backlog {
  /** Start of the first record that is on disk only; undefined when all are in memory. */
  private spillFrom: SpoolPosition | undefined;
  /** End of the last resolved append (everything before it is complete on disk). */
  private durableEnd: SpoolPosition = { seg: 0, end: 0 };
  private refilling: Promise<LostRecords | undefined> | undefined;
  /**
   * Where each record on disk only starts and ends, in spool order, as
   * appends gave them (a few bytes per record): a read that skips damaged
   * bytes can only say which bytes, and this says how many accepted
   * records they held.
   */
  private spilledRuns: SpilledRun[] = [];
  /** Records of `spilledRuns[0]` already read back or skipped, and where the next one starts. */
  private runOffset = 0;
  private runAt = 0;

  constructor(
    private readonly spool: Spool,
    private readonly queue: DeliveryQueue,
    private readonly memoryBytes: number,
    private readonly defaultSource: string,
    private readonly stats: SinkStats,
  ) {}

  /** True while records wait on disk only. */
  get spilled(): boolean {
    return this.spillFrom !== undefined;
  }

  /**
   * Records an append that resolved at `start` with `bytes` bytes, and says
   * whether its items may join the in-memory queue (false: they stay on disk
   * and {@link refill} reads them later). Call in spool order.
   */
  admit(start: SpoolPosition, sizes: readonly number[], bytes: number): boolean {
    this.durableEnd = { seg: start.seg, end: start.end + bytes };
    if (this.spillFrom === undefined && this.queue.bytes + bytes <= this.memoryBytes) return true;
    this.spillFrom ??= start;
    this.spilledRuns.push({ seg: start.seg, start: start.end, sizes });
    return false;
  }

  /**
   * What replay found at start: `records`, read with their bytes (the
   * spool's `loadBytes`, this backlog's budget), become queue items; the
   * records of `unloaded`, after them, stay on disk.
   */
  admitReplayed(records: readonly ReplayedRecord[], unloaded: readonly RecordRun[]): QueuedItem[] {
    const first = unloaded[0];
    if (first) this.spillFrom = { seg: first.seg, end: first.start };
    this.spilledRuns.push(...unloaded);
    const lastRun = unloaded.at(-1);
    const last = records.at(-1);
    if (lastRun) this.durableEnd = { seg: lastRun.seg, end: lastRun.sizes.reduce((a, n) => a + n, lastRun.start) };
    else if (last) this.durableEnd = { seg: last.seg, end: last.end };
    return queuedFromRecords(records, this.defaultSource);
  }

  /**
   * Reads spilled records back into the queue once it holds less than half
   * the budget. One refill at a time. Resolves with the records it had to
   * skip as damaged, if any: the caller settles them (they will never be
   * delivered) and reports them.
   */
  refill(): Promise<LostRecords | undefined> {
    if (this.spillFrom === undefined || this.queue.bytes > this.memoryBytes / 2) return Promise.resolve(undefined);
    this.refilling ??= this.readMore().finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  private async readMore(): Promise<LostRecords | undefined> {
    const from = this.spillFrom!;
    const { records, next, skipped } = await this.spool.read(from, this.durableEnd, this.memoryBytes - this.queue.bytes);
    // Appends that resolved during the read are after `next`: still spilled.
    const caughtUp = next.seg === this.durableEnd.seg && next.end >= this.durableEnd.end;
    this.spillFrom = caughtUp ? undefined : next;
    const lost = this.consumeRuns(next, skipped);
    this.stats.readBack += records.length;
    this.queue.push(queuedFromRecords(records, this.defaultSource));
    return lost;
  }

  /** Drops the spilled records before `next` from {@link spilledRuns}, counting those inside `skipped`. */
  private consumeRuns(next: SpoolPosition, skipped: readonly SpoolSkip[]): LostRecords | undefined {
    let records = 0;
    let bytes = 0;
    while (this.spilledRuns.length > 0) {
      const run = this.spilledRuns[0]!;
      if (run.seg > next.seg) break;
      let at = this.runOffset === 0 ? run.start : this.runAt;
      while (this.runOffset < run.sizes.length) {
        const size = run.sizes[this.runOffset]!;
        if (run.seg === next.seg && at + size > next.end) break;
        if (skipped.some((k) => k.seg === run.seg && at >= k.from && at + size <= k.to)) {
          records++;
          bytes += size;
        }
        at += size;
        this.runOffset++;
      }
      this.runAt = at;
      if (this.runOffset < run.sizes.length) break;
      this.spilledRuns.shift();
      this.runOffset = 0;
    }
    return skipped.length > 0 ? { records, bytes, skips: [...skipped] } : undefined;
  }
}
