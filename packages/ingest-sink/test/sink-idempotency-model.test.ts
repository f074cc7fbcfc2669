import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink } from '../src/index.js';
import { chainEvent, makeEvent } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';
import { prngInt } from '../../../test/support/prng.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-model-')));
afterEach(() => cleanup());


type Ev = Record<string, unknown> & { event_id: string; integrity?: { chain_id: string; seq: number } };

/**
 * A pool of events for one workload: events of 3 chains (some positions
 * claimed by a second, forged event with another id) and unchained events.
 * Writes draw from it with repeats (resends), in batches of random size.
 */
function workload(rand: (n: number) => number): Ev[][] {
  const pool: Ev[] = [];
  for (let c = 0; c < 3; c++) {
    const chain = makeEvent().event_id as string;
    for (let seq = 1; seq <= 6; seq++) {
      pool.push(chainEvent(chain, seq) as Ev);
      if (rand(3) === 0) pool.push(chainEvent(chain, seq) as Ev);
    }
  }
  for (let i = 0; i < 10; i++) pool.push(makeEvent() as Ev);
  const batches: Ev[][] = [];
  for (let b = 0; b < 8 + rand(10); b++) batches.push(Array.from({ length: 1 + rand(15) }, () => pool[rand(pool.length)]!));
  return batches;
}

interface Stored {
  ids: string[];
  slots: { chain: string; seq: number; id: string }[];
  rejectedIds: string[];
}

/** What the database holds and what the sink counted, checked against the rules every dialect keeps. */
function checkInvariants(all: Ev[], stored: Stored, stats: { received: number; committed: number; duplicates: number; rejected: number; duplicateRejects: number; chainConflicts: number }, label: string) {
  const slotKey = (e: Ev) => `${e.integrity!.chain_id}/${e.integrity!.seq}`;
  // Each event id at most once; each chain position held once, by an event that claims it.
  expect(new Set(stored.ids).size, `${label}: an event id stored twice`).toBe(stored.ids.length);
  expect(new Set(stored.slots.map((s) => `${s.chain}/${s.seq}`)).size, `${label}: a chain position held twice`).toBe(stored.slots.length);
  const byId = new Map(all.map((e) => [e.event_id, e]));
  for (const s of stored.slots) expect(slotKey(byId.get(s.id)!), label).toBe(`${s.chain}/${s.seq}`);
  // Every event written is stored, or was refused because another event holds its position.
  const held = new Map(stored.slots.map((s) => [`${s.chain}/${s.seq}`, s.id]));
  for (const e of new Map(all.map((x) => [x.event_id, x])).values()) {
    if (stored.ids.includes(e.event_id)) continue;
    expect(e.integrity, `${label}: unchained event ${e.event_id} lost`).toBeDefined();
    expect(held.get(slotKey(e)), `${label}: ${e.event_id} neither stored nor displaced`).not.toBe(e.event_id);
    expect(held.has(slotKey(e)), label).toBe(true);
    expect(stored.rejectedIds, `${label}: ${e.event_id} displaced without a reject row`).toContain(e.event_id);
  }
  // A displaced event is one reject row, however often it was resent (its reject_key).
  expect(new Set(stored.rejectedIds).size, `${label}: a refused forgery stored twice`).toBe(stored.rejectedIds.length);
  // Every item written is counted once: a row, a duplicate, a conflict reject, or a repeat of one.
  expect(stats.received, label).toBe(all.length);
  expect(stats.committed + stats.duplicates + stats.rejected + stats.duplicateRejects, label).toBe(all.length);
  expect(stats.rejected + stats.duplicateRejects, label).toBe(stats.chainConflicts);
  expect(stats.committed, label).toBe(stored.ids.length);
  expect(stored.rejectedIds.length, label).toBe(stats.rejected);
}

