import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../spool/record.js';
import { PartialJournal, RECENT_STORED_LINES, type PartialPiece } from './partial-journal.js';

const dirs: string[] = [];
function journalPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'at-journal-'));
  dirs.push(dir);
  return join(dir, 'spool', 'partial-lines.journal');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const meta = { source_tag: 'swarm.audit.n1.api.t1', container_name: 'api.1.x' };
function piece(key: string, ordinal: number, bytes: Buffer | string, last = false): PartialPiece {
  return { key, ordinal, last, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8'), meta, source: 'forward:10.0.0.7' };
}

// Hostile bytes: newlines (the record's header ends at one), ANSI escapes,
// NUL, SQL, quotes, and a UTF-8 character cut in two (the Docker driver cuts
// at 16 KiB of bytes, wherever that falls).
const euro = Buffer.from('€', 'utf8');
const hostile = [
  Buffer.from('{"log_type":"security_audit","note":"line\none\r\ntwo"', 'utf8'),
  Buffer.from('\u001b[31mred\u001b[0m\u0000\'); DROP TABLE security_audit_events;--', 'utf8'),
  Buffer.concat([Buffer.from('ends in half a euro '), euro.subarray(0, 2)]),
  Buffer.concat([euro.subarray(2), Buffer.from(' and starts with its end "}')]),
];

describe('PartialJournal', () => {
  it('gives back, after a reopen, every recorded piece of a line not settled, byte for byte, with its meta and source, in arrival order', async () => {
    const path = journalPath();
    const { journal, report } = await PartialJournal.open(path);
    expect(report).toEqual({ pieces: [], damagedBytes: 0, stored: [] });
    await journal.record([piece('c1/a', 2, hostile[1]!), piece('c2/b', 1, hostile[2]!)]);
    await journal.record([piece('c1/a', 1, hostile[0]!)]);
    await journal.record([piece('c2/b', 2, hostile[3]!, true)]);
    await journal.record([piece('c3/c', 1, 'settled line')]);
    await journal.settle(['c3/c', 'c2/b']);
    expect(journal.openLines).toBe(1);
    await journal.close();

    const again = await PartialJournal.open(path);
    expect(again.report.damagedBytes).toBe(0);
    expect(again.report.pieces).toEqual([piece('c1/a', 2, hostile[1]!), piece('c1/a', 1, hostile[0]!)]);
    // The joined halves of the euro sign decode again.
    expect(Buffer.concat([hostile[2]!, hostile[3]!]).toString('utf8')).toBe('ends in half a euro € and starts with its end "}');
    await again.journal.close();
  });

  it('keeps the last RECENT_STORED_LINES stored lines across reopens and compactions, the newest of a key winning, the oldest going first', async () => {
    const path = journalPath();
    const line = (i: number, d = 'x') => ({ key: `c/${i}`, digests: [`${d}${i}a`, `${d}${i}b`] });
    const { journal } = await PartialJournal.open(path);
    await journal.record([piece('c/0', 1, 'a')]);
    await journal.settle(['c/0'], [line(0)]);
    for (let i = 1; i < RECENT_STORED_LINES + 5; i++) await journal.settle([], [line(i)]);
    await journal.settle([], [line(7, 'y')]);
    await journal.close();
    const again = await PartialJournal.open(path);
    expect(again.report.pieces).toEqual([]);
    const expected = Array.from({ length: RECENT_STORED_LINES + 5 }, (_, i) => line(i)).slice(5).filter((l) => l.key !== 'c/7');
    expect(again.report.stored).toEqual([...expected, line(7, 'y')]);
    await again.journal.close();
    // Opening compacted the file to one record of them: opened again, the same.
    const third = await PartialJournal.open(path);
    expect(third.report.stored).toEqual(again.report.stored);
    await third.journal.close();
  });

  it('reads a journal written before stored lines were kept ({"done":[...]} alone)', async () => {
    const path = journalPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.concat([encodeFrame(Buffer.from(`${JSON.stringify({ k: 'c/a', o: 1, l: false, m: {}, s: 'x' })}\npiece`)), encodeFrame(Buffer.from('{"done":["c/b"]}'))]));
    const { journal, report } = await PartialJournal.open(path);
    expect(report).toMatchObject({ damagedBytes: 0, stored: [], pieces: [{ key: 'c/a', ordinal: 1 }] });
    await journal.close();
  });

  it('a piece recorded after its line was settled (a resend) is kept again', async () => {
    const path = journalPath();
    const { journal } = await PartialJournal.open(path);
    await journal.record([piece('k', 1, 'a')]);
    await journal.settle(['k']);
    await journal.record([piece('k', 1, 'a')]);
    // Not closed: the reader must make sense of the file as a crash leaves it.
    const copy = `${path}.copy`;
    writeFileSync(copy, readFileSync(path));
    const { journal: j2, report } = await PartialJournal.open(copy);
    expect(report.pieces.map((p) => p.key)).toEqual(['k']);
    await j2.close();
    await journal.close();
  });

  it('skips a torn last record (a crash mid-append) and keeps every whole one; no damaged copy for a torn tail', async () => {
    const path = journalPath();
    const { journal } = await PartialJournal.open(path);
    await journal.record([piece('k', 1, 'first'), piece('k', 2, 'second')]);
    await journal.close();
    const whole = readFileSync(path);
    // Half of a third record.
    const { journal: other } = await PartialJournal.open(`${path}.scratch`);
    await other.record([piece('k', 3, 'third, never acked', true)]);
    await other.close();
    const third = readFileSync(`${path}.scratch`);
    appendFileSync(path, third.subarray(0, third.length - 5));

    const { journal: j2, report } = await PartialJournal.open(path);
    expect(report.pieces.map((p) => p.bytes.toString())).toEqual(['first', 'second']);
    expect(report.damagedBytes).toBe(third.length - 5);
    expect(report.damagedCopy).toBeUndefined();
    // Rewritten without the torn bytes: the next append is readable.
    expect(statSync(path).size).toBe(whole.length);
    await j2.record([piece('k', 3, 'third', true)]);
    await j2.close();
    const { journal: j3, report: r3 } = await PartialJournal.open(path);
    expect(r3.pieces.map((p) => p.bytes.toString())).toEqual(['first', 'second', 'third']);
    await j3.close();
  });

  it('finds the records after a damaged one (resynchronising on length and CRC-32), and keeps a copy of the damaged file', async () => {
    const path = journalPath();
    const { journal } = await PartialJournal.open(path);
    await journal.record([piece('a', 1, 'one'), piece('b', 1, 'two'), piece('c', 1, 'three')]);
    await journal.close();
    const buf = readFileSync(path);
    const firstLen = buf.readUInt32BE(0) + 8;
    buf[firstLen + 12] = buf[firstLen + 12]! ^ 0xff; // inside the second record's header JSON
    writeFileSync(path, buf);

    const { journal: j2, report } = await PartialJournal.open(path);
    expect(report.pieces.map((p) => p.key)).toEqual(['a', 'c']);
    expect(report.damagedBytes).toBe(buf.readUInt32BE(firstLen) + 8);
    expect(report.damagedCopy).toBeDefined();
    expect(readFileSync(report.damagedCopy!).equals(buf)).toBe(true);
    await j2.close();
  });

  it('treats a file of garbage as damage, not as pieces', async () => {
    const path = journalPath();
    const first = await PartialJournal.open(path);
    await first.journal.close();
    writeFileSync(path, Buffer.from('\u0000\u0000\u0000\u0010garbage that is not a journal\n'.repeat(50)));
    const { journal, report } = await PartialJournal.open(path);
    expect(report.pieces).toEqual([]);
    expect(report.damagedBytes).toBeGreaterThan(0);
    await journal.close();
  });

  it('stays about the size of the lines still open: settled pieces are compacted away as it grows', async () => {
    const path = journalPath();
    const { journal } = await PartialJournal.open(path);
    const big = Buffer.alloc(16 * 1024, 'x');
    await journal.record([piece('kept', 1, 'the open line')]);
    for (let i = 0; i < 300; i++) {
      await journal.record([piece(`line${i}`, 1, big), piece(`line${i}`, 2, big, true)]);
      await journal.settle([`line${i}`]);
    }
    // 300 lines of 32 KiB passed through; the file never held more than about the 1 MiB compaction threshold.
    expect(journal.bytes).toBeLessThan(1.2 * 1024 * 1024);
    await journal.close();
    expect(statSync(path).size).toBeLessThan(200);
    const { journal: j2, report } = await PartialJournal.open(path);
    expect(report.pieces.map((p) => p.bytes.toString())).toEqual(['the open line']);
    await j2.close();
  });

  it('group-commits concurrent records, each resolved only when written', async () => {
    const path = journalPath();
    const { journal } = await PartialJournal.open(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => journal.record([piece(`k${i}`, 1, `piece ${i}`)])));
    expect(journal.openLines).toBe(200);
    const copy = `${path}.copy`;
    writeFileSync(copy, readFileSync(path));
    const { journal: j2, report } = await PartialJournal.open(copy);
    expect(report.pieces).toHaveLength(200);
    expect(new Set(report.pieces.map((p) => p.bytes.toString()))).toEqual(new Set(Array.from({ length: 200 }, (_, i) => `piece ${i}`)));
    await j2.close();
    await journal.close();
  });

  it('refuses records after close with a typed error, and leaves no temporary file', async () => {
    const path = journalPath();
    const { journal } = await PartialJournal.open(path);
    await journal.close();
    await expect(journal.record([piece('k', 1, 'late')])).rejects.toMatchObject({ name: 'SinkError', code: 'SINK_CLOSED' });
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  it('fails to open with SINK_SPOOL_IO, naming the path, when its directory cannot be made', async () => {
    const path = journalPath();
    const file = join(path, '..', '..', 'a-file');
    writeFileSync(file, 'x');
    await expect(PartialJournal.open(join(file, 'partial-lines.journal'))).rejects.toMatchObject({ code: 'SINK_SPOOL_IO', message: expect.stringContaining('a-file') });
  });
});
