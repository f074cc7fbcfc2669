// @ts-check
// Plain JavaScript: both sides of the worker hop load it (see
// adapters/sqlite/sqlite-core.js), and the sink keeps queued rows in this form
// (row-chunk.ts).
//
// Rows packed for the hop to the SQLite worker thread. A structured clone of
// an array of value arrays makes the receiving thread allocate every cell
// again (~2.6 µs per 29-column row), and that thread, the one running the
// transactions, is the sink's bottleneck. Packed, all string cells travel as
// one string and the rest as typed arrays (transferred, not copied); the
// worker takes each string cell as a slice of the big string, which V8 keeps
// as a view (no copy). Receiving side, per row: 0.45 µs against 2.8 µs
// (bench/sink-stages-cpu.ts, "receive:" lines); the sending side pays ~1 µs
// more on the main thread.

const NULL = 0;
const NUMBER = 1;
const STRING = 2;

/**
 * Packs rows of `width` cells (string, number, boolean or null; booleans
 * become 1/0, as SQLite stores them). With `starts`, also records where each
 * row (and one past the last) begins in `text` and in `nums`, for random
 * access to a row (row-chunk.ts); each array needs `rows.length + 1` slots.
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
  return { width, count: rows.length, text: parts.join(''), kinds, lens, nums };
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
  const { width, count, text, kinds, lens, nums } = p;
  /** @type {(string | number | null)[]} */
  const values = new Array(width).fill(null);
  let k = 0;
  let pos = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
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
