import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traced } from './helpers/strace.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-syscall-')));
afterEach(() => cleanup());

/**
 * System calls the kernel fails (EIO on a dying disk, on NFS) that cannot be
 * made to fail for real here: strace injects the error into a child process
 * running a fixture, `-P` keeping every other file's calls untouched.
 */
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

describe('spool: a delivered segment whose unlink fails (strace injects EIO)', () => {
  it.each([
    [0, 'keeps the watermark at close while that segment is left on disk: the next start replays nothing (it was forgotten before its unlink, the watermark removed, and its records delivered again)'],
    [1, 'keeps the watermark at close after a replay that finds the segment wholly delivered and cannot delete it either: the third start replays nothing (replay forgot it, close() removed the watermark, and its records were delivered again; found by a review)'],
  ])('with %i start(s) between, %s', async (emptyStarts) => {
    const seg1 = join(dir, 'seg-000000000001.log');
    const run = await traced(dir, ['-P', seg1, '-e', 'trace=unlink,unlinkat', '-e', 'inject=unlink,unlinkat:error=EIO'], 'release-through-failed-unlink.ts', dir, String(emptyStarts));
    expect(run.code).toBe(0);
    expect(run.trace.some((l) => /unlink(at)?\(.*seg-000000000001\.log.*= -1 EIO .*\(INJECTED\)/.test(l)), run.trace.join('\n')).toBe(true);
    expect(JSON.parse(run.out)).toEqual({ left: ['seg-000000000001.log'], replayed: [] });
  });
});

describe('spool: an empty segment a roll cannot delete (strace injects EIO into its fdatasync and unlink)', () => {
  it('is passed over by a read of the records around it (it stayed known with no sealed end, and the read threw "gone before its records were delivered")', async () => {
    const seg2 = join(dir, 'seg-000000000002.log');
    const run = await traced(dir, ['-P', seg2, '-e', 'trace=fdatasync,unlink,unlinkat', '-e', 'inject=fdatasync,unlink,unlinkat:error=EIO'], 'read-past-undeletable-empty-segment.ts', dir);
    expect(run.code).toBe(0);
    expect(run.trace.some((l) => /unlink(at)?\(.*seg-000000000002\.log.*= -1 EIO .*\(INJECTED\)/.test(l)), run.trace.join('\n')).toBe(true);
    expect(JSON.parse(run.out)).toEqual({ outcomes: ['A kept', 'B SINK_SPOOL_IO', 'C kept'], read: ['A', 'C'] });
  });
});

describe('spool: a bad tail whose quarantine copy cannot be made (strace fails the quarantine mkdir with ENOSPC)', () => {
  it('keeps the watermark at close while the segment is kept for it: the next start does not deliver its good records again (close() removed the watermark)', async () => {
    const run = await traced(dir, ['-P', join(dir, 'quarantine'), '-e', 'trace=mkdir', '-e', 'inject=mkdir:error=ENOSPC'], 'close-after-failed-quarantine.ts', dir);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.out) as { second: string[]; replayed: string[] };
    expect(out.second[0]).toMatch(/left in place, not quarantined/);
    expect(out.replayed).toEqual([]);
  });
});
