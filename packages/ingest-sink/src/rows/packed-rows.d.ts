/** Rows of `width` cells packed for a structured-clone hop: string cells concatenated, kinds and lengths in typed arrays. */
export interface PackedRows {
  width: number;
  count: number;
  /** Every string cell, concatenated in row order. */
  text: string;
  /** Per cell: 0 null, 1 number (next of `nums`), 2 string (next `lens` characters of `text`). */
  kinds: Uint8Array;
  lens: Uint32Array;
  nums: number[];
}

/**
 * Packs rows of `width` cells (booleans become 1/0). Throws a TypeError for a row of another width.
 * With `starts` (arrays of `rows.length + 1`), records where each row begins in `text` and in `nums`.
 */
export function packRows(rows: readonly (readonly (string | number | boolean | null)[])[], width: number, starts?: { text: Uint32Array; num: Uint32Array }): PackedRows;

/** The buffers postMessage may transfer instead of copying. */
export function transferables(p: PackedRows): ArrayBuffer[];

/** Calls `fn` with each row's values in order; the values array is reused between calls. */
export function forEachRow(p: PackedRows, fn: (values: (string | number | null)[], index: number) => void): void;
