import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { traced } from './helpers/strace.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-failed-hole-')));
afterEach(() => cleanup());

describe('spool: damage read back whose hole cannot be made durable (strace injects EIO on the holes file)', () => {
  it('keeps the quarantine copy: the hole line reached the page cache, so the next replay passes over the damage, and the copy is the only trace of its bytes once the segment is released (it was removed, and the intact records after the damaged one were lost)', async () => {
    const holes = join(dir, 'seg-000000000001.log.holes');
    const run = await traced(dir, ['-P', holes, '-e', 'trace=fdatasync', '-e', 'inject=fdatasync:error=EIO'], 'hole-through-failed-sync.ts', dir);
    expect(run.code).toBe(0);
    expect(run.trace.some((l) => /fdatasync\(\d+<.*\.holes>\) = -1 EIO .*\(INJECTED\)/.test(l)), run.trace.join('\n')).toBe(true);
    const out = JSON.parse(run.out) as { skipped: number; corruptTails: number; salvaged: string[] };
    expect(out.skipped).toBe(1);
    // The damage was not found again on replay (the hole held)...
    expect(out.corruptTails).toBe(0);
    // ...so C and D, intact behind the damaged B, survive only in quarantine/.
    expect(out.salvaged).toEqual(['C', 'D']);
  });
});
