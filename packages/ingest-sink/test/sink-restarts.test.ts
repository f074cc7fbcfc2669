import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, type WriteItem } from '../src/index.js';
import { makeEvent } from './helpers/events.js';
import { tempDir } from './helpers/tmp.js';
import { prngInt } from '../../../test/support/prng.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-restarts-')));
afterEach(() => cleanup());

/**
 * One seeded life of a sink on one SQLite file and one spool: several runs,
 * each writing batches (new events, resends of earlier ones, invalid lines)
 * and ending either by flush and close or by a close that gives delivery no
 * time (what was accepted stays in the spool for the next run). The spool
 * is kept small (a tiny in-memory queue, so writes spill to disk and are read
 * back; small segments, so they roll). At the end, every event a write()
 * accepted is stored once, and every invalid line is stored once among the
 * rejects (a batch committed but not yet released from the spool when a run
 * stopped is replayed by the next: its rejects must not be stored again).
 */
async function life(seed: number): Promise<void> {
  const rand = prngInt(seed * 2654435761);
  const file = join(dir, `s${seed}.db`);
  const spoolDir = join(dir, `s${seed}.spool`);
  const accepted = new Set<string>();
  const invalid = new Set<string>();
  const written: Record<string, unknown>[] = [];
  const runs = 2 + rand(4);
  for (let run = 0; run <= runs; run++) {
    const sink = createSink({
      url: `sqlite:${file}`,
      spool: { dir: spoolDir, memoryBytes: 1 + rand(4096), segmentBytes: 512 + rand(4096) },
      batch: { maxRows: 1 + rand(40), maxDelayMs: rand(5) },
      onError: () => undefined,
    });
    await sink.ready;
    // The last run only delivers what the earlier ones left.
    const batches = run === runs ? 0 : 1 + rand(6);
    const writes: Promise<void>[] = [];
    for (let b = 0; b < batches; b++) {
      const items: WriteItem[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 1 + rand(30); i++) {
        const kind = rand(10);
        if (kind < 6 || written.length === 0) {
          const e = makeEvent() as Record<string, unknown>;
          written.push(e);
          items.push(e);
          ids.push(e.event_id as string);
        } else if (kind < 9) {
          const e = written[rand(written.length)]!;
          items.push(e);
          ids.push(e.event_id as string);
        } else {
          const line = `not an event ${seed}.${run}.${b}.${i}`;
          invalid.add(line);
          items.push(line);
        }
      }
      // Some writes awaited one by one, some left in flight together.
      const w = sink.write(items).then(() => {
        for (const id of ids) accepted.add(id);
      });
      if (rand(2) === 0) await w;
      else writes.push(w);
    }
    await Promise.all(writes);
    if (run === runs || rand(2) === 0) {
      await sink.flush();
      await sink.close();
    } else {
      await sink.close({ timeoutMs: 0 });
    }
  }
  const db = new Database(file, { readonly: true });
  const ids = (db.prepare('SELECT event_id FROM security_audit_events').all() as { event_id: string }[]).map((r) => r.event_id);
  const rejects = (db.prepare('SELECT raw_payload FROM security_audit_rejects').all() as { raw_payload: string }[]).map((r) => r.raw_payload);
  db.close();
  const label = `seed ${seed}`;
  expect(new Set(ids).size, `${label}: an event stored twice`).toBe(ids.length);
  expect([...accepted].filter((id) => !ids.includes(id)), `${label}: accepted events missing`).toEqual([]);
  expect(ids.length, label).toBe(accepted.size);
  expect([...invalid].filter((l) => !rejects.includes(l)), `${label}: invalid lines missing from rejects`).toEqual([]);
  expect(rejects.length, `${label}: an invalid line stored twice`).toBe(invalid.size);
}

describe('a sink stopped and started again and again (seeded)', () => {
  it('stores every accepted event once and every invalid line once, whatever each run left in the spool', async () => {
    const seeds = Number(process.env.SINK_RESTART_SEEDS ?? 25);
    for (let seed = 1; seed <= seeds; seed++) await life(seed);
  }, 120_000);
});
