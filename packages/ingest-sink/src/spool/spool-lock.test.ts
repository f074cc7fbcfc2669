import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmp.js';
import { selfIdentity, startTimeOf, startTimeOfPid } from './process-identity.js';
import { lockSpool } from './spool-lock.js';

let dir: string;
let cleanup: () => Promise<void>;
let children: ChildProcess[] = [];
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-lock-')));
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
  await cleanup();
});

const lockPath = () => join(dir, 'LOCK');
const me = () => selfIdentity()!;

/** A live process that is not a sink. */
async function sleeper(): Promise<ChildProcess> {
  const c = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(c);
  await once(c, 'spawn');
  return c;
}

describe('startTimeOf (proc(5) /proc/PID/stat field 22)', () => {
  it('counts fields from the last parenthesis: a command name with spaces and parentheses does not shift them', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[19] = '987654';
    expect(startTimeOf(`42 (a) b (c) ${fields.join(' ')}`)).toBe('987654');
    expect(startTimeOf('42 (short) S 1')).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('lockSpool (Linux: holders told apart by pid, start time, boot and PID namespace)', () => {
  it('names this process by its start time, the same that /proc gives for its pid', () => {
    expect(me().pid).toBe(process.pid);
    expect(me().start).toBe(startTimeOfPid(process.pid));
    expect(me().pidns).toMatch(/^pid:\[\d+\]$/);
  });

  it('refuses a lock held by this process (another thread, or a second open), and takes one over that names this pid without this start time (an earlier process with the pid: a restarted container\'s pid 1)', async () => {
    await writeFile(lockPath(), JSON.stringify(me()));
    await expect(lockSpool(dir)).rejects.toMatchObject({ code: 'SINK_SPOOL_IO', message: expect.stringContaining('already open in this process') });
    await writeFile(lockPath(), JSON.stringify({ ...me(), start: '1' }));
    const unlock = await lockSpool(dir);
    expect(JSON.parse(await readFile(lockPath(), 'utf8'))).toEqual(me());
    await unlock();
    // A lock of earlier versions: the pid alone.
    await writeFile(lockPath(), String(process.pid));
    await (await lockSpool(dir))();
  });

  it('refuses a lock of a live process, and takes it over when the pid now belongs to a process started later (pid reuse)', async () => {
    const live = await sleeper();
    const holder = { pid: live.pid!, start: startTimeOfPid(live.pid!)!, boot: me().boot, pidns: me().pidns, host: 'h1' };
    await writeFile(lockPath(), JSON.stringify(holder));
    await expect(lockSpool(dir)).rejects.toMatchObject({ code: 'SINK_SPOOL_IO', message: `spool ${dir} is in use by process ${live.pid} on h1; each sink needs a spool of its own: give this one another directory (spool.dir, or audit-trail --spool DIR)` });
    // The pid alone (earlier versions): refused too.
    await writeFile(lockPath(), String(live.pid));
    await expect(lockSpool(dir)).rejects.toMatchObject({ code: 'SINK_SPOOL_IO' });
    await writeFile(lockPath(), JSON.stringify({ ...holder, start: String(Number(holder.start) - 1) }));
    await (await lockSpool(dir))();
  });

  it('takes over a lock of a dead process, of an earlier boot, or that cannot be read and was written over 2 s ago', async () => {
    const dead = spawn('true');
    await once(dead, 'exit');
    const past = new Date(Date.now() - 5000);
    for (const text of [
      JSON.stringify({ ...me(), pid: dead.pid, start: '5' }),
      JSON.stringify({ ...me(), pid: (await sleeper()).pid, boot: 'another-boot' }),
      '',
      '{"pid": "1"',
      '0',
    ]) {
      await writeFile(lockPath(), text);
      await utimes(lockPath(), past, past);
      await (await lockSpool(dir))();
    }
  });

  it('waits for a lock that cannot be read yet (created, not yet written): judges it once written, takes it over when it stays empty for 2 s', async () => {
    await writeFile(lockPath(), '');
    const judged = lockSpool(dir);
    await sleep(100);
    await writeFile(lockPath(), JSON.stringify(me()));
    await expect(judged).rejects.toMatchObject({ message: expect.stringContaining('already open in this process') });
    await writeFile(lockPath(), '');
    const t0 = Date.now();
    await (await lockSpool(dir))();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
  });

  it('judges a holder in another PID namespace by its renewals: refused once one is seen, taken over when none comes within staleMs', async () => {
    const timing = { renewMs: 50, staleMs: 600 };
    await writeFile(lockPath(), JSON.stringify({ ...me(), pid: 1, pidns: 'pid:[1]', host: 'web-1' }));
    // Renewed by its holder meanwhile.
    const renewing = setInterval(() => void utimes(lockPath(), new Date(), new Date()), timing.renewMs);
    try {
      await expect(lockSpool(dir, timing)).rejects.toMatchObject({ message: expect.stringMatching(/in use by process 1 on web-1 in another PID namespace/) });
    } finally {
      clearInterval(renewing);
    }
    // Not renewed: taken over staleMs after the last renewal.
    const last = (await stat(lockPath())).mtimeMs;
    await (await lockSpool(dir, timing))();
    expect(Date.now() - last).toBeGreaterThanOrEqual(timing.staleMs);
    // Already stale: taken over at once.
    await writeFile(lockPath(), JSON.stringify({ ...me(), pid: 1, pidns: 'pid:[1]' }));
    const past = new Date(Date.now() - 2000);
    await utimes(lockPath(), past, past);
    const t0 = Date.now();
    await (await lockSpool(dir, timing))();
    expect(Date.now() - t0).toBeLessThan(timing.staleMs);
  });

  it('renews its lock while held, and on release removes it only if it is still its own', async () => {
    const unlock = await lockSpool(dir, { renewMs: 30, staleMs: 1000 });
    const past = new Date(Date.now() - 60_000);
    await utimes(lockPath(), past, past);
    await sleep(200);
    expect(Date.now() - (await stat(lockPath())).mtimeMs).toBeLessThan(1000);
    // Taken over meanwhile (this holder was judged dead): the new holder's lock stays.
    await writeFile(lockPath(), JSON.stringify({ ...me(), start: '7' }));
    await unlock();
    expect(JSON.parse(await readFile(lockPath(), 'utf8')).start).toBe('7');
    expect((await readdir(dir)).sort()).toEqual(['LOCK']);
  });
});
