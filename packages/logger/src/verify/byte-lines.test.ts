import { describe, expect, it } from 'vitest';
import { AuditConfigError } from '../errors.js';
import { bufferLines, byteLines, type ByteLine } from './byte-lines.js';

async function collect(chunks: (Buffer | string)[], maxLineBytes?: number) {
  const out: ByteLine[] = [];
  for await (const l of byteLines((async function* () { yield* chunks; })(), maxLineBytes)) out.push(l);
  return out;
}

describe('byteLines', () => {
  it('splits on LF, drops a CR before it, keeps a last line without LF, and joins lines and characters cut across chunks', async () => {
    const text = 'a\r\nb\u00e9\u20ac\u{1f600}c\nlast';
    const bytes = Buffer.from(text, 'utf8');
    const expected = [{ text: 'a', invalidUtf8: false }, { text: 'b\u00e9\u20ac\u{1f600}c', invalidUtf8: false }, { text: 'last', invalidUtf8: false }];
    // Every way of cutting the bytes in two, inside multi-byte characters and between CR and LF included.
    for (let cut = 0; cut <= bytes.length; cut++) expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`).toEqual(expected);
    expect(await collect([...bytes].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('marks a line whose bytes are not valid UTF-8, not one holding a real U+FFFD', async () => {
    const lines = await collect([Buffer.concat([Buffer.from('ok \ufffd\nbad '), Buffer.from([0xff, 0xc3]), Buffer.from('\n\n')])]);
    expect(lines).toEqual([
      { text: 'ok \ufffd', invalidUtf8: false },
      { text: 'bad \ufffd\ufffd', invalidUtf8: true },
      { text: '', invalidUtf8: false },
    ]);
  });

  it('keeps only the first maxLineBytes of a longer line and says how long it was, whether it spans chunks or not, with or without a final LF', async () => {
    const cut = (text: string, cutFrom: number) => ({ text, invalidUtf8: false, cutFrom });
    expect(await collect(['abc', 'defghijklmnop', 'q\nxy\n0123456789\n'], 10)).toEqual([cut('abcdefghij', 17), { text: 'xy', invalidUtf8: false }, { text: '0123456789', invalidUtf8: false }]);
    expect(await collect(['0123456789AB\nok\n'], 10)).toEqual([cut('0123456789', 12), { text: 'ok', invalidUtf8: false }]);
    expect(await collect(['01234', '56789', 'ABCDE', 'FGH'], 10)).toEqual([cut('0123456789', 18)]);
    // Held back: never much more than the limit, however long the line.
    const huge = Array.from({ length: 1000 }, () => Buffer.alloc(1000, 0x61));
    const [line] = await collect([...huge, '\n'], 4096);
    expect(line).toEqual(cut('a'.repeat(4096), 1_000_000));
  });

  it('cuts a longer line of valid UTF-8 at a character boundary (up to 3 bytes before the limit), so it is not taken for invalid UTF-8', async () => {
    const cut = (text: string, cutFrom: number) => ({ text, invalidUtf8: false, cutFrom });
    // A 3-byte character at bytes 9-11 and a 4-byte one at 7-10 straddle a limit of 10: left out whole.
    expect(await collect(['aaaaaaaaa\u20acx\n'], 10)).toEqual([cut('aaaaaaaaa', 13)]);
    expect(await collect(['aaaaaaa\u{1f600}b\n'], 10)).toEqual([cut('aaaaaaa', 12)]);
    // One ending at the limit is kept.
    expect(await collect(['aaaaaa\u{1f600}b\n'], 10)).toEqual([cut('aaaaaa\u{1f600}', 11)]);
    // Every alignment of 2-, 3- and 4-byte characters against the limit, the line whole in one chunk or cut across chunks.
    for (const char of ['\u00e9', '\u20ac', '\u{1f600}']) {
      for (let pad = 0; pad < 8; pad++) {
        const text = 'a'.repeat(pad) + char.repeat(8);
        const bytes = Buffer.from(`${text}\n`);
        for (const chunks of [[bytes], [bytes.subarray(0, 5), bytes.subarray(5)], [...bytes].map((b) => Buffer.from([b]))]) {
          const [line] = await collect(chunks, 10);
          expect(line!.invalidUtf8, `${pad} + ${char}`).toBe(false);
          expect(text.startsWith(line!.text)).toBe(true);
          expect(Buffer.byteLength(line!.text)).toBeGreaterThanOrEqual(10 - (Buffer.byteLength(char) - 1));
          expect(Buffer.byteLength(line!.text)).toBeLessThanOrEqual(10);
          expect(line!.cutFrom).toBe(bytes.length - 1);
        }
        expect([...bufferLines(bytes, 10)]).toEqual(await collect([bytes], 10));
      }
    }
    // Bytes that are not UTF-8 anyway are cut at the limit, and still marked.
    const bad = await collect([Buffer.concat([Buffer.from('aaaaaaaaa'), Buffer.alloc(4, 0x80), Buffer.from('\n')])], 10);
    expect(bad).toEqual([{ text: 'aaaaaaaaa\ufffd', invalidUtf8: true, cutFrom: 13 }]);
  });

  it('refuses a maxLineBytes that is not a positive integer when called, instead of cutting every line to ""', () => {
    const source = (async function* () { yield 'abc\n'; })();
    for (const bad of [0, -1, Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => byteLines(source, bad), String(bad)).toThrowError(AuditConfigError);
      expect(() => [...bufferLines(Buffer.from('abc\n'), bad)], String(bad)).toThrowError(AuditConfigError);
    }
    expect(() => byteLines(source, 0)).toThrowError(/^maxLineBytes must be a positive integer, got 0$/);
    expect(() => byteLines(source, Number.NaN)).toThrowError(/^maxLineBytes must be a positive integer, got NaN$/);
  });
});
