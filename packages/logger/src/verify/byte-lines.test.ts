import { describe, expect, it } from 'vitest';
import { byteLines } from './byte-lines.js';

async function collect(chunks: (Buffer | string)[]) {
  const out = [];
  for await (const l of byteLines((async function* () { yield* chunks; })())) out.push(l);
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
});