/** The outcome of writing the batches one at a time in order: the first claimant of an id or a position wins. */
function sequentialModel(batches: Ev[][]): { ids: Set<string>; conflicts: number; duplicates: number; displaced: Set<string> } {
  const ids = new Set<string>();
  const slots = new Set<string>();
  const displaced = new Set<string>();
  let conflicts = 0;
  let duplicates = 0;
  for (const e of batches.flat()) {
    const slot = e.integrity ? `${e.integrity.chain_id}/${e.integrity.seq}` : undefined;
    if (ids.has(e.event_id)) duplicates++;
    else if (slot && slots.has(slot)) {
      conflicts++;
      displaced.add(e.event_id);
    } else {
      ids.add(e.event_id);
      if (slot) slots.add(slot);
    }
  }
  return { ids, conflicts, duplicates, displaced };
}

describe('idempotency against a model (seeded workloads of resends and forged chain positions)', () => {
  it('SQLite: exactly what writing the items one at a time in order gives, whatever the batching', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rand = prngInt(seed * 31337);
      const batches = workload(rand);
      const file = join(dir, `s${seed}.db`);
      const sink = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, `s${seed}.spool`) }, batch: { maxRows: 1 + rand(20) } });
      for (const b of batches) {
        await sink.write(b);
        if (rand(3) === 0) await sink.flush();
      }
      await sink.flush();
      const stats = sink.stats();
      await sink.close();
      const d = new Database(file, { readonly: true });
      const rows = d.prepare('SELECT event_id AS id, chain_id AS chain, seq FROM security_audit_events').all() as { id: string; chain: string | null; seq: number | null }[];
      const rejectedIds = (d.prepare('SELECT raw_payload FROM security_audit_rejects').all() as { raw_payload: string }[]).map((r) => JSON.parse(r.raw_payload).event_id as string);
      d.close();
      const stored = { ids: rows.map((r) => r.id), slots: rows.filter((r) => r.chain !== null).map((r) => ({ chain: r.chain!, seq: Number(r.seq), id: r.id })), rejectedIds };
      const all = batches.flat();
      checkInvariants(all, stored, stats, `seed ${seed}`);
      const model = sequentialModel(batches);
      expect(new Set(stored.ids), `seed ${seed}`).toEqual(model.ids);
      // A refused forgery sent twice in one batch is one conflict and one duplicate (copies of an
      // event id are collapsed before the database); in two batches, two conflicts. So only the sum
      // is the model's whatever the batching.
      expect(stats.duplicates + stats.chainConflicts, `seed ${seed}`).toBe(model.duplicates + model.conflicts);
      expect(stats.chainConflicts, `seed ${seed}`).toBeLessThanOrEqual(model.conflicts);
      // Each displaced forgery is one reject row, whatever the batching.
      expect(new Set(stored.rejectedIds), `seed ${seed}`).toEqual(model.displaced);
    }
  });

  it('PostgreSQL: the same rules with two batches in flight on two connections (which claimant of a position wins may differ)', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rand = prngInt(seed * 7777);
      const batches = workload(rand);
      const pg = await createTempDatabase('at_model');
      try {
        // Both load paths: COPY (direct, then staging) and unnest.
        const load = seed % 2 === 0 ? 'copy' : 'unnest';
        const sink = createSink({ connection: { dialect: 'postgres', connectionString: pg.url, load }, migrate: true, spool: { dir: join(dir, `p${seed}.spool`) }, batch: { maxRows: 1 + rand(20), maxDelayMs: 0 } });
        for (const b of batches) await sink.write(b);
        await sink.flush();
        const stats = sink.stats();
        await sink.close();
        const rows = (await pg.query('SELECT event_id::text AS id, chain_id::text AS chain, seq FROM security_audit_events')).rows as { id: string; chain: string | null; seq: string | null }[];
        const rejectedIds = (await pg.query('SELECT raw_payload FROM security_audit_rejects')).rows.map((r: { raw_payload: string }) => JSON.parse(r.raw_payload).event_id as string);
        const stored = { ids: rows.map((r) => r.id), slots: rows.filter((r) => r.chain !== null).map((r) => ({ chain: r.chain!, seq: Number(r.seq), id: r.id })), rejectedIds };
        checkInvariants(batches.flat(), stored, stats, `seed ${seed} (${load})`);
      } finally {
        await pg.drop();
      }
    }
  }, 60_000);
});
