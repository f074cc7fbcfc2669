import { appendFile, mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmp.js';
import { formatHole } from './holes.js';
import { decodePayload, encodeFrames } from './record.js';
import { Spool } from './spool.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-')));
afterEach(() => cleanup());

const frame = (line: string) => encodeFrames([{ line }]).buffer;

describe('Spool', () => {
  it('group-commits concurrent appends: 50 appends in one tick share 2 fdatasyncs', async () => {
    const { spool } = await Spool.open({ dir });
    const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => spool.append(frame(`line ${i}`))));
    expect(spool.syncs).toBe(2);
    expect(new Set(positions.map((p) => p.end)).size).toBe(50);
    await spool.close(false);
  });

  it('deletes a segment sealed while it held pending records once a release reaches its end, and a read standing there goes on to the next (found by a review: kept for good, on a full disk its room never came back)', async () => {
    const { spool } = await Spool.open({ dir, segmentBytes: 64 });
    const a = frame(`a ${'x'.repeat(80)}`);
    const b = frame(`b ${'y'.repeat(80)}`);
    const atA = await spool.append(a);
    // A is past segmentBytes: B rolls to a new segment, A's sealed with A pending.
    const atB = await spool.append(b);
    expect(atB.seg).toBe(atA.seg + 1);
    const segments = async () => (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();
    expect(await segments()).toHaveLength(2);
    const endA = { seg: atA.seg, end: atA.end + a.length };
    await spool.release(endA);
    expect(await segments()).toHaveLength(1);
    // The backlog's cursor stood at A's end: reading from there finds B.
    const read = await spool.read(endA, { seg: atB.seg, end: atB.end + b.length }, 1 << 20);
    expect(read.records.map((r) => decodePayload(r.payload).line[0])).toEqual(['b']);
    expect(read.next).toEqual({ seg: atB.seg, end: atB.end + b.length });
    await spool.close(false);
  });

  it('replays everything not released, skips what was released, and deletes finished segments', async () => {
    const first = await Spool.open({ dir, segmentBytes: 64 });
    const ends = [];
    for (let i = 0; i < 6; i++) {
      const b = frame(`event ${i} ${'x'.repeat(20)}`);
      const p = await first.spool.append(b);
      ends.push({ seg: p.seg, end: p.end + b.length });
    }
    expect(new Set(ends.map((e) => e.seg)).size).toBeGreaterThan(1);
    await first.spool.release(ends[2]!);
    await first.spool.close(false);
    const second = await Spool.open({ dir, segmentBytes: 64 });
    expect(second.replayed.map((r) => decodePayload(r.payload).line.split(' ').slice(0, 2).join(' '))).toEqual(['event 3', 'event 4', 'event 5']);
    expect(second.report.corruptTails).toBe(0);
    const segs = (await readdir(dir)).filter((n) => n.startsWith('seg-'));
    expect(segs.length).toBeLessThanOrEqual(4);
    await second.spool.release(second.replayed.at(-1)!);
    await second.spool.close(true);
    expect((await readdir(dir)).filter((n) => n.startsWith('seg-'))).toEqual([]);
  });

  it('replays at most loadBytes of records with their bytes (at least one), the rest as runs per segment that read() returns in order (a full spool was read into memory whole at start; found by a probe)', async () => {
    const first = await Spool.open({ dir, segmentBytes: 200 });
    const lines = Array.from({ length: 12 }, (_, i) => `event ${String(i).padStart(2, '0')} ${'x'.repeat(30)}`);
    for (const l of lines) await first.spool.append(frame(l));
    await first.spool.close(false);
    const size = frame(lines[0]!).length;
    const second = await Spool.open({ dir, segmentBytes: 200, loadBytes: 3 * size + 1 });
    expect(second.replayed.map((r) => decodePayload(r.payload).line)).toEqual(lines.slice(0, 3));
    // The other nine, where they are: one run per stretch of a segment, in spool order.
    const runs = second.unloaded;
    expect(runs.flatMap((r) => r.sizes)).toEqual(Array(9).fill(size));
    expect(new Set(runs.map((r) => r.seg)).size).toBe(runs.length);
    expect(runs.length).toBeGreaterThan(1);
    const last = runs.at(-1)!;
    const { records } = await second.spool.read({ seg: runs[0]!.seg, end: runs[0]!.start }, { seg: last.seg, end: last.start + last.sizes.length * size }, 1 << 20);
    expect(records.map((r) => decodePayload(r.payload).line)).toEqual(lines.slice(3));
    await second.spool.close(false);
    // A budget smaller than one record still loads the first.
    const third = await Spool.open({ dir, segmentBytes: 200, loadBytes: 1 });
    expect(third.replayed).toHaveLength(1);
    expect(third.unloaded.flatMap((r) => r.sizes)).toHaveLength(11);
    await third.spool.close(false);
  });

  it('after a restart that found everything released, new records are numbered past the watermark: replayed after the next crash, kept when their segment rolls', async () => {
    const lineOf = (r: { payload: Buffer }) => decodePayload(r.payload).line;
    const appendAll = async (spool: Spool, lines: string[]) => {
      let last = { seg: 0, end: 0 };
      for (const l of lines) {
        const b = frame(l);
        const p = await spool.append(b);
        last = { seg: p.seg, end: p.end + b.length };
      }
      return last;
    };
    // Run 1 delivers everything, then stops without the clean close that
    // deletes the watermark (a crash, or a stop deadline).
    const first = await Spool.open({ dir, segmentBytes: 64 });
    const released = await appendAll(first.spool, Array.from({ length: 6 }, (_, i) => `delivered ${i} ${'x'.repeat(20)}`));
    expect(released.seg).toBeGreaterThan(1);
    await first.spool.release(released);
    await first.spool.close(false);
    // Run 2 replays nothing, accepts records across several segments, and crashes before delivering them.
    const second = await Spool.open({ dir, segmentBytes: 64 });
    expect(second.replayed).toEqual([]);
    const pending = Array.from({ length: 6 }, (_, i) => `pending ${i} ${'y'.repeat(20)}`);
    const end = await appendAll(second.spool, pending);
    expect(end.seg).toBeGreaterThan(released.seg + 1);
    await second.spool.close(false);
    // Run 3 must replay every one of them.
    const third = await Spool.open({ dir, segmentBytes: 64 });
    expect(third.replayed.map(lineOf)).toEqual(pending);
    await third.spool.release(third.replayed.at(-1)!);
    await third.spool.close(true);
  });

  it('ignores a watermark no release() could have written (past 2^53): replays from the start', async () => {
    const first = await Spool.open({ dir });
    await first.spool.append(frame('still pending'));
    await first.spool.close(false);
    const wm = Buffer.alloc(16, 0xff);
    await writeFile(join(dir, 'committed'), wm);
    const second = await Spool.open({ dir });
    expect(second.replayed.map((r) => decodePayload(r.payload).line)).toEqual(['still pending']);
    await second.spool.close(false);
  });

  it('a damaged watermark (checksum) is not used: records it would have skipped as committed are replayed; a 16-byte one of the earlier form is still read', async () => {
    const first = await Spool.open({ dir });
    const p1 = await first.spool.append(frame('committed'));
    await first.spool.append(frame('pending one'));
    await first.spool.append(frame('pending two'));
    await first.spool.release({ seg: p1.seg, end: p1.end + frame('committed').length });
    await first.spool.close(false);
    const wm = await readFile(join(dir, 'watermark'));
    expect(wm).toHaveLength(20);
    const lines = (r: Awaited<ReturnType<typeof Spool.open>>) => r.replayed.map((x) => decodePayload(x.payload).line);

    // Intact: the committed record is skipped.
    const intact = await Spool.open({ dir });
    expect(lines(intact)).toEqual(['pending one', 'pending two']);
    expect(intact.report.watermarkIgnored).toBeUndefined();
    await intact.spool.close(false);

    // The end moved forward by damage (one bit): without a checksum the pending records were skipped as committed.
    const flipped = Buffer.from(wm);
    flipped[15] = flipped[15]! ^ 0x40;
    await writeFile(join(dir, 'watermark'), flipped);
    const damaged = await Spool.open({ dir });
    expect(lines(damaged)).toEqual(['committed', 'pending one', 'pending two']);
    expect(damaged.report.watermarkIgnored).toBe('watermark checksum mismatch');
    await damaged.spool.close(false);

    // The file of versions before the checksum: its 16 bytes are read as before, when there is no new one.
    await rm(join(dir, 'watermark'));
    await writeFile(join(dir, 'committed'), wm.subarray(0, 16));
    const old = await Spool.open({ dir });
    expect(lines(old)).toEqual(['pending one', 'pending two']);
    await old.spool.close(false);

    // The earlier form was taken over: its position is now in the new file, and the old file is gone.
    await expect(readFile(join(dir, 'committed'))).rejects.toMatchObject({ code: 'ENOENT' });
    // A new file behind (here at the segment's start) is read, valid: what lies between replays as duplicates, nothing is reported.
    const behind = Buffer.alloc(20);
    behind.writeBigUInt64BE(BigInt(p1.seg), 0);
    behind.writeUInt32BE(crc32(behind.subarray(0, 16)), 16);
    await writeFile(join(dir, 'watermark'), behind);
    const rolledBack = await Spool.open({ dir });
    expect(lines(rolledBack)).toEqual(['committed', 'pending one', 'pending two']);
    expect(rolledBack.report.watermarkIgnored).toBeUndefined();
    await rolledBack.spool.close(false);
  });

  it('after a rollback, the earlier version\'s file wins over the new one it left behind: records that version spooled in segments it numbered from 1 again are replayed, not skipped as committed (lost)', async () => {
    // This version commits two records, then stops without closing (a crash, or SIGKILL): its watermark names seg 1.
    const first = await Spool.open({ dir });
    const a = frame(`delivered ${'x'.repeat(200)}`);
    const b = frame(`delivered too ${'y'.repeat(200)}`);
    const pa = await first.spool.append(a);
    await first.spool.append(b);
    await first.spool.release({ seg: pa.seg, end: pa.end + a.length + b.length });
    await first.spool.close(false);
    expect(await readFile(join(dir, 'watermark'))).toHaveLength(20);

    // Rolled back, the earlier version replays and delivers seg 1 and deletes it; during a later outage it
    // spools into a segment numbered 1 again (max of none + 1), and creates its own, empty, 'committed' file.
    for (const n of await readdir(dir)) if (n.startsWith('seg-')) await rm(join(dir, n));
    await writeFile(join(dir, 'seg-000000000001.log'), encodeFrames([{ line: 'spooled by the earlier version 1' }, { line: 'spooled by the earlier version 2' }]).buffer);
    await writeFile(join(dir, 'committed'), Buffer.alloc(0));

    // Upgraded again: both records are pending and replayed.
    const lines = (r: Awaited<ReturnType<typeof Spool.open>>) => r.replayed.map((x) => decodePayload(x.payload).line);
    const again = await Spool.open({ dir });
    expect(lines(again)).toEqual(['spooled by the earlier version 1', 'spooled by the earlier version 2']);
    await again.spool.close(false);
    // Taken over: the earlier version's file is gone, and the next start still replays them.
    expect((await readdir(dir)).includes('committed')).toBe(false);
    const third = await Spool.open({ dir });
    expect(lines(third)).toEqual(['spooled by the earlier version 1', 'spooled by the earlier version 2']);
    await third.spool.close(false);
  });

  it('reports a torn tail, quarantines its bytes and never loads it', async () => {
    const first = await Spool.open({ dir });
    await first.spool.append(frame('good one'));
    await first.spool.close(false);
    const seg = (await readdir(dir)).find((n) => n.startsWith('seg-'))!;
    const torn = frame('this one was cut by the crash').subarray(0, 15);
    await appendFile(join(dir, seg), torn);
    const second = await Spool.open({ dir });
    expect(second.replayed.map((r) => decodePayload(r.payload).line)).toEqual(['good one']);
    expect(second.report).toMatchObject({ corruptTails: 1, corruptBytes: 15 });
    expect(second.report.reasons[0]).toMatch(/torn/);
    expect(await readFile(second.report.quarantined[0]!)).toEqual(torn);
    await second.spool.close(false);
    const third = await Spool.open({ dir });
    expect(third.report.corruptTails).toBe(0);
    expect(third.replayed).toHaveLength(1);
    await third.spool.close(false);
  });

  it('refuses a spool path that is a file, or under one, saying so (it said EEXIST of a mkdir; found by a probe)', async () => {
    await writeFile(join(dir, 'file'), '');
    for (const at of [join(dir, 'file'), join(dir, 'file', 'spool')]) {
      await expect(Spool.open({ dir: at })).rejects.toMatchObject({ code: 'SINK_SPOOL_IO', message: expect.stringContaining(`cannot open spool ${at}: it, or a directory above it, is a file, not a directory`) });
    }
  });

  it('refuses a spool directory locked by a live process', async () => {
    const { spool } = await Spool.open({ dir });
    await expect(Spool.open({ dir })).rejects.toMatchObject({ code: 'SINK_SPOOL_IO' });
    await spool.close(true);
    const again = await Spool.open({ dir });
    await again.spool.close(true);
  });

  it('a spool that fails to open closes the files it opened and unlocks (they were left to the garbage collector: DEP0137)', async () => {
    // A directory named like a segment: replay fails reading it (EISDIR).
    await mkdir(join(dir, 'seg-000000009999.log'));
    const openFds = async () => (await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))).filter((t) => t.startsWith(dir));
    await expect(Spool.open({ dir })).rejects.toMatchObject({ code: 'SINK_SPOOL_IO' });
    expect(await openFds()).toEqual([]);
    // Unlocked: once the directory is removed, the spool opens.
    await rm(join(dir, 'seg-000000009999.log'), { recursive: true });
    const again = await Spool.open({ dir });
    await again.spool.close(true);
  });

  describe('read (records kept on disk only, read back in order)', () => {
    async function fill(spool: Spool, lines: string[]) {
      const ends = [];
      for (const line of lines) {
        const b = frame(line);
        const p = await spool.append(b);
        ends.push({ seg: p.seg, end: p.end + b.length });
      }
      return ends;
    }
    const lineOf = (r: { payload: Buffer }) => decodePayload(r.payload).line;

    it('reads across segments in windows of maxBytes, stopping at upTo, resuming where it stopped', async () => {
      const { spool } = await Spool.open({ dir, segmentBytes: 100 });
      const lines = Array.from({ length: 12 }, (_, i) => `record ${i} ${'y'.repeat(i * 3)}`);
      const ends = await fill(spool, lines);
      expect(new Set(ends.map((e) => e.seg)).size).toBeGreaterThan(2);
      const start = { seg: ends[0]!.seg, end: 0 };
      const upTo = ends[9]!; // the last two are not asked for
      const got: string[] = [];
      let from = start;
      let reads = 0;
      while (from.seg < upTo.seg || from.end < upTo.end) {
        const { records, next } = await spool.read(from, upTo, 40);
        expect(records.length).toBeGreaterThan(0);
        got.push(...records.map(lineOf));
        expect(records.map((r) => ({ seg: r.seg, end: r.end }))).toEqual(ends.slice(got.length - records.length, got.length));
        from = next;
        reads++;
      }
      expect(got).toEqual(lines.slice(0, 10));
      expect(reads).toBeGreaterThan(3);
      await spool.close(false);
    });

    it('reads a record larger than the window whole', async () => {
      const { spool } = await Spool.open({ dir });
      const lines = ['small', 'L'.repeat(10_000), 'after'];
      const ends = await fill(spool, lines);
      const first = await spool.read({ seg: ends[0]!.seg, end: 0 }, ends[2]!, 10);
      expect(first.records.map(lineOf)).toEqual(['small']);
      const second = await spool.read(first.next, ends[2]!, 10);
      expect(second.records.map(lineOf)).toEqual(['L'.repeat(10_000)]);
      const third = await spool.read(second.next, ends[2]!, 10);
      expect(third.records.map(lineOf)).toEqual(['after']);
      expect(third.next).toEqual(ends[2]);
      await spool.close(false);
    });

    it('never reads past the good end of a sealed segment (a failed append leaves bytes there)', async () => {
      const { spool } = await Spool.open({ dir, segmentBytes: 40 });
      const ends = await fill(spool, ['one '.repeat(10), 'two '.repeat(10)]);
      expect(ends[1]!.seg).toBeGreaterThan(ends[0]!.seg);
      const firstSeg = (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort()[0]!;
      await appendFile(join(dir, firstSeg), Buffer.from('garbage of a failed append'));
      const { records } = await spool.read({ seg: ends[0]!.seg, end: 0 }, ends[1]!, 1 << 20);
      expect(records.map(lineOf)).toEqual(['one '.repeat(10), 'two '.repeat(10)]);
      await spool.close(false);
    });

    it('skips a record damaged on disk and the rest of its sealed segment, copied to quarantine and recorded as a hole, and reads on in the next', async () => {
      const { spool } = await Spool.open({ dir, segmentBytes: 60 });
      const lines = ['first record '.repeat(2), 'second record '.repeat(2), 'third record '.repeat(2), 'fourth record '.repeat(2), 'fifth'];
      const ends = await fill(spool, lines);
      const segs = [...new Set(ends.map((e) => e.seg))];
      expect(segs.length).toBeGreaterThan(2);
      // Damage the payload of the second record of the first segment that holds two.
      const two = segs.find((sg) => ends.filter((e) => e.seg === sg).length >= 2)!;
      const inTwo = ends.map((e, i) => ({ ...e, i })).filter((e) => e.seg === two);
      const path = join(dir, `seg-${String(two).padStart(12, '0')}.log`);
      const bytes = await readFile(path);
      const badAt = inTwo[0]!.end;
      bytes[badAt + 12] = bytes[badAt + 12]! ^ 0xff;
      await writeFile(path, bytes);

      const { records, next, skipped } = await spool.read({ seg: ends[0]!.seg, end: 0 }, ends.at(-1)!, 1 << 20);
      const lost = inTwo.slice(1).map((e) => e.i);
      expect(records.map(lineOf)).toEqual(lines.filter((_, i) => !lost.includes(i)));
      expect(next).toEqual(ends.at(-1));
      expect(skipped).toEqual([{ seg: two, from: badAt, to: inTwo.at(-1)!.end, reason: `spool segment seg-${String(two).padStart(12, '0')}.log is corrupt at byte ${badAt}: checksum mismatch`, quarantined: expect.stringContaining('quarantine') }]);
      // The bad bytes byte for byte in quarantine; the range recorded as a hole, so neither a
      // second read nor a replay finds anything wrong, and both pass over the same records.
      expect((await readFile(skipped[0]!.quarantined!)).equals(bytes.subarray(badAt, inTwo.at(-1)!.end))).toBe(true);
      expect(await readFile(`${path}.holes`, 'utf8')).toBe(formatHole({ from: badAt, to: inTwo.at(-1)!.end }));
      const again = await spool.read({ seg: ends[0]!.seg, end: 0 }, ends.at(-1)!, 1 << 20);
      expect(again.skipped).toEqual([]);
      expect(again.records.map(lineOf)).toEqual(records.map(lineOf));
      await spool.close(false);
      const reopened = await Spool.open({ dir, segmentBytes: 60 });
      expect(reopened.report.corruptTails).toBe(0);
      expect(reopened.replayed.map(lineOf)).toEqual(records.map(lineOf));
      // Released, the segment goes with its holes file.
      await reopened.spool.release(reopened.replayed.at(-1)!);
      await reopened.spool.close(true);
      expect((await readdir(dir)).filter((n) => n.startsWith('seg-'))).toEqual([]);
    });

    it('skips a damaged record of the segment still appended to up to upTo only: the records after it are read, also by the next replay', async () => {
      const { spool } = await Spool.open({ dir });
      const ends = await fill(spool, ['first record', 'second record', 'third record', 'fourth record']);
      const seg = (await readdir(dir)).find((n) => n.startsWith('seg-'))!;
      const bytes = await readFile(join(dir, seg));
      bytes[ends[0]!.end + 3] = bytes[ends[0]!.end + 3]! ^ 0x40; // the second record's length field
      await writeFile(join(dir, seg), bytes);
      // The read asks up to the third record: the fourth was appended after that position was taken.
      const { records, skipped } = await spool.read({ seg: ends[0]!.seg, end: 0 }, ends[2]!, 1 << 20);
      expect(records.map(lineOf)).toEqual(['first record']);
      expect(skipped).toMatchObject([{ from: ends[0]!.end, to: ends[2]!.end, reason: expect.stringMatching(/implausible record length|torn record|checksum mismatch/) }]);
      expect((await readFile(join(dir, seg))).length).toBe(bytes.length);
      const [after] = await fill(spool, ['after the damage']);
      expect(after!.seg).toBe(ends[0]!.seg);
      const more = await spool.read(ends[2]!, after!, 1 << 20);
      expect(more.records.map(lineOf)).toEqual(['fourth record', 'after the damage']);
      // A restart before any of it is released: the damage is a known hole, not a corrupt tail,
      // so the undelivered records after it are replayed, not quarantined with it.
      await spool.close(false);
      const reopened = await Spool.open({ dir });
      expect(reopened.report).toMatchObject({ corruptTails: 0, quarantined: [] });
      expect(reopened.replayed.map(lineOf)).toEqual(['first record', 'fourth record', 'after the damage']);
      await reopened.spool.close(false);
    });

    it('when the damage cannot be quarantined, appends nothing more behind it: the next append starts a new segment, which the next replay reads', async () => {
      const { spool } = await Spool.open({ dir });
      const ends = await fill(spool, ['first record', 'second record']);
      const seg = (await readdir(dir)).find((n) => n.startsWith('seg-'))!;
      const bytes = await readFile(join(dir, seg));
      bytes[ends[0]!.end + 12] = bytes[ends[0]!.end + 12]! ^ 0x01;
      await writeFile(join(dir, seg), bytes);
      await writeFile(join(dir, 'quarantine'), 'a file where the directory should be'); // mkdir fails
      const { skipped } = await spool.read({ seg: ends[0]!.seg, end: 0 }, ends[1]!, 1 << 20);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]!.quarantined).toBeUndefined();
      const [after] = await fill(spool, ['after the damage']);
      expect(after!.seg).toBeGreaterThan(ends[0]!.seg);
      await spool.close(false);
      const reopened = await Spool.open({ dir });
      expect(reopened.report).toMatchObject({ corruptTails: 1, quarantined: [] });
      expect(reopened.replayed.map(lineOf)).toEqual(['first record', 'after the damage']);
      await reopened.spool.close(false);
    });

    it('takes a length field damaged to exceed the read window for damage, not for a record the window cut', async () => {
      const { spool } = await Spool.open({ dir });
      const ends = await fill(spool, ['first record', 'second record '.repeat(20), 'third record']);
      const seg = (await readdir(dir)).find((n) => n.startsWith('seg-'))!;
      const bytes = await readFile(join(dir, seg));
      bytes[ends[0]!.end + 2] = bytes[ends[0]!.end + 2]! ^ 0x02; // the second record's length (0x011d), 512 bytes longer
      await writeFile(join(dir, seg), bytes);
      // A window smaller than that record: it is read whole on its own, fails, and becomes a hole.
      const first = await spool.read({ seg: ends[0]!.seg, end: 0 }, ends[2]!, 1);
      expect(first.records.map(lineOf)).toEqual(['first record']);
      const second = await spool.read(first.next, ends[2]!, 1);
      expect(second.records).toEqual([]);
      expect(second.skipped).toMatchObject([{ from: ends[0]!.end, to: ends[2]!.end }]);
      expect(second.next).toEqual(ends[2]);
      await spool.close(false);
    });

    it('reads replayed segments of an earlier run', async () => {
      const first = await Spool.open({ dir, segmentBytes: 50 });
      const ends = await fill(first.spool, ['a '.repeat(20), 'b '.repeat(20), 'c '.repeat(20)]);
      await first.spool.close(false);
      const second = await Spool.open({ dir, segmentBytes: 50 });
      const last = second.replayed.at(-1)!;
      const { records } = await second.spool.read({ seg: second.replayed[0]!.seg, end: 0 }, { seg: last.seg, end: last.end }, 1 << 20);
      expect(records.map(lineOf)).toEqual(['a '.repeat(20), 'b '.repeat(20), 'c '.repeat(20)]);
      expect(records.at(-1)!.end).toBe(ends[2]!.end);
      await second.spool.close(false);
    });
  });
});
