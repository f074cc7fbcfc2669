import { createHash } from 'node:crypto';

/** Limits of the partial-line reassembly buffer. */
export interface PartialLimits {
  /** Longest reassembled line (bytes); longer ones are released as they are. */
  maxLineBytes: number;
  /** Most lines being reassembled at once; the oldest is released beyond it. */
  maxOpen: number;
  /**
   * Most bytes held by all the lines being reassembled; the oldest lines are
   * released beyond it. Without it, a sender could hold `maxOpen` lines of
   * `maxLineBytes` each (4 GiB by default) open in memory and on disk.
   */
  maxOpenBytes: number;
  /**
   * A line whose last piece has not arrived within this time is released
   * incomplete. A stored line's pieces are recognised as resent for as long.
   */
  maxAgeMs: number;
}

/** A line the assembler gives back: complete, or released incomplete (and why). */
export interface AssembledLine<C = undefined> {
  key: string;
  /** What the caller gave with the line's first piece (where it came from). */
  context: C;
  line: string;
  complete: boolean;
  /**
   * Why it was released incomplete: its last piece did not come in time
   * (`expired`), it grew too long (`too_large`), too many lines, or too many
   * bytes in all, were open (`too_many_open`); or it is not a line but
   * pieces no honest sender sends, kept apart from the line: pieces numbered
   * past the one marked last (`beyond_last`), or a piece whose ordinal had
   * already come with other bytes (`conflicting_piece`).
   */
  reason?: 'expired' | 'too_large' | 'too_many_open' | 'beyond_last' | 'conflicting_piece';
  /** A complete line's pieces and the ordinal of its last, for {@link PartialAssembler.reopen}. */
  pieces?: ReadonlyMap<number, Buffer>;
  last?: number;
}

/**
 * A stored line, as kept to recognise its pieces sent again: the digest of
 * each piece (`digests[ordinal - 1]`, its last piece's ordinal being their
 * number). Also what the journal keeps of it across a restart.
 */
export interface StoredLine {
  key: string;
  digests: string[];
}

interface Stored extends StoredLine {
  since: number;
}

interface Open<C> {
  context: C;
  pieces: Map<number, Buffer>;
  bytes: number;
  since: number;
  last?: number;
}

/**
 * Reassembles lines the Docker log driver split at 16 KiB (moby
 * daemon/logger/copier.go) into records with `partial_message: "true"`,
 * `partial_id`, `partial_ordinal` (from 1) and `partial_last`. Pieces are
 * bytes, not text: the driver cuts every 16 KiB of bytes, inside a UTF-8
 * character as often as not, so a line is decoded only once its pieces are
 * joined (in ordinal order, once the last one and every earlier one arrived).
 * Memory is bounded; anything released incomplete is returned to the caller,
 * which counts it and passes audit-looking text on to the rejects table.
 */
export class PartialAssembler<C = undefined> {
  private readonly open = new Map<string, Open<C>>();
  private openBytes = 0;
  private readonly storedLines = new Map<string, Stored>();

  constructor(private readonly limits: PartialLimits) {}

  /** Number of lines waiting for pieces. */
  get size(): number {
    return this.open.size;
  }

  /** Bytes held by the lines waiting for pieces. */
  get bytes(): number {
    return this.openBytes;
  }

