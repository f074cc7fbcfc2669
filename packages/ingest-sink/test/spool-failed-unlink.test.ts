import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traced } from './helpers/strace.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-failed-unlink-')));
afterEach(() => cleanup());

describe('spool: a delivered segment whose unlink fails (strace injects EIO)', () => {
  it('keeps the watermark at close while that segment is left on disk: the next start replays nothing (it was forgotten before its unlink, the watermark removed, and its records delivered again)', async () => {
    const seg1 = join(dir, 'seg-000000000001.log');
    const run = await traced(dir, ['-P', seg1, '-e', 'trace=unlink,unlinkat', '-e', 'inject=unlink,unlinkat:error=EIO'], 'release-through-failed-unlink.ts', dir);
    expect(run.code).toBe(0);
    expect(run.trace.some((l) => /unlink(at)?\(.*seg-000000000001\.log.*= -1 EIO .*\(INJECTED\)/.test(l)), run.trace.join('\n')).toBe(true);
    expect(JSON.parse(run.out)).toEqual({ left: ['seg-000000000001.log'], replayed: [] });
  });
});
