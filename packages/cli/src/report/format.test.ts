import { describe, expect, it } from 'vitest';
import type { Row } from '@audit-trail/ingest-sink';
import { formatCsv, formatJson, formatTable } from './format.js';

/** Rows as a reader yields them. */
async function* each(rows: readonly Row[]): AsyncGenerator<Row> {
  yield* rows;
}

/** Everything a formatter writes, as one string. */
async function text(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of chunks) out += chunk;
  return out;
}

describe('formatTable', () => {
  it('shows a 64-hex container id and an image pinned by digest whole (cut at 60, two could read the same) and cuts longer cells with an ellipsis', async () => {
    const id = 'ab'.repeat(32);
    const image = `registry.example.com/team/app@sha256:${'0'.repeat(63)}1`;
    const long = 'x'.repeat(200);
    const out = await text(formatTable(['container_id', 'image', 'command_line'], each([{ container_id: id, image, command_line: long }])));
    const [header, rule, row] = out.split('\n');
    expect(row).toContain(id);
    expect(row).toContain(image);
    expect(row).toContain(`${'x'.repeat(119)}…`);
    expect(row).not.toContain('x'.repeat(120));
    expect(rule).toBe(`${'-'.repeat(64)}  ${'-'.repeat(image.length)}  ${'-'.repeat(120)}`);
    expect(header!.startsWith('container_id')).toBe(true);
  });

  it('measures 200 000 rows (Math.max(...rows) overflowed the stack at 130 000, found by a probe)', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ user_id: `u-${i}`, client_ip: '203.0.113.7' }));
    const lines = (await text(formatTable(['user_id', 'client_ip'], each(rows)))).split('\n');
    expect(lines).toHaveLength(200_003);
    expect(lines[1]).toBe(`${'-'.repeat('u-199999'.length)}  ${'-'.repeat(11)}`);
    expect(lines[200_001]).toBe('u-199999  203.0.113.7');
  });

  it('counts and cuts characters, not UTF-16 units: a character beyond U+FFFF is one wide and never cut in half (which printed U+FFFD)', async () => {
    const emoji = '\u{1F600}';
    const out = await text(formatTable(['a', 'b'], each([{ a: `${'x'.repeat(118)}${emoji}${emoji}`, b: 'y' }, { a: `${emoji}${emoji}`, b: 'z' }])));
    const [, rule, first, second] = out.split('\n');
    expect(rule).toBe(`${'-'.repeat(120)}  -`);
    // 120 characters fit whole; the padding counts the emoji once each.
    expect(first).toBe(`${'x'.repeat(118)}${emoji}${emoji}  y`);
    expect(second).toBe(`${emoji}${emoji}${' '.repeat(118)}  z`);
    expect(out.isWellFormed()).toBe(true);
    const cut = await text(formatTable(['a'], each([{ a: `${'x'.repeat(119)}${emoji}${emoji}` }])));
    expect(cut.split('\n')[2]).toBe(`${'x'.repeat(119)}…`);
    const cutPair = await text(formatTable(['a'], each([{ a: `${'x'.repeat(118)}${emoji.repeat(3)}` }])));
    expect(cutPair.split('\n')[2]).toBe(`${'x'.repeat(118)}${emoji}…`);
    expect(cutPair.isWellFormed()).toBe(true);
  });

  it('says (no rows) under the header when empty', async () => {
    expect(await text(formatTable(['a'], each([])))).toBe('a\n-\n(no rows)\n');
  });
});