  /**
   * Adds one piece; returns the lines completed or released by it. A line
   * keeps the `context` of its first piece, and its age counts from `now`
   * of that piece.
   */
  add(key: string, ordinal: number, last: boolean, bytes: Buffer, context: C, now = Date.now()): AssembledLine<C>[] {
    const out: AssembledLine<C>[] = [];
    let entry = this.open.get(key);
    const stored = entry ? undefined : this.storedLines.get(key);
    if (stored) {
      // A piece of a line already stored that is not a resend of it (isResent):
      // past its last, or other bytes at one of its ordinals. Kept apart, as
      // for an open line; it must not open a line that can never complete.
      const beyond = ordinal > stored.digests.length;
      if (beyond || stored.digests[ordinal - 1] !== digest(bytes)) {
        return [{ key, context, line: bytes.toString('utf8'), complete: false, reason: beyond ? 'beyond_last' : 'conflicting_piece' }];
      }
      return [];
    }
    if (!entry) {
      if (this.open.size >= this.limits.maxOpen) {
        const [oldest] = this.open.keys();
        out.push(...this.release(oldest!, 'too_many_open'));
      }
      entry = { context, pieces: new Map(), bytes: 0, since: now };
      this.open.set(key, entry);
    }
    const earlier = entry.pieces.get(ordinal);
    if (earlier !== undefined) {
      // A piece sent again (a resend of the request) adds nothing; one with
      // other bytes is not dropped, nor allowed to replace the first.
      if (!earlier.equals(bytes)) out.push({ key, context: entry.context, line: bytes.toString('utf8'), complete: false, reason: 'conflicting_piece' });
      return out;
    }
    entry.pieces.set(ordinal, bytes);
    entry.bytes += bytes.length;
    this.openBytes += bytes.length;
    if (last) entry.last = ordinal;
    if (isComplete(entry)) {
      this.forget(key, entry);
      out.push(...whole(key, entry));
    } else if (entry.bytes > this.limits.maxLineBytes) {
      out.push(...this.release(key, 'too_large'));
    } else {
      // Over the total: the oldest other lines go first (Map order is arrival order).
      for (const other of this.open.keys()) {
        if (this.openBytes <= this.limits.maxOpenBytes) break;
        if (other !== key) out.push(...this.release(other, 'too_many_open'));
      }
    }
    return out;
  }

  /**
   * Puts a line this assembler completed back as open, without its piece
   * `without` (the one that completed it): when storing the line failed,
   * the sender sends that piece again, unacked, and it completes the line
   * again. Limits are applied by the next add(). When a copy of that piece
   * came meanwhile (on another connection), the line is whole again at
   * once, and the next expire() gives it back complete.
   */
  reopen(line: AssembledLine<C>, without: number, now = Date.now()): void {
    if (!line.complete || !line.pieces) return;
    let entry = this.open.get(line.key);
    if (!entry) this.open.set(line.key, (entry = { context: line.context, pieces: new Map(), bytes: 0, since: now }));
    entry.last = line.last;
    for (const [ordinal, bytes] of line.pieces) {
      if (ordinal === without || entry.pieces.has(ordinal)) continue;
      entry.pieces.set(ordinal, bytes);
      entry.bytes += bytes.length;
      this.openBytes += bytes.length;
    }
  }

  /**
   * Notes that a line this assembler completed is stored, so that its pieces
   * sent again are recognised ({@link isResent}). A sender resends a request
   * whose ack it did not get: with the ack of a line's last piece lost (a
   * timeout while the database was slow, a connection cut, a crash before
   * the ack), the last piece comes again after its line is complete, and on
   * its own it would open a line that never completes and is released on
   * expiry as a spurious incomplete line. Kept for `maxAgeMs`, the last
   * `maxOpen` lines at most. A copy of the line's piece that arrived while
   * it was being stored (on another connection) opened a line of its own:
   * that line is dropped here when every piece of it is such a copy.
   * Returns how many pieces were dropped so.
   */
  stored(line: AssembledLine<C>, now = Date.now()): { dropped: number; record?: StoredLine } {
    if (!line.complete || !line.pieces || line.last === undefined) return { dropped: 0 };
    const digests = Array.from({ length: line.last }, (_, i) => digest(line.pieces!.get(i + 1)!));
    const record = { key: line.key, digests };
    this.remember(record, now);
    const copy = this.open.get(line.key);
    if (!copy || ![...copy.pieces].every(([o, b]) => digests[o - 1] === digest(b))) return { dropped: 0, record };
    this.forget(line.key, copy);
    return { dropped: copy.pieces.size, record };
  }

