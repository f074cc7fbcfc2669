import { isUtf8 } from 'node:buffer';
import { bufferLines, byteLines, type ByteLine } from './byte-lines.js';
import type { VerifyRecord } from './types.js';

/**
 * Splits NDJSON into records located `name:line`; blank lines are skipped.
 * Give it the bytes as read (`readFileSync(path)`), not text: only bytes let
 * the verifier see a line that is not valid UTF-8 ({@link iterateNdjson}).
 */
export function ndjsonRecords(input: string | Uint8Array, name = '-'): VerifyRecord[] {
  return [...iterateNdjson(input, name)];
}

/**
 * Like {@link ndjsonRecords}, one record at a time: `verifyChain` then keeps
 * only a few fields per record, not every line as an object. Given bytes (a
 * file as read from disk), each line that is not valid UTF-8 is decoded with
 * U+FFFD for the bad bytes and marked `invalidUtf8`, which the verifier
 * reports: JSON text exchanged between systems must be UTF-8 (RFC 8259
 * §8.1), and an edited byte that decodes to the same replacement character
 * must not pass unseen.
 */
export function* iterateNdjson(input: string | Uint8Array, name = '-'): Generator<VerifyRecord> {
  if (typeof input !== 'string') {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    // Whole input valid (the usual case): one decode, then the text path.
    if (!isUtf8(bytes)) return yield* byteRecords(bytes, name);
    input = bytes.toString('utf8');
  }
  const text = input;
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    // A byte order mark before the first line is not part of it (as byteLines drops it).
    let line = n === 1 && text.charCodeAt(start) === 0xfeff ? text.slice(start + 1, end) : text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim()) yield { event: line, location: `${name}:${n}`, logLine: true };
    start = end + 1;
  }
}

/** Lines of bytes that are not all valid UTF-8, each checked on its own (LF is never part of a multi-byte sequence). */
function* byteRecords(bytes: Buffer, name: string): Generator<VerifyRecord> {
  let n = 0;
  for (const line of bufferLines(bytes)) {
    const r = toRecord(line, ++n, name);
    if (r) yield r;
  }
}

/** Line `n` of `name` as a record, or undefined when blank. */
function toRecord(line: ByteLine, n: number, name: string): VerifyRecord | undefined {
  // A cut line is reported whatever its start holds: 70 MB of spaces before a record hid it (found by a review).
  if (line.cutFrom !== undefined) return { event: line.text, location: `${name}:${n}`, logLine: true, lineBytes: line.cutFrom };
  if (!line.text.trim()) return undefined;
  return { event: line.text, location: `${name}:${n}`, logLine: true, ...(line.invalidUtf8 ? { invalidUtf8: true } : {}) };
}

/**
 * Records of an NDJSON stream (a file, stdin) as its chunks arrive, read as
 * {@link iterateNdjson} reads bytes ({@link byteLines}): only the line being
 * read is held, so `verifyChainStream` can check a file larger than memory.
 */
export async function* streamNdjson(source: AsyncIterable<Uint8Array | string>, name = '-'): AsyncGenerator<VerifyRecord> {
  let n = 0;
  for await (const line of byteLines(source)) {
    const r = toRecord(line, ++n, name);
    if (r) yield r;
  }
}
