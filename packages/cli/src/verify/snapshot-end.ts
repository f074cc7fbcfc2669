import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes read at a time while looking back for the last line feed. */
const CHUNK = 64 * 1024;

/** How long a file whose last line has no line feed is watched for a writer finishing it. */
export const SETTLE_MS = 50;

/**
 * Where `verify` stops reading a regular file of `size` bytes (its size
 * when opened), so that both of its reads see the same lines while a
 * producer appends (a live log takes a checkpoint at least every minute:
 * a second read that saw it failed the run with "the input changed
 * between the two reads"). At `size` when the file ends in a line feed.
 * Otherwise its last line may be a write still in progress (a write's
 * bytes appear page by page, and a non-blocking destination writes many
 * lines at once; found by a review): if the file grows while `settle()`
 * waits, the read stops after the last complete line and the rest is left
 * for the next run; if not, the file simply ends without a line feed and
 * is read whole, as before.
 */
export async function snapshotEnd(handle: FileHandle, size: number, settle: () => Promise<unknown> = () => sleep(SETTLE_MS)): Promise<number> {
  if (size === 0) return 0;
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, size));
  let lastLf = -1;
  for (let end = size; end > 0 && lastLf < 0; ) {
    const start = Math.max(0, end - buf.length);
    const { bytesRead } = await handle.read(buf, 0, end - start, start);
    const at = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) lastLf = start + at;
    end = start;
  }
  if (lastLf === size - 1) return size;
  await settle();
  return (await handle.stat()).size > size ? lastLf + 1 : size;
}
