import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmp.js';
import { prngInt } from '../../../../test/support/prng.js';
import { decodePayload, encodeFrames } from './record.js';
import { Spool, type SpoolPosition } from './spool.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-life-')));
afterEach(() => cleanup());

/** A record the model knows: its line and the position just past it. */
interface Held {
  line: string;
  end: SpoolPosition;
}

const lineOf = (r: { payload: Buffer }) => decodePayload(r.payload).line;
const segFiles = async () => (await readdir(dir)).filter((n) => n.startsWith('seg-'));

/**
 * One seeded run of a spool's life against a model: appends, releases of a
 * prefix (the delivery loop releases in order), stops that are clean only
 * when everything was released (what the sink does) or unclean (a crash, a
 * stop deadline), and restarts. After each restart the spool must replay
 * exactly the records not released, in append order.
 */
async function lifecycle(seed: number): Promise<void> {
  const rand = prngInt(seed * 104729);
  const segmentBytes = 100 + rand(500);
  let opened = await Spool.open({ dir, segmentBytes });
  let spool = opened.spool;
  // Not released yet, in append order.
  let pending: Held[] = [];
  let n = 0;
  for (let step = 0; step < 60; step++) {
    const op = rand(10);
    if (op < 5) {
      const lines = Array.from({ length: 1 + rand(6) }, () => `s${seed} #${n++} ${'x'.repeat(rand(90))}`);
      // One buffer per append call, several records each, as the sink writes them.
      const { buffer, sizes } = encodeFrames(lines.map((line) => ({ line })));
      const at = await spool.append(buffer);
      let end = at.end;
      lines.forEach((line, i) => pending.push({ line, end: { seg: at.seg, end: (end += sizes[i]!) } }));
    } else if (op < 8) {
      if (pending.length === 0) continue;
      const upTo = rand(pending.length + 1);
      if (upTo === 0) continue;
      await spool.release(pending[upTo - 1]!.end);
      pending = pending.slice(upTo);
    } else {
      await spool.close(pending.length === 0 && op === 9);
      opened = await Spool.open({ dir, segmentBytes });
      spool = opened.spool;
      const where = `seed ${seed}, step ${step}`;
      expect(opened.report.corruptTails, where).toBe(0);
      expect(opened.replayed.map(lineOf), where).toEqual(pending.map((p) => p.line));
      // Replayed records are released by the positions replay gives them.
      pending = opened.replayed.map((r) => ({ line: lineOf(r), end: { seg: r.seg, end: r.end } }));
    }
  }
  if (pending.length > 0) await spool.release(pending.at(-1)!.end);
  await spool.close(true);
  expect(await segFiles(), `seed ${seed}: a spool closed with everything released keeps no segment`).toEqual([]);
}

describe('Spool across restarts (seeded model)', () => {
  it('replays exactly what was not released after every restart, clean or not, whatever came before', async () => {
    const seeds = Number(process.env.SPOOL_LIFECYCLE_SEEDS ?? 100);
    for (let seed = 1; seed <= seeds; seed++) await lifecycle(seed);
  });
});
