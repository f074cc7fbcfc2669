import { once } from 'node:events';

/** Characters gathered into one write, rather than one write per row. */
const WRITE_CHARS = 64 * 1024;

/**
 * Writes `chunks` to `out` as they come, gathered into writes of about
 * 64 KiB, and waits for 'drain' whenever `out` says its buffer is full, so a
 * report of any size holds in memory only what its reader has not taken
 * yet. Rejects when `out` fails: a `| head` that has read enough makes that
 * EPIPE, which bin.ts ends with status 141, and stopping the iteration
 * closes the query's cursor.
 */
export async function writeChunks(out: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  let pending = '';
  for await (const chunk of chunks) {
    pending += chunk;
    if (pending.length < WRITE_CHARS) continue;
    // once() rejects if 'error' comes first.
    if (!out.write(pending)) await once(out, 'drain');
    pending = '';
  }
  if (pending && !out.write(pending)) await once(out, 'drain');
}
