import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { PRIVATE_FILE_MODE } from './private-files.js';
import type { SpoolPosition } from './spool.js';

/**
 * The watermark file: how far the database has everything. Not `committed`,
 * the 16-byte file of versions before the checksum: one of them run again on
 * this spool (a rollback) wrote its 16 bytes over the head of the 20 and left
 * the old checksum behind, which then read as damage (found by a review).
 */
const WATERMARK_FILE = 'watermark';
const LEGACY_WATERMARK_FILE = 'committed';

/**
 * The watermark file's bytes: segment and end (u64 BE each), then the CRC-32
 * of those 16 bytes. Without a checksum, damage to these bytes (a bit flip,
 * a sector of zeros) could name a position past records never delivered,
 * and replay skipped them as committed, silently (found by a probe).
 */
export function encodeWatermark(pos: SpoolPosition): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(BigInt(pos.seg), 0);
  b.writeBigUInt64BE(BigInt(pos.end), 8);
  b.writeUInt32BE(crc32(b.subarray(0, 16)), 16);
  return b;
}

/**
 * The position a watermark file holds, or why it is not used. A 16-byte file
 * is the form written before the checksum (2026-12-07), read as it always
 * was. Not using one only costs duplicates, which the database ignores.
 */
function readWatermark(b: Buffer): SpoolPosition | string {
  if (b.length !== 16 && b.length !== 20) return `watermark file of ${b.length} bytes (expected 20)`;
  if (b.length === 20 && b.readUInt32BE(16) !== crc32(b.subarray(0, 16))) return 'watermark checksum mismatch';
  const seg = Number(b.readBigUInt64BE(0));
  const end = Number(b.readBigUInt64BE(8));
  // Past 2^53 it was not written by release(): damaged.
  if (!Number.isSafeInteger(seg + 1) || !Number.isSafeInteger(end)) return 'watermark past 2^53';
  return { seg, end };
}

/** The spool's watermark as {@link openWatermark} found it, with the file open for `release()` to write. */
export interface OpenedWatermark {
  fd: FileHandle;
  position: SpoolPosition;
  /** Why the file found was not used (everything on disk replays, the committed part as duplicates). */
  ignored?: string;
}

/**
 * Reads the watermark of the spool in `dir` and opens its file for writing.
 *
 * The earlier versions' file (`committed`) wins whenever it exists, even
 * empty: they create it on open, and this version removes it once it has
 * taken over, so it exists only when an earlier version ran on this spool
 * since (an upgrade, or a rollback). Its position is then the one that
 * holds: an earlier version numbers its segments from 1 again once none is
 * left, so the new file, left behind by this version before the rollback,
 * names positions in segments since deleted, and records the earlier version
 * spooled at the same numbers were skipped as committed and lost (found by
 * the upgrade probe: 4 of 8 events spooled during an outage). Taken over, the
 * new file holds its position (durably) before the old one goes; a crash
 * between the two reads the old one again, to the same effect.
 */
export async function openWatermark(dir: string): Promise<OpenedWatermark> {
  const path = join(dir, WATERMARK_FILE);
  const legacyPath = join(dir, LEGACY_WATERMARK_FILE);
  const legacy = await readFile(legacyPath).catch(() => undefined);
  const bytes = legacy ?? (await readFile(path).catch(() => undefined));
  let position: SpoolPosition = { seg: 0, end: 0 };
  let ignored: string | undefined;
  if (bytes && bytes.length > 0) {
    const read = readWatermark(bytes);
    if (typeof read === 'string') ignored = read;
    else position = read;
  }
  const fd = await open(path, 'a+', PRIVATE_FILE_MODE).then(async (h) => (await h.close(), open(path, 'r+')));
  if (legacy) {
    const b = position.seg === 0 && position.end === 0 ? Buffer.alloc(0) : encodeWatermark(position);
    await fd.truncate(0);
    if (b.length > 0) await fd.write(b, 0, b.length, 0);
    await fd.sync();
    await rm(legacyPath, { force: true });
  }
  return { fd, position, ...(ignored !== undefined ? { ignored } : {}) };
}

/** Removes the watermark files of the spool in `dir` (everything in it was released). */
export async function removeWatermark(dir: string): Promise<void> {
  await rm(join(dir, WATERMARK_FILE), { force: true });
  await rm(join(dir, LEGACY_WATERMARK_FILE), { force: true });
}
