import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traced } from './helpers/strace.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-failed-sync-')));
afterEach(() => cleanup());

describe('spool: an fdatasync that fails (strace injects EIO)', () => {
  it('rejects the group and cuts its frames off: a caller that writes it again has it replayed once, not twice (activeSize moved before the sync, so the failed group stayed in the segment)', async () => {
    const seg1 = join(dir, 'seg-000000000001.log');
    // Every fdatasync of the first segment fails; -P keeps the other files' calls untouched.
    const run = await traced(dir, ['-P', seg1, '-e', 'trace=fdatasync,ftruncate', '-e', 'inject=fdatasync:error=EIO'], 'append-through-failed-sync.ts', dir);
    expect(run.code).toBe(0);
    expect(run.trace.some((l) => /fdatasync\(\d+<.*seg-000000000001\.log>\) = -1 EIO .*\(INJECTED\)/.test(l)), run.trace.join('\n')).toBe(true);
    expect(JSON.parse(run.out)).toEqual({ outcomes: ['A SINK_SPOOL_IO', 'A kept', 'B kept'], replayed: ['A', 'B'] });
    // The cut left the first segment empty, and the roll away from it deleted it.
    expect((await readdir(dir)).includes('seg-000000000001.log')).toBe(false);
  });
});
