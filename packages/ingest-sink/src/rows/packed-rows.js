// @ts-check
// Plain JavaScript: both sides of the worker hop load it (see
// adapters/sqlite/sqlite-core.js), and the sink packs its queued rows with it
// (row-chunk.ts, which then keeps their text outside the V8 heap).
//
// Rows packed for the hop to the SQLite worker thread. A structured clone of
// an array of value arrays makes the receiving thread allocate every cell
// again (~2.6 µs per 29-column row), and that thread, the one running the
// transactions, is the sink's bottleneck. Packed, the string cells travel as
// a few long strings ("texts") and the rest as typed arrays (transferred, not
// copied); the worker takes each string cell as a slice of its text, which V8
// keeps as a view (no copy). Receiving side, per row: 0.45 µs against 2.8 µs
// (bench/sink-stages-cpu.ts, "receive:" lines).
//
// Why several texts and not one: a string over V8's largest regular object
// (kMaxRegularHeapObjectSize, 128 KiB) is allocated in large-object space,
// pages mapped for it alone. Joining 1 000 audit rows (~870 KB) that way
// cost 3-5 ns per character here against ~0.1 ns for joins under 128 KiB
// (bench/join-cliff.mjs): most of the main thread's packing time (packRows,
// 725 -> 102 ms of CPU per 200 000 events in a receiver profile), and the
// worker paid it again to receive the batch. So a row chunk keeps its text
// under MAX_TEXT_CHARS and a batch for the worker is a list of texts, one per
// run of rows of a chunk, never joined.

const NULL = 0;
const NUMBER = 1;
const STRING = 2;

/**
 * Characters a packed text is kept under: V8 stores a string of more than
 * 128 KiB in large-object space (see above); 60 000 two-byte characters
 * (text outside Latin-1) still fit under that.
 */
export const MAX_TEXT_CHARS = 60_000;

/**
 * Packs rows of `width` cells (string, number, boolean or null; booleans
 * become 1/0, as SQLite stores them) with their string cells in one text;
 * keeping that text under {@link MAX_TEXT_CHARS} is the caller's choice of
 * rows. With `starts`, also records where each row (and one past the last)
 * begins in the text and in `nums`, for random access to a row
 * (row-chunk.ts); each array needs `rows.length + 1` slots.
 * @param {readonly (readonly (string | number | boolean | null)[])[]} rows
 * @param {number} width
 * @param {{ text: Uint32Array; num: Uint32Array }} [starts]
 * @returns {import('./packed-rows.js').PackedRows}
 */
export function packRows(rows, width, starts) {
  const cells = rows.length * width;
  const kinds = new Uint8Array(cells);
  const lens = new Uint32Array(cells);
  /** @type {number[]} */
  const nums = [];
  /** @type {string[]} */
  const parts = [];
  let k = 0;
  let r = 0;
  let pos = 0;
  for (const row of rows) {
    if (row.length !== width) throw new TypeError(`packRows: a row has ${row.length} cells, expected ${width}`);
    if (starts) {
      starts.text[r] = pos;
      starts.num[r] = nums.length;
    }
    r++;
    for (let j = 0; j < width; j++, k++) {
      const v = row[j];
      if (v === null || v === undefined) kinds[k] = NULL;
      else if (typeof v === 'string') {
        kinds[k] = STRING;
        lens[k] = v.length;
        pos += v.length;
        parts.push(v);
      } else {
        kinds[k] = NUMBER;
        nums.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
      }
    }
  }
  if (starts) {
    starts.text[r] = pos;
    starts.num[r] = nums.length;
  }
  return { width, count: rows.length, texts: [parts.join('')], textRows: [rows.length], kinds, lens, nums };
}

/**
 * The buffers `postMessage` may transfer instead of copying (the packed rows
 * are unusable on the sending side afterwards).
 * @param {import('./packed-rows.js').PackedRows} p
 * @returns {ArrayBuffer[]}
 */
export function transferables(p) {
  return [/** @type {ArrayBuffer} */ (p.kinds.buffer), /** @type {ArrayBuffer} */ (p.lens.buffer)];
}

/**
 * Calls `fn` with each row's values, in order. The values array is reused
 * from row to row: copy it to keep it past the call.
 * @param {import('./packed-rows.js').PackedRows} p
 * @param {(values: (string | number | null)[], index: number) => void} fn
 */
export function forEachRow(p, fn) {
  const { width, count, texts, textRows, kinds, lens, nums } = p;
  /** @type {(string | number | null)[]} */
  const values = new Array(width).fill(null);
  let k = 0;
  let n = 0;
  let i = 0;
  for (let t = 0; t < texts.length; t++) {
    const text = /** @type {string} */ (texts[t]);
    let pos = 0;
    for (const last = Math.min(count, i + /** @type {number} */ (textRows[t])); i < last; i++) {
      for (let j = 0; j < width; j++, k++) {
        const kind = kinds[k];
        if (kind === STRING) {
          const end = pos + /** @type {number} */ (lens[k]);
          values[j] = text.slice(pos, end);
          pos = end;
        } else values[j] = kind === NUMBER ? /** @type {number} */ (nums[n++]) : null;
      }
      fn(values, i);
    }
  }
  if (i !== count) throw new RangeError(`forEachRow: the texts cover ${i} of ${count} rows`);
}
