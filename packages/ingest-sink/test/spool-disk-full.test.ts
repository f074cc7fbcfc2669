import { execFile } from 'node:child_process';
import { appendFile, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodePayload, encodeFrames } from '../src/spool/record.js';
import { Spool } from '../src/spool/spool.js';
import { createSink } from '../src/index.js';
import { createTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';

const repo = resolve(import.meta.dirname, '../../..');
const fixture = join(import.meta.dirname, 'fixtures/spool-under-size-limit.ts');
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-full-')));
afterEach(() => cleanup());

/**
 * Runs the fixture with files limited to `kib` KiB (RLIMIT_FSIZE through the
 * shell's ulimit; Node ignores SIGXFSZ, so a write past it fails with EFBIG)
 * and returns the JSON line it printed.
 */
async function underLimit<T>(kib: number, ...args: string[]): Promise<T> {
  const node = [process.execPath, '--import', 'tsx', '--conditions', '@audit-trail/source', fixture, ...args];
  // bash, not sh: bash counts ulimit -f in KiB, dash in 512-byte blocks.
  const { stdout } = await promisify(execFile)('/bin/bash', ['-c', `ulimit -f ${kib} && exec "$@"`, 'bash', ...node], { cwd: repo });
  return JSON.parse(stdout) as T;
}

const segments = async () => (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();

describe('spool on a full disk (a file size limit cuts writes short, as ENOSPC does)', () => {
  it('an append cut short is rejected with SINK_SPOOL_IO and leaves no partial frame; every append that resolved replays, and the spool goes on in a new segment', async () => {
    // Each record is ~5 KB; a 64 KiB limit cuts the 13th part way through.
    const frameBytes = encodeFrames([{ line: JSON.stringify({ i: 10, pad: 'x'.repeat(5000) }) }]).buffer.length;
    expect((64 * 1024) % frameBytes).toBeGreaterThan(0);
    const { resolved, failed } = await underLimit<{ resolved: string[]; failed: { i: number; code: string; message: string }[] }>(64, 'append', dir, '20');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]).toMatchObject({ i: Math.floor((64 * 1024) / frameBytes), code: 'SINK_SPOOL_IO', message: expect.stringMatching(/EFBIG/) });
    // After the failure the next append starts a new segment, where there is room again.
    expect(resolved.length).toBe(20 - failed.length);
    expect(resolved.length).toBeGreaterThan(12);

    const { spool, replayed, report } = await Spool.open({ dir });
    expect(report.corruptTails).toBe(0);
    expect(replayed.map((r) => decodePayload(r.payload).line)).toEqual(resolved);
    await spool.close(false);
  });

  it('a torn tail that cannot be copied to quarantine (no room) stays in place, is never loaded nor deleted nor appended after, and does not stop the spool from opening', async () => {
    const first = await Spool.open({ dir });
    const good = encodeFrames([{ line: 'good one' }]).buffer;
    const at = await first.spool.append(good);
    await first.spool.release({ seg: at.seg, end: at.end + good.length });
    await first.spool.close(false);
    const [seg] = await segments();
    const torn = encodeFrames([{ line: 't'.repeat(4000) }]).buffer.subarray(0, 3000);
    await appendFile(join(dir, seg!), torn);

    // 1 KiB per file: the 3000-byte tail cannot be copied. The segment holds
    // nothing unreleased, which would have it deleted, and it is the last one,
    // whose number the next segment would take.
    const blocked = await underLimit<{ lines: string[]; report: { corruptTails: number; quarantined: string[]; reasons: string[] } }>(1, 'open', dir, 'after the restart');
    expect(blocked.lines).toEqual([]);
    expect(blocked.report).toMatchObject({ corruptTails: 1, quarantined: [] });
    expect(blocked.report.reasons[0]).toMatch(/torn.*left in place, not quarantined: EFBIG/);
    expect((await stat(join(dir, seg!))).size).toBe(good.length + 3000);
    expect(await segments()).toHaveLength(2);

    // With room again, the next replay quarantines it and deletes the segment.
    const second = await Spool.open({ dir });
    expect(second.replayed.map((r) => decodePayload(r.payload).line)).toEqual(['after the restart']);
    expect(second.report.corruptTails).toBe(1);
    expect(await readFile(second.report.quarantined[0]!)).toEqual(torn);
    expect(await segments()).not.toContain(seg);
    await second.spool.close(false);
  });

  it('does not leave an empty segment file behind for every failed append', async () => {
    // 4 KiB per file: every ~5 KB record fails, each time in a fresh segment.
    const { resolved, failed } = await underLimit<{ resolved: string[]; failed: { code: string }[] }>(4, 'append', dir, '5');
    expect(resolved).toEqual([]);
    expect(failed.map((f) => f.code)).toEqual(Array(5).fill('SINK_SPOOL_IO'));
    const files = await segments();
    expect(files).toHaveLength(1);
    expect((await stat(join(dir, files[0]!))).size).toBe(0);
  });

  it('through the sink: a write the spool could not take rejects with SINK_SPOOL_IO, later writes go on, and the database holds exactly the events of the writes that resolved', async () => {
    // PostgreSQL, so the limit applies to the spool only (the server is another process).
    const pg = await createTempDatabase('at_spool_full');
    try {
      const migrator = createSink({ url: pg.url, spool: { dir: join(dir, 'm') } });
      await migrator.migrate();
      await migrator.close();
      // ~1 KB per event, 5 per write, 16 KiB per spool file: writes fail where a segment runs out.
      const out = await underLimit<{ resolved: string[]; failed: { code: string; message: string }[]; lastError: { code: string }; committed: number; health: { resolved: boolean; status: string; problems: string[] }[] }>(16, 'sink', join(dir, 'spool'), '12', pg.url);
      expect(out.failed.length).toBeGreaterThanOrEqual(1);
      for (const f of out.failed) expect(f).toMatchObject({ code: 'SINK_SPOOL_IO', message: expect.stringMatching(/EFBIG/) });
      expect(out.resolved.length).toBe(5 * (12 - out.failed.length));
      expect(out.lastError.code).toBe('SINK_SPOOL_IO');
      const { rows } = await pg.query('SELECT event_id FROM security_audit_events');
      expect(rows.map((r: { event_id: string }) => r.event_id).sort()).toEqual([...out.resolved].sort());
      expect(out.committed).toBe(out.resolved.length);
      // The health endpoint's verdict after each write: failing (503) from a write the spool refused until one it took.
      for (const h of out.health) {
        if (h.resolved) expect(h).toMatchObject({ status: 'ok', problems: [] });
        else expect(h).toMatchObject({ status: 'failing', problems: [expect.stringMatching(/^spool cannot store events since \S+ \(SINK_SPOOL_IO: .*EFBIG.*\): nothing is acked, senders keep their events$/)] });
      }
      expect(out.health.some((h) => !h.resolved) && out.health.some((h) => h.resolved)).toBe(true);
    } finally {
      await pg.drop();
    }
  });

  it('with the database refusing connections too, the health endpoint names each part\'s own error: the spool\'s for the spool, the database\'s for the outage', async () => {
    const out = await underLimit<{ failed: { code: string }[]; lastError: { code: string }; health: { resolved: boolean; status: string; problems: string[] }[] }>(16, 'sink-db-down', join(dir, 'spool'), '12', 'postgres://postgres@127.0.0.1:1/at_nowhere');
    expect(out.failed.length).toBeGreaterThanOrEqual(1);
    for (const h of out.health.filter((x) => !x.resolved)) {
      // The spool's failure is the latest error when it is read, yet the outage keeps the database's own.
      expect(h).toMatchObject({
        status: 'failing',
        problems: [expect.stringMatching(/^spool cannot store events since \S+ \(SINK_SPOOL_IO: .*EFBIG.*\): nothing is acked/), expect.stringMatching(/^database failing since \S+ \(SINK_DB: [^)]*ECONNREFUSED 127\.0\.0\.1:1\); events are spooled$/)],
      });
    }
  });
});