  /**
   * Takes back what an earlier run journaled of the lines it stored: their
   * pieces may still be resent (the ack of a line's last piece lost when that
   * run ended), and count their `maxAgeMs` from `now`, as restored pieces do.
   */
  restoreStored(records: readonly StoredLine[], now = Date.now()): void {
    for (const r of records) if (!this.open.has(r.key)) this.remember(r, now);
  }

  private remember(record: StoredLine, now: number): void {
    this.storedLines.delete(record.key);
    this.storedLines.set(record.key, { ...record, since: now });
    for (const key of this.storedLines.keys()) {
      if (this.storedLines.size <= this.limits.maxOpen) break;
      this.storedLines.delete(key);
    }
  }

  /**
   * True when this piece is one of a line stored within `maxAgeMs` (see
   * {@link stored}), sent again with the same bytes: it adds nothing and
   * needs no keeping. Other bytes, or an ordinal past that line's last, are
   * not a resend: add() keeps them apart, as it does for an open line.
   */
  isResent(key: string, ordinal: number, bytes: Buffer): boolean {
    if (this.open.has(key)) return false;
    const digests = this.storedLines.get(key)?.digests;
    return digests !== undefined && digests[ordinal - 1] === digest(bytes);
  }

  /** Releases lines older than maxAgeMs (call periodically). */
  expire(now = Date.now()): AssembledLine<C>[] {
    for (const [key, s] of this.storedLines) {
      if (now - s.since < this.limits.maxAgeMs) break;
      this.storedLines.delete(key);
    }
    const out: AssembledLine<C>[] = [];
    for (const [key, entry] of this.open) {
      if (isComplete(entry) || now - entry.since >= this.limits.maxAgeMs) out.push(...this.release(key, 'expired'));
    }
    return out;
  }

  /** Releases everything (shutdown). */
  drain(): AssembledLine<C>[] {
    return [...this.open.keys()].flatMap((k) => this.release(k, 'expired'));
  }

  private forget(key: string, entry: Open<C>): void {
    this.open.delete(key);
    this.openBytes -= entry.bytes;
  }

  /** Releases a line: incomplete, for `reason`; or whole, when it holds every piece (see reopen). */
  private release(key: string, reason: AssembledLine['reason']): AssembledLine<C>[] {
    const entry = this.open.get(key)!;
    this.forget(key, entry);
    if (isComplete(entry)) return whole(key, entry);
    return [{ key, context: entry.context, line: join(entry.pieces, -Infinity, Infinity), complete: false, reason }];
  }
}

function isComplete(entry: Open<unknown>): boolean {
  return entry.last !== undefined && entry.pieces.size >= entry.last && hasAll(entry.pieces, entry.last);
}

/** A complete line, and the pieces numbered past its last, kept apart. */
function whole<C>(key: string, entry: Open<C>): AssembledLine<C>[] {
  const last = entry.last!;
  const out: AssembledLine<C>[] = [{ key, context: entry.context, line: join(entry.pieces, 1, last), complete: true, pieces: entry.pieces, last }];
  if (entry.pieces.size > last) out.push({ key, context: entry.context, line: join(entry.pieces, last + 1, Infinity), complete: false, reason: 'beyond_last' });
  return out;
}

/**
 * A piece's SHA-256, its first 128 bits in base64url: enough to tell a
 * resend (the same bytes) from another piece, and short to journal.
 */
function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest().subarray(0, 16).toString('base64url');
}

function hasAll(pieces: Map<number, Buffer>, last: number): boolean {
  for (let i = 1; i <= last; i++) if (!pieces.has(i)) return false;
  return true;
}

/** The pieces numbered `from` to `to`, joined in ordinal order, as text. */
function join(pieces: Map<number, Buffer>, from: number, to: number): string {
  const parts = [...pieces.entries()]
    .filter((e) => e[0] >= from && e[0] <= to)
    .sort((a, b) => a[0] - b[0])
    .map((e) => e[1]);
  return Buffer.concat(parts).toString('utf8');
}
