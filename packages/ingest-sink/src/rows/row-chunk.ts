import { INSERT_COLUMNS, type ColumnValue } from '@audit-trail/schema';
import type { EventRow } from '../sink/prepare.js';
import { packRows, type PackedRows } from './packed-rows.js';
import { giveSlab, takeSlab } from './text-slabs.js';

const WIDTH = INSERT_COLUMNS.length;
const col = (name: string) => INSERT_COLUMNS.findIndex((c) => c.name === name);
const EVENT_ID = col('event_id');
const CHAIN_ID = col('chain_id');
const SEQ = col('seq');
const RAW = col('event_json');
// Cell kinds of packed-rows.js.
const NUMBER = 1;
const STRING = 2;

/**
 * One character outside Latin-1 makes a text "wide" (stored as UTF-16). V8
 * answers this test for a one-byte string without reading it: 0.08 µs for
 * 52 000 characters, against 31 µs for the same test up to U+007F
 * (bench/text-encoding.mjs).
 */
const WIDE = /[^\x00-\xff]/;

/**
 * The event rows validated by one write, packed (packed-rows.js) and kept so
 * until they are committed. Why not arrays: a queued row as an array of 29
 * values holds some 30 heap objects, and a queued row lives for tens to
 * hundreds of milliseconds (queue, pipeline, commit), across several
 * scavenges: V8 copies those objects twice, then promotes them to the old
 * generation, where they pile up until a full collection. Packed, a chunk is
 * one text plus typed arrays whatever its row count; the per-row arrays die
 * young, inside the write that made them.
 *
 * The text is kept outside the V8 heap, encoded in a pooled buffer
 * (text-slabs.ts): as a string it was most of what every scavenge copied
 * while rows waited for their commit (bench/sink.ts prints the main thread's
 * scavenges per round). Latin-1 when every character fits, else UTF-16LE:
 * both give back exactly the characters stored, so the offsets, counted in
 * characters, hold either way. Readers decode what they need; a batch for
 * the worker gets each range decoded once, a string that dies young. Per
 * chunk of ~55 rows that adds ~0.7 µs to write the text and ~3 µs to decode
 * it (bench/text-encoding.mjs), against the ~5 µs its packing already took.
 */
export class RowChunk {
  /** Rows in the chunk. */
  readonly count: number;
  private readonly kinds: Uint8Array;
  private readonly lens: Uint32Array;
  private readonly nums: number[];
  /** Per row (and one past the last): where its string cells start in the text, and its first number in `nums`. */
  private readonly textStart: Uint32Array;
  private readonly numStart: Uint32Array;
  /** True when the text is stored as UTF-16LE (2 bytes per character), false for Latin-1. */
  private readonly wide: boolean;
  /** The encoded text; undefined once every row is delivered and the buffer went back to the pool. */
  private bytes: Buffer | undefined;
  /** Rows not yet delivered. */
  private undelivered: number;

  constructor(rows: readonly (readonly ColumnValue[])[]) {
    this.textStart = new Uint32Array(rows.length + 1);
    this.numStart = new Uint32Array(rows.length + 1);
    const packed = packRows(rows, WIDTH, { text: this.textStart, num: this.numStart });
    this.count = packed.count;
    this.kinds = packed.kinds;
    this.lens = packed.lens;
    this.nums = packed.nums;
    const text = packed.texts[0]!;
    this.wide = WIDE.test(text);
    this.bytes = takeSlab(this.wide ? text.length * 2 : text.length);
    this.bytes.write(text, 0, this.wide ? 'utf16le' : 'latin1');
    this.undelivered = packed.count;
  }

  /** The encoded text; throws once released (the buffer may already hold another chunk's text). */
  private buffer(): Buffer {
    if (this.bytes === undefined) throw new Error('RowChunk: read after all its rows were delivered');
    return this.bytes;
  }

  /** Characters `from` (inclusive) to `to` (exclusive) of the chunk's text. */
  text(from = 0, to = this.textStart[this.count]!): string {
    const b = this.buffer();
    return this.wide ? b.toString('utf16le', from * 2, to * 2) : b.toString('latin1', from, to);
  }

  /** Marks `n` of its rows delivered; after the last, the text's buffer goes back to the pool and the chunk can no longer be read. */
  delivered(n = 1): void {
    this.undelivered -= n;
    if (this.undelivered <= 0 && this.bytes !== undefined) {
      giveSlab(this.bytes);
      this.bytes = undefined;
    }
  }

  /** Cell `column` of row `row`. */
  cell(row: number, column: number): string | number | null {
    this.buffer();
    const { kinds, lens, nums } = this;
    let pos = this.textStart[row]!;
    let num = this.numStart[row]!;
    const base = row * WIDTH;
    for (let j = 0; j < column; j++) {
      const kind = kinds[base + j];
      if (kind === STRING) pos += lens[base + j]!;
      else if (kind === NUMBER) num++;
    }
    const kind = kinds[base + column];
    return kind === STRING ? this.text(pos, pos + lens[base + column]!) : kind === NUMBER ? nums[num]! : null;
  }

