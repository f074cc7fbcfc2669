// The spool's lock across PID namespaces, with real ones (unshare(1), in a
// user namespace so no privilege is needed): a container's entry point is
// pid 1 in every incarnation, and containers on one host may share a volume.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../src/spool/spool.js';
import { tempDir } from './helpers/tmp.js';

const repo = resolve(import.meta.dirname, '../../..');
const timing = { renewMs: 100, staleMs: 1000 };
let dir: string;
let cleanup: () => Promise<void>;
let kills: (() => void)[] = [];
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-lock-ns-')));
afterEach(async () => {
  for (const k of kills) k();
  kills = [];
  await cleanup();
});

/**
 * Starts the holder fixture as pid 1 of a new PID namespace; resolves with
 * its first line and a kill that SIGKILLs it (--kill-child: the kernel
 * kills it when unshare dies).
 */
async function holderInNamespace(): Promise<{ line: string; kill: () => Promise<void> }> {
  const child = spawn(
    'unshare',
    ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, '--import', 'tsx', '--conditions', '@audit-trail/source', join(import.meta.dirname, 'fixtures/spool-holder.ts'), dir, String(timing.renewMs), String(timing.staleMs)],
    { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  kills.push(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  return { line: first.done ? '(exited)' : first.value, kill };
}

describe.runIf(process.platform === 'linux')('spool lock across PID namespaces (unshare)', () => {
  it('a container restarted after SIGKILL takes over the lock its previous incarnation left, though both were pid 1, once that lock has gone staleMs unrenewed', async () => {
    const first = await holderInNamespace();
    expect(first.line).toBe('locked 1');
    await first.kill();
    const lastRenewal = (await stat(join(dir, 'LOCK'))).mtimeMs;
    const second = await holderInNamespace();
    expect(second.line).toBe('locked 1');
    expect(Date.now() - lastRenewal).toBeGreaterThanOrEqual(timing.staleMs);
    await second.kill();
  });

  it('a holder in another PID namespace keeps the lock while it lives (it renews it), and loses it once dead for staleMs', async () => {
    const holder = await holderInNamespace();
    expect(holder.line).toBe('locked 1');
    // Longer than staleMs: only the holder's renewals keep the lock fresh.
    await sleep(timing.staleMs * 1.5);
    const refusedAt = Date.now();
    await expect(Spool.open({ dir, lockTiming: timing })).rejects.toMatchObject({ code: 'SINK_SPOOL_IO', message: expect.stringMatching(/in use by process 1 on .* in another PID namespace/) });
    // Refused as soon as a renewal is seen, not after staleMs.
    expect(Date.now() - refusedAt).toBeLessThan(timing.staleMs);
    // A second container beside it: refused too.
    expect((await holderInNamespace()).line).toMatch(/^refused .*in use by process 1 .*another PID namespace/);
    await holder.kill();
    const lastRenewal = (await stat(join(dir, 'LOCK'))).mtimeMs;
    const { spool } = await Spool.open({ dir, lockTiming: timing });
    expect(Date.now() - lastRenewal).toBeGreaterThanOrEqual(timing.staleMs);
    await spool.close(true);
  });
});
