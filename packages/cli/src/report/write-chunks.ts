import { once } from 'node:events';

/** Characters gathered into one write, rather than one write per row. */
const WRITE_CHARS = 64 * 1024;

/**
 * Writes `chunks` to `out` as they come, gathered into writes of about
 * 64 KiB, and waits for 'drain' whenever `out` says its buffer is full, so a
 * report of any size holds in memory only what its reader has not taken
 * yet. Rejects when `out` fails: a `| head` that has read enough makes that
 * EPIPE, which bin.ts ends with status 141, and stopping the iteration
 * closes the query's cursor. When `chunks` fails (a connection lost after
 * the first rows), what it gave before is written first, then it rejects
 * with that error: those rows were read, and the message that the output is
 * incomplete counts them.
 */
export async function writeChunks(out: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  // Emptied before every wait on `out`: text left here when an error comes was given by `chunks`, never refused by `out`.
  let pending = '';
  try {
    for await (const chunk of chunks) {
      pending += chunk;
      if (pending.length < WRITE_CHARS) continue;
      const full = !out.write(pending);
      pending = '';
      // once() rejects if 'error' comes first.
      if (full) await once(out, 'drain');
    }
  } catch (err) {
    // Held back, up to 64 KiB of rows already read were lost: 892 of 1000 reached a CSV whose message said 1000 were read (found by a probe).
    if (pending && out.writable && !out.write(pending)) await once(out, 'drain').catch(() => undefined);
    throw err;
  }
  if (pending && !out.write(pending)) await once(out, 'drain');
}
