import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmp.js';
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

  it('refuses a spool directory locked by a live process', async () => {
    const { spool } = await Spool.open({ dir });
    await expect(Spool.open({ dir })).rejects.toMatchObject({ code: 'SINK_SPOOL_IO' });
    await spool.close(true);
    const again = await Spool.open({ dir });
    await again.spool.close(true);
  });
});
