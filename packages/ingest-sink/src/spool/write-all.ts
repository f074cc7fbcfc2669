import type { FileHandle } from 'node:fs/promises';

/**
 * Writes `buffers` (`total` bytes) at the end of `fd`, or throws. libuv
 * returns a short count, not an error, when a write of its loop fails after
 * an earlier one wrote something (uv__fs_write_all): a disk that fills up
 * mid-append would pass for a complete append. The rest is written again,
 * which either completes it or fails with the system's reason (ENOSPC,
 * EFBIG, EIO).
 */
export async function writeAll(fd: FileHandle, buffers: Buffer[], total: number): Promise<void> {
  let written = (await fd.writev(buffers)).bytesWritten;
  while (written < total) {
    const rest: Buffer[] = [];
    let skip = written;
    for (const b of buffers) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    const n = (await fd.writev(rest)).bytesWritten;
    if (n === 0) throw new Error(`short write: ${written} of ${total} bytes written`);
    written += n;
  }
}
