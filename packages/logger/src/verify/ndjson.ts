import { createInterface } from 'node:readline';
import type { VerifyRecord } from './types.js';

/** Splits NDJSON text into records located `name:line`; blank lines are skipped. */
export function ndjsonRecords(text: string, name = '-'): VerifyRecord[] {
  return [...iterateNdjson(text, name)];
}

/**
 * Like {@link ndjsonRecords}, one record at a time: `verifyChain` then keeps
 * only a few fields per record, not every line as an object.
 */
export function* iterateNdjson(text: string, name = '-'): Generator<VerifyRecord> {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim()) yield { event: line, location: `${name}:${n}` };
    start = end + 1;
  }
}

/** Reads NDJSON records from a stream (a file or stdin), one object per non-blank line. */
export async function readNdjson(stream: NodeJS.ReadableStream, name: string): Promise<VerifyRecord[]> {
  const out: VerifyRecord[] = [];
  let n = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    n++;
    if (line.trim()) out.push({ event: line, location: `${name}:${n}` });
  }
  return out;
}

/** The whole text of a stream (stdin), decoded as UTF-8. */
export async function readText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
