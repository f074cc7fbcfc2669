import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmp.js';
import { decodePayload, encodeFrames } from './record.js';
import { Spool, type SpoolPosition } from './spool.js';
import { prngInt } from '../../../../test/support/prng.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-damage-')));
afterEach(() => cleanup());


interface Rec {
  line: string;
  seg: number;
  start: number;
  end: number;
}

const segPath = (seg: number) => join(dir, `seg-${String(seg).padStart(12, '0')}.log`);
const lineOf = (r: { payload: Buffer }) => decodePayload(r.payload).line;
const before = (a: SpoolPosition, b: SpoolPosition) => a.seg < b.seg || (a.seg === b.seg && a.end <= b.end);

describe('Spool under random damage (seeded)', () => {
  it('never returns a damaged record, returns every other one up to upTo, and a restart replays exactly what was not released and no hole or undetected damage covers', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = prngInt(seed * 7919);
      const { spool } = await Spool.open({ dir, segmentBytes: 200 + rand(400) });
      const recs: Rec[] = [];
      const append = async (line: string) => {
        const { buffer } = encodeFrames([{ line }]);
        const at = await spool.append(buffer);
        recs.push({ line, seg: at.seg, start: at.end, end: at.end + buffer.length });
      };
      for (let k = 0; k < 30; k++) await append(`s${seed} r${k} ${'x'.repeat(rand(120))}`);

      // Damage 1-3 records on disk: a byte of the payload or of the length field.
      const damaged = new Set<number>();
      for (let d = 1 + rand(3); d > 0; d--) damaged.add(rand(recs.length));
      for (const i of damaged) {
        const r = recs[i]!;
        const bytes = await readFile(segPath(r.seg));
        const at = rand(2) === 0 ? r.start + 1 + rand(3) : r.start + 8 + rand(r.end - r.start - 8);
        bytes[at] = bytes[at]! ^ (1 + rand(255));
        await writeFile(segPath(r.seg), bytes);
      }

      // Read up to some record at or after the first damage, in windows of random size.
      const first = Math.min(...damaged);
      const upToIdx = first + rand(recs.length - first);
      const upTo = { seg: recs[upToIdx]!.seg, end: recs[upToIdx]!.end };
      const got: string[] = [];
      const holes: { seg: number; from: number; to: number }[] = [];
      let from: SpoolPosition = { seg: recs[0]!.seg, end: 0 };
      while (!before(upTo, from)) {
        const { records, next, skipped } = await spool.read(from, upTo, 1 + rand(600));
        got.push(...records.map(lineOf));
        holes.push(...skipped);
        if (next.seg === from.seg && next.end === from.end) break;
        from = next;
        if (next.seg === upTo.seg && next.end === upTo.end) break;
      }
      const inHole = (r: Rec) => holes.some((h) => h.seg === r.seg && r.start >= h.from && r.end <= h.to);
      const upToRecs = recs.slice(0, upToIdx + 1);
      // Every damaged record read is in a hole; every record outside the holes came back, in order.
      for (const i of damaged) if (i <= upToIdx) expect(inHole(recs[i]!), `seed ${seed}: damaged record ${i} not skipped`).toBe(true);
      expect(got, `seed ${seed}`).toEqual(upToRecs.filter((r) => !inHole(r)).map((r) => r.line));
      // Each hole starts at a damaged record and ends at a record boundary.
      for (const h of holes) {
        expect(recs.some((r, i) => damaged.has(i) && r.seg === h.seg && r.start === h.from), `seed ${seed}: hole at a good record`).toBe(true);
        expect(recs.some((r) => r.seg === h.seg && r.end === h.to), `seed ${seed}: hole ends mid-record`).toBe(true);
      }

      // Appends after the damage was found, then a restart with nothing released.
      for (let k = 30; k < 35; k++) await append(`s${seed} r${k} after`);
      // Released up to a record read back (or nothing): what the database committed.
      const released = rand(3) === 0 ? undefined : recs.filter((r, i) => i <= upToIdx && !inHole(r))[rand(upToIdx + 1)];
      if (released) await spool.release({ seg: released.seg, end: released.end });
      await spool.close(false);
      const reopened = await Spool.open({ dir, segmentBytes: 200 + rand(400) });
      // Damage nobody read is a corrupt tail to replay: its record and what follows it in its segment are not loaded.
      // Segments wholly behind the watermark are gone; the rest are read from their start.
      const kept = (seg: number) => !released || seg >= released.seg;
      const unread = [...damaged].filter((i) => !inHole(recs[i]!) && kept(recs[i]!.seg)).map((i) => recs[i]!);
      const lostToTail = (r: Rec) => unread.some((u) => u.seg === r.seg && r.start >= u.start);
      const unreleased = (r: Rec) => !released || r.seg > released.seg || (r.seg === released.seg && r.start >= released.end);
      expect(reopened.replayed.map(lineOf), `seed ${seed}`).toEqual(recs.filter((r) => unreleased(r) && !inHole(r) && !lostToTail(r)).map((r) => r.line));
      expect(reopened.report.corruptTails, `seed ${seed}`).toBe(new Set(unread.map((u) => u.seg)).size);
      await reopened.spool.close(true);
      await cleanup();
      ({ dir, cleanup } = await tempDir('at-spool-damage-'));
    }
  });
});
