import { isUtf8 } from 'node:buffer';

/** One line of a byte stream, decoded. */
export interface ByteLine {
  text: string;
  /** The line's bytes were not valid UTF-8: each bad sequence became U+FFFD in `text`. */
  invalidUtf8: boolean;
}

/**
 * The LF-separated lines of a byte stream (NDJSON: a CR before the LF is
 * dropped), decoded as UTF-8, each marked when its bytes were not valid
 * UTF-8. readline decodes the same way but cannot tell a replaced byte from
 * a U+FFFD that was really there. A line split across chunks is kept as
 * pieces until its LF arrives, so a long line costs one copy, not one per
 * chunk.
 */
export async function* byteLines(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<ByteLine> {
  let pieces: Buffer[] = [];
  for await (const c of input) {
    const chunk = typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
      const tail = chunk.subarray(start, lf);
      const bytes = pieces.length ? Buffer.concat([...pieces, tail]) : tail;
      pieces = [];
      yield decodeLine(bytes);
      start = lf + 1;
    }
    // A copy: the rest of a line must not keep its whole chunk alive.
    if (start < chunk.length) pieces.push(Buffer.from(chunk.subarray(start)));
  }
  if (pieces.length) yield decodeLine(Buffer.concat(pieces));
}

/** One line's bytes (without its LF) decoded, a CR at its end dropped, marked when they are not valid UTF-8. */
export function decodeLine(line: Buffer): ByteLine {
  const bytes = line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
  const text = bytes.toString('utf8');
  // Only a line that shows U+FFFD can have had bad bytes: the byte check runs for those alone.
  return { text, invalidUtf8: text.includes('\uFFFD') && !isUtf8(bytes) };
}
