import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SinkError } from '../sink/errors.js';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { selfIdentity, startTimeOfPid, type ProcessIdentity } from './process-identity.js';

/**
 * How often the holder renews its lock (the file's mtime), and how long a
 * lock held from another PID namespace may go unrenewed before its holder is
 * taken for dead and the lock taken over.
 */
export interface LockTiming {
  renewMs: number;
  staleMs: number;
}

/**
 * Defaults: renewed every 2 s; a holder in another namespace is dead after
 * 15 s without renewal. A restarted container's sink waits at most that
 * long for its previous incarnation's lock; only an event loop blocked for
 * 15 s would let a live holder lose it.
 */
export const LOCK_TIMING: LockTiming = { renewMs: 2_000, staleMs: 15_000 };

/** Who holds a lock, as its file says (earlier versions wrote the pid alone). */
type LockOwner = Partial<ProcessIdentity> & { pid: number };

function parseOwner(text: string): LockOwner | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) > 0 ? { pid: Number(t) } : undefined;
  try {
    const o = JSON.parse(t) as Record<string, unknown>;
    if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 0) return undefined;
    const owner: LockOwner = { pid: o.pid as number };
    for (const k of ['start', 'boot', 'pidns', 'host'] as const) if (typeof o[k] === 'string') owner[k] = o[k];
    return owner;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What the lock file says of its holder: running (`live`, why we think so),
 * gone (`stale`), or in another PID namespace and renewed `mtimeMs` ago:
 * `watch` it for a renewal.
 */
type Judgement = { live: string } | { stale: true } | { watch: string };

/**
 * The remedy, in the refusal: a second `audit-trail ingest` of the same
 * database, or `serve` beside one, got only "in use by process N" and no
 * hint of how to run both (found by a probe).
 */
const ONE_SINK_PER_SPOOL = '; each sink needs a spool of its own: give this one another directory (spool.dir, or audit-trail --spool DIR)';

/** How long a lock that cannot be read may still be one being written (created, its content not yet written). */
const WRITING_MS = 2_000;

function judge(owner: LockOwner | undefined, mtimeMs: number, timing: LockTiming): Judgement | 'writing' {
  const stale = { stale: true } as const;
  // Unreadable: a holder that died between creating and writing it, unless that is happening now.
  if (!owner) return Date.now() - mtimeMs < WRITING_MS ? 'writing' : stale;
  const me = selfIdentity();
  const on = owner.host ? ` on ${owner.host}` : '';
  // Written before the machine last booted.
  if (me && owner.boot && owner.boot !== me.boot) return stale;
  if (me && owner.pidns && owner.pidns !== me.pidns) {
    // Another PID namespace: another container sharing this volume, or this
    // container's previous incarnation (each start gets a new namespace). Its
    // pid says nothing here, so the holder's renewals decide.
    if (Date.now() - mtimeMs >= timing.staleMs) return stale;
    return { watch: `in use by process ${owner.pid}${on} in another PID namespace (container), which renews its lock` };
  }
  if (owner.pid === process.pid) {
    // This pid: this process (another thread, or a second open), unless the
    // start time says an earlier process had it (a restarted process that is
    // pid 1 of its namespace every time). Without /proc there is no telling.
    if (me && owner.start !== me.start) return stale;
    return { live: 'already open in this process' };
  }
  if (!alive(owner.pid)) return stale;
  // A pid reused by a process started after the holder.
  if (me && owner.start !== undefined) {
    const now = startTimeOfPid(owner.pid);
    if (now !== undefined && now !== owner.start) return stale;
  }
  return { live: `in use by process ${owner.pid}${on}` };
}

/**
 * Watches a lock held from another PID namespace until its holder renews it
 * (true) or `staleMs` have passed since its last renewal (false: the holder
 * is dead). Also true when the lock was replaced or removed meanwhile: the
 * caller looks again.
 */
async function renewedWithin(path: string, mtimeMs: number, timing: LockTiming): Promise<boolean> {
  for (;;) {
    const wait = mtimeMs + timing.staleMs - Date.now();
    if (wait <= 0) return false;
    await sleep(Math.min(wait, Math.max(10, timing.renewMs / 2)));
    const now = await stat(path).catch(() => undefined);
    if (!now || now.mtimeMs !== mtimeMs) return true;
  }
}

const tempName = (path: string, kind: string) => `${path}.${kind}-${process.pid}-${randomBytes(6).toString('hex')}`;

/** Creates the lock holding `text` (O_EXCL): false when there is one. */
async function create(path: string, text: string): Promise<boolean> {
  try {
    await writeFile(path, text, { flag: 'wx', mode: PRIVATE_FILE_MODE });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes the stale lock judged from `text`: moved aside first (one rename
 * wins), then deleted if it is still that lock; a lock that a faster
 * starter put in place meanwhile is put back.
 */
async function removeStale(path: string, text: string): Promise<void> {
  const aside = tempName(path, 'stale');
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => text);
  // Not link(2): FAT, exFAT and some network filesystems have none.
  if (moved !== text) await writeFile(path, moved, { flag: 'wx', mode: PRIVATE_FILE_MODE }).catch(() => undefined);
  await rm(aside, { force: true });
}

/**
 * Takes the spool directory for this process: two sinks appending to one
 * spool would interleave frames. The lock file names its holder by pid,
 * start time, boot and PID namespace (process-identity.ts), so a lock left
 * by a process that died (crash, SIGKILL, a container restarted with the
 * same pid) is taken over, and one held by a live process is
 * `SINK_SPOOL_IO`. A holder in another PID namespace (another container, or
 * this container before its restart) cannot be seen: it renews the lock
 * every `renewMs`, so the lock is watched until it is renewed (refused) or
 * has gone `staleMs` without renewal (taken over). Resolves with the
 * function that releases the lock.
 */
export async function lockSpool(dir: string, timing: LockTiming = LOCK_TIMING): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  const mine = JSON.stringify(selfIdentity() ?? { pid: process.pid, host: hostname() });
  for (let attempt = 0; attempt < 3; ) {
    if (await create(path, mine)) return holding(path, mine, timing);
    const held = await Promise.all([readFile(path, 'utf8'), stat(path)]).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    // Gone between the two steps: try again.
    if (!held) {
      attempt++;
      continue;
    }
    const [text, { mtimeMs }] = held;
    const verdict = judge(parseOwner(text), mtimeMs, timing);
    if (verdict === 'writing') {
      await sleep(20);
      continue;
    }
    attempt++;
    if ('live' in verdict) throw new SinkError('SINK_SPOOL_IO', `spool ${dir} is ${verdict.live}${ONE_SINK_PER_SPOOL}`);
    if ('watch' in verdict && (await renewedWithin(path, mtimeMs, timing))) {
      if ((await readFile(path, 'utf8').catch(() => undefined)) === text) throw new SinkError('SINK_SPOOL_IO', `spool ${dir} is ${verdict.watch}${ONE_SINK_PER_SPOOL}`);
      continue;
    }
    await removeStale(path, text);
  }
  throw new SinkError('SINK_SPOOL_IO', `cannot lock spool ${dir}: its lock keeps changing hands`);
}

/** Renews the lock until released; releasing removes it only if it is still this holder's. */
function holding(path: string, mine: string, timing: LockTiming): () => Promise<void> {
  const renew = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, timing.renewMs);
  renew.unref();
  return async () => {
    clearInterval(renew);
    if ((await readFile(path, 'utf8').catch(() => undefined)) === mine) await rm(path, { force: true });
  };
}