  /** A fresh array of row `row`'s values (booleans were stored as 1/0). */
  values(row: number): (string | number | null)[] {
    const { kinds, lens, nums } = this;
    const start = this.textStart[row]!;
    // The row's text decoded once; its cells are slices of it.
    const text = this.text(start, this.textStart[row + 1]);
    const out: (string | number | null)[] = new Array(WIDTH);
    let pos = 0;
    let num = this.numStart[row]!;
    for (let j = 0, k = row * WIDTH; j < WIDTH; j++, k++) {
      const kind = kinds[k];
      if (kind === STRING) {
        const end = pos + lens[k]!;
        out[j] = text.slice(pos, end);
        pos = end;
      } else out[j] = kind === NUMBER ? nums[num++]! : null;
    }
    return out;
  }

  /**
   * Rows `from` (inclusive) to `to` (exclusive) as {@link PackedRows}: their
   * text decoded in one piece, the kinds and lengths as views of the
   * chunk's own arrays (not copies), so only for reading here and now.
   */
  view(from: number, to: number): PackedRows {
    const text = this.text(this.textStart[from], this.textStart[to]);
    return {
      width: WIDTH,
      count: to - from,
      texts: [text],
      textRows: [to - from],
      kinds: this.kinds.subarray(from * WIDTH, to * WIDTH),
      lens: this.lens.subarray(from * WIDTH, to * WIDTH),
      nums: this.nums.slice(this.numStart[from], this.numStart[to]),
    };
  }

  /**
   * Appends rows `from` (inclusive) to `to` (exclusive) to `into`: their
   * text decoded in one piece and two typed-array copies, not a cell-by-cell
   * repack.
   */
  copyRows(from: number, to: number, into: PackedRowsBuilder): void {
    const { kinds, lens, nums } = this;
    into.texts.push(this.text(this.textStart[from], this.textStart[to]));
    into.textRows.push(to - from);
    into.kinds.set(kinds.subarray(from * WIDTH, to * WIDTH), into.cells);
    into.lens.set(lens.subarray(from * WIDTH, to * WIDTH), into.cells);
    into.cells += (to - from) * WIDTH;
    for (let n = this.numStart[from]!; n < this.numStart[to]!; n++) into.nums.push(nums[n]!);
  }
}

/** A {@link PackedRows} being assembled from chunk ranges. */
interface PackedRowsBuilder {
  texts: string[];
  textRows: number[];
  kinds: Uint8Array;
  lens: Uint32Array;
  nums: number[];
  cells: number;
}

/**
 * An event row that lives in a {@link RowChunk}. Its fields are read from the
 * chunk on access; `values` is a fresh array each time.
 */
export class ChunkedEventRow implements EventRow {
  constructor(
    readonly chunk: RowChunk,
    readonly index: number,
    readonly source: string,
  ) {}

  get kind(): 'event' {
    return 'event';
  }

  get values(): ColumnValue[] {
    return this.chunk.values(this.index);
  }

  get eventId(): string {
    return this.chunk.cell(this.index, EVENT_ID) as string;
  }

  get chainId(): string | null {
    return this.chunk.cell(this.index, CHAIN_ID) as string | null;
  }

  get seq(): number | null {
    return this.chunk.cell(this.index, SEQ) as number | null;
  }

  get raw(): string {
    return this.chunk.cell(this.index, RAW) as string;
  }
}

/**
 * Runs of `rows` that are consecutive rows of one chunk, in order, as
 * [chunk, from, to]. Any other {@link EventRow} comes as a run of its own
 * in a one-row chunk made for it (`own`), which the caller releases
 * ({@link RowChunk.delivered}) once it has read it.
 */
function* chunkRuns(rows: readonly EventRow[]): Generator<[chunk: RowChunk, from: number, to: number, own: boolean]> {
  for (let i = 0; i < rows.length; ) {
    const row = rows[i]!;
    if (!(row instanceof ChunkedEventRow)) {
      yield [new RowChunk([row.values]), 0, 1, true];
      i++;
      continue;
    }
    let j = i + 1;
    for (; j < rows.length; j++) {
      const next = rows[j];
      if (!(next instanceof ChunkedEventRow) || next.chunk !== row.chunk || next.index !== row.index + (j - i)) break;
    }
    yield [row.chunk, row.index, row.index + (j - i), false];
    i = j;
  }
}

/**
 * Packs event rows for the database, in order. Runs of consecutive rows of
 * one chunk are copied as ranges ({@link RowChunk.copyRows}); any other
 * {@link EventRow} is packed from its values.
 */
export function packEventRows(rows: readonly EventRow[]): PackedRows {
  const cells = rows.length * WIDTH;
  const into: PackedRowsBuilder = { texts: [], textRows: [], kinds: new Uint8Array(cells), lens: new Uint32Array(cells), nums: [], cells: 0 };
  for (const [chunk, from, to, own] of chunkRuns(rows)) {
    chunk.copyRows(from, to, into);
    if (own) chunk.delivered();
  }
  // One text per run of rows, never joined (packed-rows.js says why).
  return { width: WIDTH, count: rows.length, texts: into.texts, textRows: into.textRows, kinds: into.kinds, lens: into.lens, nums: into.nums };
}

/**
 * Event rows as {@link PackedRows}, one per run of consecutive rows of a
 * chunk, made as they are pulled ({@link RowChunk.view}: no copy of the
 * chunk's arrays). For reading on this thread, in order, while the rows are
 * undelivered; postMessage takes {@link packEventRows} instead.
 */
export function* eventRowViews(rows: readonly EventRow[]): Generator<PackedRows> {
  for (const [chunk, from, to, own] of chunkRuns(rows)) {
    yield chunk.view(from, to);
    if (own) chunk.delivered();
  }
}
