import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartialJournal } from '../src/normalize/partial-journal.js';
import { tempDir } from './helpers/tmp.js';

const repo = resolve(import.meta.dirname, '../../..');
const fixture = join(import.meta.dirname, 'fixtures/journal-under-size-limit.ts');
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-journal-full-')));
afterEach(() => cleanup());

describe('partial-line journal on a full disk (a file size limit cuts writes short, as ENOSPC does)', () => {
  it('a record cut short is refused with SINK_SPOOL_IO and cut back off the file: every record that resolved is read back, nothing is damaged', async () => {
    const path = join(dir, 'partial-lines.journal');
    const node = [process.execPath, '--import', 'tsx', '--conditions', '@audit-trail/source', fixture, path, '30'];
    // bash, not sh: bash counts ulimit -f in KiB. 64 KiB hold 12 records of ~5 KB and part of the 13th.
    const { stdout } = await promisify(execFile)('/bin/bash', ['-c', 'ulimit -f 64 && exec "$@"', 'bash', ...node], { cwd: repo });
    const { resolved, failed } = JSON.parse(stdout) as { resolved: string[]; failed: { key: string; code: string; message: string }[] };
    expect(resolved.length).toBeGreaterThanOrEqual(10);
    expect(resolved.length).toBeLessThan(30);
    expect(failed.length).toBe(30 - resolved.length);
    expect(failed[0]).toMatchObject({ key: `c/line${resolved.length}`, code: 'SINK_SPOOL_IO', message: expect.stringMatching(/EFBIG/) });
    expect((await stat(path)).size).toBeLessThanOrEqual(64 * 1024);

    const { journal, report } = await PartialJournal.open(path);
    expect(report.damagedBytes).toBe(0);
    expect(report.pieces.map((p) => p.key)).toEqual(resolved);
    expect(report.pieces.every((p, i) => p.bytes.equals(Buffer.alloc(5000, 0x61 + (i % 26))))).toBe(true);
    await journal.close();
  });
});
