import type { SpoolPosition } from '../spool/spool.js';
import type { PreparedRow } from './prepare.js';

/** A spooled item waiting for the database. */
export interface QueuedItem {
  row: PreparedRow;
  /** Position just past its spool record: released after commit. */
  end: SpoolPosition;
  /** Size of its spool frame. */
  size: number;
  /** Fluent tag it arrived with, reused by the forward fallback. */
  tag?: string;
}

/** The Fluent tag an item arrived with, from its transport meta. */
export function tagOf(meta: { source_tag?: string } | undefined): string | undefined {
  return typeof meta?.source_tag === 'string' ? meta.source_tag : undefined;
}

/**
 * FIFO of spooled items in spool order, with a wake-up for the delivery
 * loop. Items leave it only after they are committed or forwarded.
 */
export class DeliveryQueue {
  /** Delivered items' slots (before `head`) are cleared: see shift(). */
  private items: (QueuedItem | undefined)[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  bytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(batch: QueuedItem[]): void {
    for (const it of batch) {
      this.items.push(it);
      this.bytes += it.size;
    }
    this.wake();
  }

  /** Up to `maxRows` items / `maxBytes` bytes (at least one), `skip` items after the head, without removing them. */
  peek(maxRows: number, maxBytes: number, skip = 0): QueuedItem[] {
    const out: QueuedItem[] = [];
    let bytes = 0;
    for (let i = this.head + skip; i < this.items.length && out.length < maxRows; i++) {
      const it = this.items[i]!;
      if (out.length > 0 && bytes + it.size > maxBytes) break;
      out.push(it);
      bytes += it.size;
    }
    return out;
  }

  /** Removes `n` delivered items from the head. */
  shift(n: number): void {
    for (let i = 0; i < n; i++) {
      this.bytes -= this.items[this.head + i]!.size;
      // Let go of now, not when the array is compacted (past 4096 items): a
      // delivered item holds its row, whose line may be up to 8 Mi characters,
      // so delivered rows held gigabytes until then (found by a probe: 900 MB
      // of heap after ingesting 240 lines of 4 MiB).
      this.items[this.head + i] = undefined;
    }
    this.head += n;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Resolves at the next push (or wake()). */
  wait(): Promise<void> {
    return new Promise((resolve) => (this.waiter = resolve));
  }

  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
