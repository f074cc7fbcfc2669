import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { makeEvents } from '../../ingest-sink/test/helpers/events.js';
import { tempDir } from '../../ingest-sink/test/helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-cli-')));
afterEach(() => cleanup());

/** What ingest reads: the files it refuses before opening anything, and lines it stores as they are (with their reason) rather than drop. */
describe('audit-trail ingest: its input', () => {
  it('drops a byte order mark before the first line', async () => {
    const [a, b] = makeEvents(2);
    const file = join(dir, 'bom.ndjson');
    writeFileSync(file, `\ufeff${JSON.stringify(a)}\n${JSON.stringify(b)}\n`);
    const r = await runCli(['ingest', '--db', `sqlite:${join(dir, 'b.db')}`, file]);
    expect(r.out).toContain('read 2, committed 2, duplicates 0, rejected 0');
    expect(r.code).toBe(0);
  });

  it('skips only lines of JSON whitespace (space, tab, CR): a line of U+2028, of U+FEFF past the start, or of VT and FF is stored as a reject with its reason, not dropped', async () => {
    const [a, b] = makeEvents(2);
    const file = join(dir, 'blank.ndjson');
    const odd = ['\u2028', '\ufeff', '\x0b\x0c'];
    writeFileSync(file, [JSON.stringify(a), odd[0], ' \t ', JSON.stringify(b), odd[1], '', odd[2], '\t\r'].join('\n') + '\n');
    const db = join(dir, 'blank.db');
    const r = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(r).toMatchObject({ code: 0, out: `sqlite:${db}: read 5, committed 2, duplicates 0, rejected 3\n` });
    const d = new Database(db, { readonly: true });
    const rejects = d.prepare('SELECT raw_payload, reason FROM security_audit_rejects ORDER BY id').all() as { raw_payload: string; reason: string }[];
    d.close();
    expect(rejects.map((x) => x.raw_payload)).toEqual(odd);
    for (const x of rejects) expect(x.reason).toContain('not valid JSON');
  });

  it('stores a line longer than the reader keeps (a file without line feeds, 65 MiB) as a LINE_TOO_LONG reject naming its length, and reads on', async () => {
    const [a, b] = makeEvents(2);
    const file = join(dir, 'long.ndjson');
    const long = Buffer.alloc(65 * 1024 * 1024, 0x78);
    writeFileSync(file, Buffer.concat([Buffer.from(`${JSON.stringify(a)}\n`), long, Buffer.from(`\n${JSON.stringify(b)}\n`)]));
    const db = join(dir, 'l.db');
    const r = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(r.out).toContain('read 3, committed 2, duplicates 0, rejected 1');
    const d = new Database(db, { readonly: true });
    const rej = d.prepare('SELECT reason, length(raw_payload) AS n FROM security_audit_rejects').all() as { reason: string; n: number }[];
    d.close();
    expect(rej).toEqual([{ reason: `LINE_TOO_LONG: line of ${long.length} bytes exceeds the reader's limit of ${64 * 1024 * 1024}; its first 1048576 characters are kept`, n: 1048576 }]);
  }, 60_000);

  it('counts lines that are not valid UTF-8 and says so, storing them with U+FFFD for the bad bytes', async () => {
    const [a, b, c] = makeEvents(3);
    const bad = Buffer.from(JSON.stringify({ ...b, error: { code: 'E', message: 'raw XX byte' } }), 'utf8');
    const at = bad.indexOf('XX');
    bad[at] = 0xff; // one invalid byte, then a lone continuation byte
    bad[at + 1] = 0x80;
    const file = join(dir, 'utf8.ndjson');
    writeFileSync(file, Buffer.concat([Buffer.from(`${JSON.stringify(a)}\n`), bad, Buffer.from(`\n${JSON.stringify({ ...c, error: { code: 'E', message: 'real \ufffd' } })}\n`)]));
    const db = join(dir, 'u.db');
    const r = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('read 3, committed 3, duplicates 0, rejected 0, invalid UTF-8 1\n');
    expect(r.err).toContain('1 line was not valid UTF-8');
    const d = new Database(db, { readonly: true });
    const row = d.prepare('SELECT event_json FROM security_audit_events WHERE event_id = ?').get(b!.event_id) as { event_json: string };
    expect(JSON.parse(row.event_json).error.message).toBe('raw \ufffd\ufffd byte');
    d.close();
  });

  it('counts lines holding a NUL byte and says so: stored as a reject with U+FFFD in its place, which text columns need, and not silently', async () => {
    // A raw NUL is never valid JSON, so such a line is a reject. Its stored
    // raw_payload reads exactly as a line holding a real U+FFFD: the summary
    // and stderr say that the bytes were changed.
    const file = join(dir, 'nul.ndjson');
    writeFileSync(file, `${JSON.stringify(makeEvents(1)[0])}\n{"user_id":"a\0b"}\nplain X\0Y\n`);
    const db = join(dir, 'nul.db');
    const r = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('read 3, committed 1, duplicates 0, rejected 2, NUL bytes 2\n');
    expect(r.err).toBe('audit-trail ingest: 2 lines held NUL bytes, which database text cannot hold; each NUL was stored as U+FFFD\n');
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT raw_payload FROM security_audit_rejects ORDER BY id').all()).toEqual([{ raw_payload: '{"user_id":"a\ufffdb"}' }, { raw_payload: 'plain X\ufffdY' }]);
    d.close();
  });

  it('refuses a compressed file (gzip, zstd, xz, bzip2) with exit 2 before anything is opened, saying how to read it: it was stored as binary rejects with exit 0 (found by a probe)', async () => {
    const lines = `${JSON.stringify(makeEvents(1)[0])}\n`;
    const db = join(dir, 'compressed.db');
    const cases: [string, Buffer, string][] = [
      ['audit.ndjson.gz', gzipSync(lines), 'gzip'],
      ['audit.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0]), 'zstd'],
      ['audit.xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]), 'xz'],
      ['audit.bz2', Buffer.from('BZh91AY&SY'), 'bzip2'],
    ];
    for (const [name, bytes, kind] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
      expect(r, name).toEqual({ code: 2, out: '', err: `audit-trail ingest: ${file} is ${kind}-compressed: decompress it first, e.g. \`${kind === 'gzip' ? 'zcat' : kind === 'zstd' ? 'zstdcat' : kind === 'xz' ? 'xzcat' : 'bzcat'} ${file} | audit-trail ingest -\`\nRun "audit-trail ingest --help" for usage.\n` });
    }
    expect(existsSync(db)).toBe(false);
    // On stdin (or a pipe), which cannot be looked at first: a read error, exit 1, nothing stored.
    for (const chunks of [[gzipSync(lines)], [Buffer.from([0x1f]), Buffer.from([0x8b, 0x08, 0, 0])]]) {
      const piped = await runCli(['ingest', '--db', `sqlite:${db}`, '-'], { stdin: Readable.from(chunks) });
      expect(piped.code).toBe(1);
      expect(piped.out).toBe(`sqlite:${db}: read 0, committed 0, duplicates 0, rejected 0\n`);
      expect(piped.err).toBe('audit-trail ingest: cannot read stdin: it is gzip-compressed: decompress it first, e.g. `zcat FILE | audit-trail ingest -` (ECOMPRESSED); stopped reading there: the lines read before it were written (the summary above), the rest of the input was not read\n');
    }
    // A file that only starts like one (a text line) is read as usual.
    const text = join(dir, 'BZh.ndjson');
    writeFileSync(text, `BZh is not an event\n${lines}`);
    expect((await runCli(['ingest', '--db', `sqlite:${db}`, text])).code).toBe(0);
    // And a short stdin, shorter than any magic, is read too.
    expect(await runCli(['ingest', '--db', `sqlite:${db}`, '-'], { stdin: Readable.from([Buffer.from('{}')]) })).toMatchObject({ code: 0, out: expect.stringContaining('read 1, committed 0, duplicates 0, rejected 1') });
  });

  it('names a file it cannot read and says what is wrong in words (a directory, a missing file), before anything is opened or written: exit 2', async () => {
    const good = join(dir, 'good.ndjson');
    writeFileSync(good, `${JSON.stringify(makeEvents(1)[0])}\n`);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const db = join(dir, 'files.db');
    const isDir = await runCli(['ingest', '--db', `sqlite:${db}`, good, `${logs}/`]);
    expect(isDir).toEqual({ code: 2, out: '', err: `audit-trail ingest: cannot read ${logs}/: is a directory (EISDIR)\nRun "audit-trail ingest --help" for usage.\n` });
    const missing = await runCli(['ingest', '--db', `sqlite:${db}`, good, join(dir, 'missing.ndjson')]);
    expect(missing).toEqual({ code: 2, out: '', err: `audit-trail ingest: cannot read ${join(dir, 'missing.ndjson')}: no such file or directory (ENOENT)\nRun "audit-trail ingest --help" for usage.\n` });
    // Checked first: the good file before them was not loaded, no database created.
    expect(existsSync(db)).toBe(false);
  });

  it('a file that fails to read partway (EIO) stops the reading there: what was read before is delivered and summed up, then the error is named; exit 1', async () => {
    const good = join(dir, 'good.ndjson');
    writeFileSync(good, `${makeEvents(100).map((e) => JSON.stringify(e)).join('\n')}\n`);
    const db = join(dir, 'eio.db');
    // Readable (access, stat pass), but reading its offset 0 fails with EIO: it was thrown before the summary, hiding the 100 events committed.
    const r = await runCli(['ingest', '--db', `sqlite:${db}`, good, '/proc/self/mem']);
    expect(r).toEqual({
      code: 1,
      out: `sqlite:${db}: read 100, committed 100, duplicates 0, rejected 0\n`,
      err: 'audit-trail ingest: cannot read /proc/self/mem: input/output error (EIO); stopped reading there: the lines read before it were written (the summary above), the rest of the input was not read\n',
    });
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 100 });
    d.close();
  });
});