describe('user ids that differ only by invisible characters (found by a probe)', () => {
  const ids = ['admin', 'admin\u034F', 'admin\uFE0F', 'admin\u3164', 'admin\uFFA0', 'admin\u2800', 'admin\u115F', 'admin\u1160', 'admin\u200B', 'admin\\u200b', 'admin\u{E0041}', 'C:\\temp\\x1b'];

  it('read differently in the table and in CSV, and no escape can be forged with a backslash', async () => {
    const rows = ids.map((user_id) => ({ user_id }));
    const table = (await text(formatTable(['user_id'], each(rows)))).split('\n').slice(2, -1).map((l) => l.trimEnd());
    const csv = (await text(formatCsv(['user_id'], each(rows)))).split('\r\n').slice(1, -1);
    for (const shown of [table, csv]) {
      expect(shown).toEqual([
        'admin',
        'admin\\u034f',
        'admin\\ufe0f',
        'admin\\u3164',
        'admin\\uffa0',
        'admin\\u2800',
        'admin\\u115f',
        'admin\\u1160',
        'admin\\u200b',
        'admin\\\\u200b',
        'admin\\u{e0041}',
        'C:\\\\temp\\\\x1b',
      ]);
    }
  });

  it('read differently in the table when they end in spaces: `alice ` printed as `alice` and its padding, a blank id as an empty cell (found by a probe); CSV keeps them as stored', async () => {
    const rows = ['alice', 'alice ', 'alice  ', ' ', ''].map((user_id) => ({ user_id, n: 1 }));
    const table = (await text(formatTable(['user_id', 'n'], each(rows)))).split('\n').slice(2, -1);
    expect(table.map((l) => l.replace(/ +1$/, ''))).toEqual(['alice', 'alice\\x20', 'alice\\x20\\x20', '\\x20', '']);
    expect((await text(formatCsv(['user_id'], each(rows)))).split('\r\n').slice(1, -1)).toEqual(['alice', 'alice ', 'alice  ', ' ', '']);
  });

  it('read differently when they end in a space other than U+0020 (no-break, em, ideographic...), which a terminal draws as a blank: `admin\\u00a0` printed as `admin` and its padding (found by a probe)', async () => {
    const blanks = ['\u00A0', '\u1680', '\u2000', '\u2003', '\u200A', '\u202F', '\u205F', '\u3000'];
    const rows = ['admin', ...blanks.map((b) => `admin${b}`)].map((user_id) => ({ user_id }));
    const table = (await text(formatTable(['user_id'], each(rows)))).split('\n').slice(2, -1).map((l) => l.trimEnd());
    const csv = (await text(formatCsv(['user_id'], each(rows)))).split('\r\n').slice(1, -1);
    const expected = ['admin', ...blanks.map((b) => `admin\\u${b.charCodeAt(0).toString(16).padStart(4, '0')}`)];
    expect(table).toEqual(expected);
    expect(csv).toEqual(expected);
    const json = await text(formatJson(['user_id'], each(rows)));
    expect(json).not.toMatch(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/);
    expect(JSON.parse(json)).toEqual(rows);
  });

  it('never print a control character in the table', async () => {
    const all = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join('') + '\u2028\u2029';
    const out = await text(formatTable(['v'], each([{ v: all }])));
    expect(out.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });
});

describe('formatJson', () => {
  it('lays out as JSON.stringify(rows, null, 2) did, an object at a time', async () => {
    const rows = [{ a: 1, b: 'x' }, { a: 2, b: null }];
    expect(await text(formatJson(['a', 'b'], each(rows)))).toBe(`${JSON.stringify(rows, null, 2)}\n`);
    expect(await text(formatJson(['a'], each([])))).toBe('[]\n');
  });

  it('escapes bidi, format, invisible and C1 characters and U+2028/9 as \\uXXXX: nothing on screen reorders, and it parses back to the values as stored', async () => {
    const values = ['bob\u202Enimda\u202C', 'admin\u200B', 'admin\u034F', 'admin\u3164', 'admin\u2800', 'tag\u{E0041}', 'line\u2028sep\u2029', 'csi\u009B2J', 'del\u007F', 'admin\\u200b', 'plain'];
    const rows = values.map((user_id) => ({ user_id }));
    const out = await text(formatJson(['user_id'], each(rows)));
    expect(out).not.toMatch(/[\u007f-\u009f\u2028\u2029\u200B\u202C\u202E\u034F\u3164\u2800]|\u{E0041}/u);
    expect(out).toContain('"bob\\u202enimda\\u202c"');
    expect(out).toContain('"tag\\udb40\\udc41"');
    expect(out).toContain('"admin\\\\u200b"');
    expect(JSON.parse(out)).toEqual(rows);
  });
});

describe('formatCsv: cells a spreadsheet may run as a formula (OWASP "CSV Injection")', () => {
  it('get an apostrophe also after spaces (an import may trim them) and in fullwidth form; plain numbers and other text do not', async () => {
    const cells = ['=1+2', ' =1+2', '  @SUM(A1)', '\u00a0=cmd', '\u3000+cmd', '\u2003-cmd', '\uff1d1+2', '\uff0bcmd', '\uff0dcmd', '\uff20cmd', '\tx', '-5', ' -5.5', '-2+3', 'a=b', ' plain', '5-3'];
    const csv = (await text(formatCsv(['user_id'], each(cells.map((user_id) => ({ user_id })))))).split('\r\n').slice(1, -1);
    const neutral = (s: string) => `"'${s}"`;
    expect(csv).toEqual([
      neutral('=1+2'),
      neutral(' =1+2'),
      neutral('  @SUM(A1)'),
      // Spaces other than U+0020 are shown as escapes (cellText), which no spreadsheet runs.
      '\\u00a0=cmd',
      '\\u3000+cmd',
      '\\u2003-cmd',
      neutral('\uff1d1+2'),
      neutral('\uff0bcmd'),
      neutral('\uff0dcmd'),
      neutral('\uff20cmd'),
      // A tab is shown as an escape (cellText), which no spreadsheet runs.
      '\\x09x',
      '-5',
      ' -5.5',
      neutral('-2+3'),
      'a=b',
      ' plain',
      '5-3',
    ]);
  });
});
