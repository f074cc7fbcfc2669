import { lineTooLongReason } from '../sink/prepare.js';
import type { LineItem } from '../sink/types.js';
import { decodePayload, frameAt, payloadHeaderFits, type SpoolEntry } from './record.js';

/** A record found intact in damaged spool bytes, with the offset of its frame in them. */
export interface SalvagedRecord {
  offset: number;
  entry: SpoolEntry;
}

/** What {@link salvageFrames} found in a run of damaged spool bytes. */
export interface SalvageResult {
  records: SalvagedRecord[];
  /** Byte ranges `[from, to)` that held no intact record (the damage itself). */
  unreadable: { from: number; to: number }[];
}

/**
 * The intact record at `off`, if one starts there: a frame (record.ts) whose
 * payload header fits its length (a cheap check that keeps the CRC off
 * nearly every offset of random bytes), whose CRC-32 matches, and whose
 * payload decodes.
 */
function intactAt(buf: Buffer, off: number): { end: number; entry: SpoolEntry } | undefined {
  const f = frameAt(buf, off, payloadHeaderFits);
  if ('bad' in f) return undefined;
  try {
    return { end: f.end, entry: decodePayload(f.payload) };
  } catch {
    return undefined;
  }
}

/**
 * Finds the intact records in spool bytes that failed their checksum (a
 * file of `quarantine/`, in the spool's framing, record.ts). The spool
 * itself never does this: nothing after a bad record is trusted there,
 * since its length field may be the damaged part. An operator may: each
 * record found here carries its own CRC-32 over a payload that must also
 * decode, and a sink validates it again before storing it. From the first
 * byte, frame by frame; at a byte where no intact frame starts, it moves on
 * one byte at a time until one does (resynchronisation), and reports the
 * bytes passed over as unreadable.
 */
export function salvageFrames(buf: Buffer): SalvageResult {
  const records: SalvagedRecord[] = [];
  const unreadable: SalvageResult['unreadable'] = [];
  let gapFrom: number | undefined;
  let off = 0;
  while (off < buf.length) {
    const frame = intactAt(buf, off);
    if (!frame) {
      gapFrom ??= off;
      off++;
      continue;
    }
    if (gapFrom !== undefined) unreadable.push({ from: gapFrom, to: off });
    gapFrom = undefined;
    records.push({ offset: off, entry: frame.entry });
    off = frame.end;
  }
  if (gapFrom !== undefined) unreadable.push({ from: gapFrom, to: buf.length });
  return { records, unreadable };
}

/**
 * A salvaged entry as a `write()` item that a sink spools back into the
 * same entry: its line, transport meta, source and reject reason (a line
 * that was cut for length keeps its `LINE_TOO_LONG` reason).
 */
export function salvagedItem(entry: SpoolEntry, defaultSource: string): LineItem {
  const reject = entry.overLong !== undefined ? lineTooLongReason(entry.overLong) : entry.reject;
  return {
    line: entry.line,
    source: entry.source ?? defaultSource,
    ...(entry.meta ? { meta: entry.meta } : {}),
    ...(reject !== undefined ? { reject } : {}),
  };
}
