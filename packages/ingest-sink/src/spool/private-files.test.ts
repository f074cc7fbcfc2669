import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink } from '../index.js';
import { PartialJournal } from '../normalize/partial-journal.js';
import { makeEvents } from '../../test/helpers/events.js';
import { tempDir } from '../../test/helpers/tmp.js';
import { encodeFrames } from './record.js';
import { Spool } from './spool.js';

let dir: string;
let cleanup: () => Promise<void>;
let umask: number;
// The usual umask, whatever this runner's is: under 022 the defaults made every spool file world-readable.
beforeEach(async () => {
  umask = process.umask(0o022);
  ({ dir, cleanup } = await tempDir('at-spool-private-'));
});
afterEach(async () => {
  process.umask(umask);
  await cleanup();
});

/** Every path under `root` (itself included) whose mode lets group or others in, with that mode. */
async function opened(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (p: string) => {
    const s = await stat(p);
    if ((s.mode & 0o077) !== 0) found.push(`${p.slice(root.length) || '/'} ${(s.mode & 0o777).toString(8)}`);
    if (s.isDirectory()) for (const n of await readdir(p)) await walk(join(p, n));
  };
  await walk(root);
  return found;
}

describe('spool files hold audit events: only their owner may read them', () => {
  it('a sink creates its spool directory, segments, watermark and destination file private', async () => {
    const spool = join(dir, 'spool');
    const sink = createSink({ url: `sqlite:${join(dir, 'audit.db')}`, spool: { dir: spool }, checkIntervalMs: 0 });
    await sink.write(makeEvents(3));
    await sink.flush();
    // Left open: a segment and the watermark exist now.
    expect((await readdir(spool)).sort()).toEqual(expect.arrayContaining(['destination', 'watermark']));
    expect(await opened(spool)).toEqual([]);
    await sink.close();
  });

  it('a SQLite database the sink creates is private, with its -wal and -shm; an existing one keeps its mode', async () => {
    for (const worker of [true, false]) {
      const db = join(dir, `audit-${worker}.db`);
      const sink = createSink({ connection: { dialect: 'sqlite', filename: db, worker }, spool: { dir: join(dir, `spool-${worker}`) }, checkIntervalMs: 0 });
      await sink.write(makeEvents(3));
      await sink.flush();
      // Open: the WAL and its index exist now.
      const files = (await readdir(dir)).filter((n) => n.startsWith(`audit-${worker}.db`)).sort();
      expect(files).toEqual([`audit-${worker}.db`, `audit-${worker}.db-shm`, `audit-${worker}.db-wal`]);
      expect(await opened(dir), `worker: ${worker}`).toEqual([]);
      await sink.close();
    }
    // A database that is there keeps its mode: an operator's 0640 for a reader group stays.
    const db = join(dir, 'audit-true.db');
    await chmod(db, 0o640);
    const sink = createSink({ url: `sqlite:${db}`, spool: { dir: join(dir, 'spool-again') }, checkIntervalMs: 0 });
    await sink.write(makeEvents(1));
    await sink.flush();
    expect(((await stat(db)).mode & 0o777).toString(8)).toBe('640');
    await sink.close();
  });

  it('quarantine copies and holes files are private too', async () => {
    const spool = join(dir, 'spool');
    const { spool: s } = await Spool.open({ dir: spool });
    const { buffer } = encodeFrames([{ line: 'first' }, { line: 'second' }]);
    const at = await s.append(buffer);
    const end = { seg: at.seg, end: at.end + buffer.length };
    // Damage the first record, then read it back as an outage does: a quarantine copy and a hole.
    const seg = join(spool, (await readdir(spool)).find((n) => n.startsWith('seg-'))!);
    const bytes = await readFile(seg);
    bytes[at.end + 10] = bytes[at.end + 10]! ^ 0xff;
    await writeFile(seg, bytes);
    const { skipped } = await s.read(at, end, 1 << 20);
    expect(skipped).toHaveLength(1);
    await s.close(false);
    expect((await readdir(spool)).some((n) => n.endsWith('.holes'))).toBe(true);
    expect(await readdir(join(spool, 'quarantine'))).toHaveLength(1);
    expect(await opened(spool)).toEqual([]);
  });

  it('the partial-line journal and the directory it creates are private', async () => {
    const path = join(dir, 'spool', 'partial-lines.journal');
    const { journal } = await PartialJournal.open(path);
    await journal.close();
    expect(await opened(join(dir, 'spool'))).toEqual([]);
  });
});
