import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmp.js';
import { encodeFrames } from '../spool/record.js';
import { Spool } from '../spool/spool.js';
import { Backlog } from './backlog.js';
import { prepareRows } from './prepare.js';
import { DeliveryQueue } from './queue.js';
import type { SinkStats } from './types.js';
import { prngInt } from '../../../../test/support/prng.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-backlog-damage-')));
afterEach(() => cleanup());


/**
 * The sink's memory bound under random load and random damage on disk: the
 * write path (append, then admit into the queue or leave on disk, as
 * create-sink.ts does), a consumer taking items in random amounts (as
 * delivery does after a commit), refills, and bytes flipped in the spool's
 * files between steps. Whatever happens, each accepted record is delivered
 * once, in order, or counted as lost; never both, never neither.
 */
describe('Backlog under random damage (seeded)', () => {
  it('delivers every accepted record once and in order, or counts it lost', async () => {
    // How often the paths under test ran, so the test cannot pass by not reaching them.
    let seedsReadBack = 0;
    let seedsLost = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rand = prngInt(seed * 104729);
      const { spool } = await Spool.open({ dir, segmentBytes: 300 + rand(1500) });
      const queue = new DeliveryQueue();
      const stats = { readBack: 0 } as SinkStats;
      const backlog = new Backlog(spool, queue, 100 + rand(2000), 'test', stats);
      const appended: string[] = [];
      const delivered: string[] = [];
      let lost = 0;
      let flips = 0;

      const write = async () => {
        const entries = Array.from({ length: 1 + rand(5) }, (_, i) => ({ line: `s${seed} e${appended.length + i} ${'z'.repeat(rand(90))}` }));
        const { buffer, sizes } = encodeFrames(entries);
        const start = await spool.append(buffer);
        appended.push(...entries.map((e) => e.line));
        let end = start.end;
        const ends = sizes.map((sz) => ({ seg: start.seg, end: (end += sz) }));
        if (backlog.admit(start, sizes, buffer.length)) {
          const rows = prepareRows(entries, 'test');
          queue.push(rows.map((row, i) => ({ row, end: ends[i]!, size: sizes[i]! })));
        }
      };
      const take = () => {
        const items = queue.peek(1 + rand(8), 1 << 30);
        delivered.push(...items.map((it) => it.row.raw));
        queue.shift(items.length);
      };
      const refill = async () => {
        const l = await backlog.refill();
        if (l) lost += l.records;
      };
      const damage = async () => {
        const segs = (await readdir(dir)).filter((n) => /^seg-\d+\.log$/.test(n));
        if (segs.length === 0) return;
        const path = join(dir, segs[rand(segs.length)]!);
        const bytes = await readFile(path);
        if (bytes.length === 0) return;
        const at = rand(bytes.length);
        bytes[at] = bytes[at]! ^ (1 + rand(255));
        await writeFile(path, bytes);
        flips++;
      };

      for (let step = 0; step < 300; step++) {
        const r = rand(20);
        if (r < 9) await write();
        else if (r < 15) take();
        else if (r < 19) await refill();
        else if (rand(3) === 0) await damage();
      }
      // Drain.
      for (let guard = 0; (backlog.spilled || queue.length > 0) && guard < 10_000; guard++) {
        take();
        await refill();
      }
      expect(backlog.spilled, `seed ${seed}`).toBe(false);
      expect(queue.length, `seed ${seed}`).toBe(0);
      expect(delivered.length + lost, `seed ${seed}: ${flips} flips`).toBe(appended.length);
      expect(new Set(delivered).size, `seed ${seed}`).toBe(delivered.length);
      // In order: delivered is a subsequence of appended.
      let j = 0;
      for (const line of delivered) {
        while (j < appended.length && appended[j] !== line) j++;
        expect(j < appended.length, `seed ${seed}: ${line} out of order or unknown`).toBe(true);
        j++;
      }
      if (flips === 0) expect(lost, `seed ${seed}`).toBe(0);
      if (stats.readBack > 0) seedsReadBack++;
      if (lost > 0) seedsLost++;
      await spool.close(false);
      await cleanup();
      ({ dir, cleanup } = await tempDir('at-backlog-damage-'));
    }
    expect(seedsReadBack).toBeGreaterThan(30);
    expect(seedsLost).toBeGreaterThan(10);
  });
});

describe('Backlog after a restart whose replay passed over a hole', () => {
  it('counts what later damage loses against the records it held, not against positions shifted by the hole', async () => {
    const first = await Spool.open({ dir });
    const lines = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].map((l) => `${l} ${'y'.repeat(40)}`);
    const starts: number[] = [];
    let seg = 0;
    for (const line of lines) {
      const p = await first.spool.append(encodeFrames([{ line }]).buffer);
      starts.push(p.end);
      seg = p.seg;
    }
    const size = encodeFrames([{ line: lines[0]! }]).buffer.length;
    await first.spool.close(false);
    // An earlier run found r2 damaged and recorded it as a hole: replay passes over it.
    const segFile = (await readdir(dir)).find((n) => /^seg-\d+\.log$/.test(n))!;
    await writeFile(join(dir, `${segFile}.holes`), `${starts[2]} ${starts[3]}\n`);
    // The budget holds one record: r0 in memory, r1, r3, r4, r5 on disk only, in two runs either side of the hole.
    const reopened = await Spool.open({ dir, loadBytes: size });
    expect(reopened.replayed.map((r) => r.end)).toEqual([starts[0]! + size]);
    expect(reopened.unloaded).toEqual([
      { seg, start: starts[1], sizes: [size] },
      { seg, start: starts[3], sizes: [size, size, size] },
    ]);
    const queue = new DeliveryQueue();
    const backlog = new Backlog(reopened.spool, queue, size, 'test', { readBack: 0 } as SinkStats);
    const admitted = backlog.admitReplayed(reopened.replayed, reopened.unloaded);
    expect(admitted.map((a) => a.row.raw)).toEqual([lines[0]]);
    // Now r4 is damaged on disk, before it is read back.
    const bytes = await readFile(join(dir, segFile));
    bytes[starts[4]! + size - 1] = bytes[starts[4]! + size - 1]! ^ 0xff;
    await writeFile(join(dir, segFile), bytes);
    const delivered: string[] = [];
    let lost = 0;
    for (let guard = 0; backlog.spilled && guard < 100; guard++) {
      const l = await backlog.refill();
      if (l) lost += l.records;
      const items = queue.peek(100, 1 << 30);
      delivered.push(...items.map((it) => it.row.raw));
      queue.shift(items.length);
    }
    expect(backlog.spilled).toBe(false);
    // Every replayed record delivered once or counted lost (r4 and what its segment held after it in that read).
    expect(delivered.length + lost + admitted.length).toBe(5);
    expect(delivered).toEqual(expect.arrayContaining([lines[1], lines[3]]));
    expect(delivered).not.toContain(lines[4]);
    expect(seg).toBeGreaterThan(0);
    await reopened.spool.close(false);
  });
});
