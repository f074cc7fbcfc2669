import { MAX_TEXT_CHARS, type PackedRows } from '../../rows/packed-rows.js';

// Cell kinds of packed-rows.js.
const NUMBER = 1;
const STRING = 2;

/**
 * True when `s` holds a character COPY's text format escapes (PostgreSQL
 * docs, COPY, "Text Format"): backslash, tab, LF or CR. Four indexOf calls,
 * not one character-class regex: V8 searches a one-byte string for one
 * character with memchr. Over 1 200-character rows, 3.2-3.5 against 35 µs
 * per 60 000 characters (5.6 against 34-35 µs for text outside Latin-1):
 * bench/copy-escape-test.mjs. In the sink, process CPU per row fell from
 * 12.5 to 11.6 µs (medians of 10 alternating PostgreSQL rounds, lower in 9);
 * rows/s stayed within noise (77.6k against 77.2k).
 */
function needsEscape(s: string): boolean {
  return s.indexOf('\\') >= 0 || s.indexOf('\t') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
}

/** `s` with backslash, tab, LF and CR escaped for COPY text. */
function escapeCopy(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * Rows in COPY text format (PostgreSQL docs, COPY, "Text Format"), as pieces
 * of whole lines, each kept under {@link MAX_TEXT_CHARS} (a longer line is a
 * piece of its own), so that no piece is allocated in V8's large-object space
 * (rows/packed-rows.js says what that costs); one string for a 5 000-row
 * round was ~5 MB, twice (the final newline copied it), on the thread that
 * acks. Generated as the COPY stream pulls them (with a one-piece
 * read-ahead), not all up front: a round's pieces alive for the whole COPY
 * were copied by every scavenge meanwhile. Lazily, the sink's main-thread
 * scavenges fell from 117-149 to 87-103 ms per 100 000 events and its rows/s
 * rose 5.3% (geometric mean of 6 alternating runs, `bench/sink.ts`'s
 * PostgreSQL sink round on its own).
 *
 * Each line is built from the row's part of its packed text (a row chunk's
 * range, row-chunk.ts `eventRowViews`): one test per row for characters to
 * escape, not one per cell, and each string cell a slice, which V8 keeps as
 * a view. Against the per-value path it replaced (each row's values
 * decoded into an array, each value tested and escaped on its own): 74.7k
 * against 71.7k rows/s, medians of 10 alternating rounds, the new path
 * ahead in 7 and using less CPU per row in 9 (11.7-15.0 against
 * 12.1-17.6 µs). Numbers are written as JavaScript prints them, booleans
 * were packed as 1/0 (PostgreSQL's boolean input takes both), null is `\N`.
 * bench/sink.ts's COPY ceiling sends its pre-built rows through this too.
 */
export function* copyPieces(runs: Iterable<PackedRows>): Generator<string> {
  let lines: string[] = [];
  let chars = 0;
  for (const { width, count, texts, textRows, kinds, lens, nums } of runs) {
    const cells: string[] = new Array(width);
    let k = 0;
    let n = 0;
    let i = 0;
    for (let t = 0; t < texts.length; t++) {
      const text = texts[t]!;
      let pos = 0;
      for (const last = Math.min(count, i + textRows[t]!); i < last; i++) {
        let end = pos;
        for (let j = 0; j < width; j++) if (kinds[k + j] === STRING) end += lens[k + j]!;
        const escape = needsEscape(text.slice(pos, end));
        for (let j = 0; j < width; j++, k++) {
          const kind = kinds[k];
          if (kind === STRING) {
            const cellEnd = pos + lens[k]!;
            const s = text.slice(pos, cellEnd);
            cells[j] = escape ? escapeCopy(s) : s;
            pos = cellEnd;
          } else cells[j] = kind === NUMBER ? String(nums[n++]) : '\\N';
        }
        const line = cells.join('\t');
        if (chars + line.length + 1 > MAX_TEXT_CHARS && lines.length > 0) {
          lines.push('');
          yield lines.join('\n');
          lines = [];
          chars = 0;
        }
        lines.push(line);
        chars += line.length + 1;
      }
    }
    if (i !== count) throw new RangeError(`copyPieces: the texts cover ${i} of ${count} rows`);
  }
  if (lines.length > 0) {
    lines.push('');
    yield lines.join('\n');
  }
}
