import { isUtf8 } from 'node:buffer';
import { describeValue } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';

/** One line of a byte stream, decoded. */
export interface ByteLine {
  text: string;
  /** The line's bytes were not valid UTF-8: each bad sequence became U+FFFD in `text`. */
  invalidUtf8: boolean;
  /**
   * Set when the line was longer than `maxLineBytes`: its length in bytes;
   * `text` holds only its first `maxLineBytes`, fewer (up to 3) when that
   * would split a UTF-8 character.
   */
  cutFrom?: number;
}

/**
 * Longest line kept whole by default: 64 MiB, far above what an audit line
 * may be (the schema's 2 MiB, the sink's 8 Mi characters), far below V8's
 * longest string (2^29 characters), so a file without line feeds (a binary,
 * one huge JSON document) costs 64 MiB, not a crash.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * The LF-separated lines of a byte stream (NDJSON: a CR before the LF is
 * dropped), decoded as UTF-8, each marked when its bytes were not valid
 * UTF-8. readline decodes the same way but cannot tell a replaced byte from
 * a U+FFFD that was really there. A line split across chunks is kept as
 * pieces until its LF arrives, so a long line costs one copy, not one per
 * chunk. Of a line longer than `maxLineBytes` only the first `maxLineBytes`
 * are kept (the cut backed up to a character boundary), and `cutFrom` gives
 * its length. A UTF-8 byte order mark at the
 * start of the stream is dropped (RFC 8259 §8.1 lets a parser ignore it; an
 * editor or a Windows tool may add one): it is not part of the first line.
 * `maxLineBytes` must be a
 * positive integer (AuditConfigError, thrown by this call, not at the
 * first line): 0 would keep nothing of any line.
 */
export function byteLines(input: AsyncIterable<Uint8Array | string>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<ByteLine> {
  return splitStream(input, new LineSplitter(maxLineBytes));
}

async function* splitStream(input: AsyncIterable<Uint8Array | string>, lines: LineSplitter): AsyncGenerator<ByteLine> {
  for await (const c of input) yield* lines.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  yield* lines.end();
}

/** {@link byteLines} of bytes already in memory. */
export function* bufferLines(bytes: Buffer, maxLineBytes = MAX_LINE_BYTES): Generator<ByteLine> {
  const lines = new LineSplitter(maxLineBytes);
  yield* lines.push(bytes);
  yield* lines.end();
}

/** Cuts chunks of bytes into lines, holding the unfinished one (at most `max` + 1 bytes of it) between chunks. */
class LineSplitter {
  private pieces: Buffer[] = [];
  /** Bytes of the current line so far, kept or not. */
  private length = 0;
  /** No line given yet: the next one may start with a byte order mark. */
  private first = true;

  constructor(private readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new AuditConfigError(`maxLineBytes must be a positive integer, got ${describeValue(max)}`);
  }

  *push(chunk: Buffer): Generator<ByteLine> {
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
      const tail = chunk.subarray(start, lf);
      if (this.length + tail.length > this.max) {
        this.keep(tail);
        yield this.line(EMPTY);
      } else yield this.line(tail);
      start = lf + 1;
    }
    // A copy (in keep): the rest of a line must not keep its whole chunk alive.
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  *end(): Generator<ByteLine> {
    if (this.length > 0) yield this.line(EMPTY);
  }

  private line(tail: Buffer): ByteLine {
    const total = this.length + tail.length;
    const kept = this.pieces.length ? Buffer.concat([...this.pieces, tail]) : tail;
    this.pieces = [];
    this.length = 0;
    const bom = this.first && kept[0] === 0xef && kept[1] === 0xbb && kept[2] === 0xbf ? 3 : 0;
    this.first = false;
    if (total <= this.max) return decodeLine(kept.subarray(bom));
    return { ...decodeLine(kept.subarray(bom, utf8CutAt(kept, this.max, bom))), cutFrom: total - bom };
  }

  private keep(piece: Buffer): void {
    const room = this.max - this.length;
    // Up to one byte past the limit: enough to know the line was cut, never more.
    if (room >= 0) this.pieces.push(Buffer.from(piece.subarray(0, room + 1)));
    this.length += piece.length;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Where to cut `bytes` to keep at most `max` of them (not before `start`)
 * without splitting a UTF-8 character: `max`, or up to 3 bytes before it when
 * a well-formed multi-byte sequence would straddle it. Cut inside one, a line
 * of valid UTF-8 would decode with U+FFFD and be counted as invalid UTF-8.
 * Bytes that are not UTF-8 anyway are cut where they are. `bytes` holds more
 * than `max` bytes (the splitter keeps one past the limit).
 */
function utf8CutAt(bytes: Buffer, max: number, start: number): number {
  // The first byte left out is a continuation byte (10xxxxxx): look back for its lead byte.
  let lead = max;
  while (lead > start && max - lead < 3 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const b = bytes[lead]!;
  const length = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
  // The character starting at `lead` ends past the cut: leave it out whole.
  return lead < max && lead + length > max ? lead : max;
}

/** One line's bytes (without its LF) decoded, a CR at its end dropped, marked when they are not valid UTF-8. */
function decodeLine(line: Buffer): ByteLine {
  const bytes = line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
  const text = bytes.toString('utf8');
  // Only a line that shows U+FFFD can have had bad bytes: the byte check runs for those alone.
  return { text, invalidUtf8: text.includes('\uFFFD') && !isUtf8(bytes) };
}
