import { crc32 } from 'node:zlib';
import { scanSegment, type SegmentScan } from './record.js';

/**
 * A byte range of a segment that was found damaged when read back, copied to
 * `quarantine/` and is to be passed over from then on. Both ends are record
 * boundaries the spool knew before the damage: `from` is where the last
 * verified record ended, `to` a position an append resolved at (or the
 * segment's good end), so the records after `to` are still read, never
 * guessed at.
 */
export interface Hole {
  from: number;
  to: number;
}

/** The side file of segment file `segFile` that lists its holes, one `from to crc` line each. */
export const holesName = (segFile: string): string => `${segFile}.holes`;

/** The CRC-32 (hex) of a hole's `from to`. */
const holeCrc = (range: string): string => crc32(range).toString(16).padStart(8, '0');

/**
 * One line of a holes file: `from to crc`, the CRC-32 of `from to`. Without
 * it a damaged digit could widen a hole over good records, which replay then
 * passed over without a word (found by a probe).
 */
export const formatHole = (h: Hole): string => `${h.from} ${h.to} ${holeCrc(`${h.from} ${h.to}`)}\n`;

/**
 * Reads a holes file. Only complete lines count, and only those whose
 * checksum holds (a crash mid-append leaves at most a partial last line;
 * damage, a line that fails its checksum: either is ignored, and that hole
 * is then found again as damage). A line without a checksum is the form
 * written before it (2026-12-07), read as it was. Holes come back sorted;
 * one that overlaps an earlier one is dropped.
 */
export function parseHoles(text: string): Hole[] {
  const found: Hole[] = [];
  for (const m of text.matchAll(/^(\d{1,15}) (\d{1,15})(?: ([0-9a-f]{8}))?\n/gm)) {
    if (m[3] !== undefined && m[3] !== holeCrc(`${m[1]} ${m[2]}`)) continue;
    const from = Number(m[1]);
    const to = Number(m[2]);
    if (to > from) found.push({ from, to });
  }
  found.sort((a, b) => a.from - b.from);
  const holes: Hole[] = [];
  for (const h of found) if (holes.length === 0 || h.from >= holes.at(-1)!.to) holes.push(h);
  return holes;
}

/**
 * {@link scanSegment} over the parts of `buf` between its holes: the records
 * of each part, with offsets into `buf`, up to the first bad frame outside a
 * hole (`badAt`). A part must end exactly at its hole, since holes start at
 * record boundaries. Holes past the end of `buf` (a segment cut shorter
 * after they were recorded) are ignored.
 */
export function scanAround(buf: Buffer, holes: readonly Hole[]): SegmentScan {
  const records: SegmentScan['records'] = [];
  let start = 0;
  for (const h of [...holes.filter((x) => x.from < buf.length), { from: buf.length, to: buf.length }]) {
    const part = scanSegment(buf.subarray(start, h.from));
    for (const r of part.records) records.push({ ...r, end: start + r.end });
    if (part.badAt !== undefined) return { records, badAt: start + part.badAt, badReason: part.badReason! };
    start = Math.min(h.to, buf.length);
  }
  return { records };
}
