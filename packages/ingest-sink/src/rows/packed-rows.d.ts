/** Rows of `width` cells packed for a structured-clone hop: string cells concatenated into a few texts, kinds and lengths in typed arrays. */
export interface PackedRows {
  width: number;
  count: number;
  /** The string cells, concatenated in row order: `texts[t]` holds those of the next `textRows[t]` rows. */
  texts: string[];
  textRows: number[];
  /** Per cell: 0 null, 1 number (next of `nums`), 2 string (next `lens` characters of the row's text). */
  kinds: Uint8Array;
  lens: Uint32Array;
  nums: number[];
}

/** Characters a packed text is kept under (V8 puts longer strings in large-object space). */
export const MAX_TEXT_CHARS: number;

/**
 * Packs rows of `width` cells, string cells into one text (booleans become 1/0). Throws a TypeError for a row of another width.
 * With `starts` (arrays of `rows.length + 1`), records where each row begins in that text and in `nums`.
 */
export function packRows(rows: readonly (readonly (string | number | boolean | null)[])[], width: number, starts?: { text: Uint32Array; num: Uint32Array }): PackedRows;

/** The buffers postMessage may transfer instead of copying. */
export function transferables(p: PackedRows): ArrayBuffer[];

/** Calls `fn` with each row's values in order; the values array is reused between calls. */
export function forEachRow(p: PackedRows, fn: (values: (string | number | null)[], index: number) => void): void;
