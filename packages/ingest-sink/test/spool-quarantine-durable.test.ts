import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrames } from '../src/spool/record.js';
import { Spool } from '../src/spool/spool.js';
import { traced } from './helpers/strace.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-quarantine-')));
afterEach(() => cleanup());

describe('spool quarantine, at the system-call level (strace)', () => {
  it('makes the copy of a corrupt tail durable (the new quarantine directory, the copy, its directory entry) before it cuts the segment: a power cut can lose the cut, never the only copy', async () => {
    const { spool } = await Spool.open({ dir });
    const starts: number[] = [];
    for (const line of ['first', 'second', 'third']) starts.push((await spool.append(encodeFrames([{ line: `${line} ${'x'.repeat(100)}` }]).buffer)).end);
    await spool.close(false);
    const seg = join(dir, 'seg-000000000001.log');
    const bytes = await readFile(seg);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff; // in the last record's payload: a corrupt tail
    await writeFile(seg, bytes);

    const run = await traced(dir, ['-e', 'trace=fsync,fdatasync,ftruncate,truncate'], 'replay-spool.ts', dir);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as { corruptTails: number; quarantined: string[] };
    expect(report).toMatchObject({ corruptTails: 1, quarantined: [expect.stringContaining(join(dir, 'quarantine'))] });
    // Lines as `PID fdatasync(FD</path>) = 0`: strace -y prints each descriptor's path.
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const index = (call: string, path: string, rest = '') => run.trace.findIndex((l) => new RegExp(`^\\d+ +${call}\\(\\d+<${esc(path)}>${rest}\\) = 0$`).test(l));
    const order = {
      spoolDirSynced: index('fsync', dir),
      copySynced: index('f(?:data)?sync', report.quarantined[0]!),
      quarantineDirSynced: index('fsync', join(dir, 'quarantine')),
      // Cut where the third record starts.
      cut: index('ftruncate', seg, `, ${starts[2]}`),
    };
    expect(Object.values(order).every((i) => i >= 0), JSON.stringify(run.trace)).toBe(true);
    expect(order.spoolDirSynced).toBeLessThan(order.copySynced);
    expect(order.copySynced).toBeLessThan(order.quarantineDirSynced);
    expect(order.quarantineDirSynced).toBeLessThan(order.cut);
  });
});
