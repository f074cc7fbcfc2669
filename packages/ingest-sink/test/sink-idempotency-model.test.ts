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
 * claimed by a second, forged event with another id), unchained events, and
 * some events again under the same event_id with other content (a reused
 * id). Writes draw from it with repeats (resends), in batches of random size.
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
  for (const e of pool.slice()) if (rand(4) === 0) pool.push({ ...e, user_id: `reused-${pool.length}` });
  const batches: Ev[][] = [];
  for (let b = 0; b < 8 + rand(10); b++) batches.push(Array.from({ length: 1 + rand(15) }, () => pool[rand(pool.length)]!));
  return batches;
}

/** An item's content: the line the sink receives for it (each pool object is serialised the same way every time). */
const contentOf = (e: Ev) => JSON.stringify(e);

interface Stored {
  /** Stored events: event_id and event_json. */
  events: { id: string; json: string }[];
  slots: { chain: string; seq: number; id: string }[];
  rejects: { reason: string; raw: string }[];
}

type Stats = { received: number; committed: number; duplicates: number; rejected: number; duplicateRejects: number; chainConflicts: number; eventIdConflicts: number };

/** What the database holds and what the sink counted, checked against the rules every dialect keeps. */
function checkInvariants(all: Ev[], stored: Stored, stats: Stats, label: string) {
  const slotKey = (e: Ev) => `${e.integrity!.chain_id}/${e.integrity!.seq}`;
  const ids = stored.events.map((e) => e.id);
  // Each event id at most once; each chain position held once, by an event that claims it.
  expect(new Set(ids).size, `${label}: an event id stored twice`).toBe(ids.length);
  expect(new Set(stored.slots.map((s) => `${s.chain}/${s.seq}`)).size, `${label}: a chain position held twice`).toBe(stored.slots.length);
  const storedJson = new Map(stored.events.map((e) => [e.id, e.json]));
  for (const s of stored.slots) expect(slotKey(JSON.parse(storedJson.get(s.id)!)), label).toBe(`${s.chain}/${s.seq}`);
  // Every content written is stored, or is one reject row: an event_id conflict when its id holds
  // another event, else a chain position conflict (another event_id holds its position).
  const held = new Map(stored.slots.map((s) => [`${s.chain}/${s.seq}`, s.id]));
  const rejected = new Map(stored.rejects.map((r) => [r.raw, r.reason]));
  expect(rejected.size, `${label}: a refused event stored twice`).toBe(stored.rejects.length);
  for (const e of new Map(all.map((x) => [contentOf(x), x])).values()) {
    const content = contentOf(e);
    if (storedJson.get(e.event_id) === content) continue;
    const reason = rejected.get(content);
    expect(reason, `${label}: ${content} neither stored nor rejected`).toBeDefined();
    if (storedJson.has(e.event_id)) expect(reason, label).toMatch(new RegExp(`^EVENT_ID_CONFLICT: event_id=${e.event_id} `));
    else {
      expect(reason, label).toMatch(/^CHAIN_POSITION_CONFLICT: /);
      expect(held.get(slotKey(e)), `${label}: ${e.event_id} displaced by nothing`).toBeDefined();
      expect(held.get(slotKey(e)), label).not.toBe(e.event_id);
    }
  }
  // Every item written is counted once: a row, a duplicate, a conflict reject, or a repeat of one.
  expect(stats.received, label).toBe(all.length);
  expect(stats.committed + stats.duplicates + stats.rejected + stats.duplicateRejects, label).toBe(all.length);
  expect(stats.rejected + stats.duplicateRejects, label).toBe(stats.chainConflicts + stats.eventIdConflicts);
  expect(stats.committed, label).toBe(ids.length);
  expect(stored.rejects.length, label).toBe(stats.rejected);
}

/** The outcome of writing the batches one at a time in order: the first claimant of an id or a position wins. */
function sequentialModel(batches: Ev[][]) {
  const stored = new Map<string, string>();
  const slots = new Set<string>();
  const refused = new Set<string>();
  let conflicts = 0;
  let idConflicts = 0;
  let duplicates = 0;
  for (const e of batches.flat()) {
    const slot = e.integrity ? `${e.integrity.chain_id}/${e.integrity.seq}` : undefined;
    const content = contentOf(e);
    const held = stored.get(e.event_id);
    if (held === content) duplicates++;
    else if (held !== undefined) {
      idConflicts++;
      refused.add(content);
    } else if (slot && slots.has(slot)) {
      conflicts++;
      refused.add(content);
    } else {
      stored.set(e.event_id, content);
      if (slot) slots.add(slot);
    }
  }
  return { stored, conflicts, idConflicts, duplicates, refused };
}

describe('idempotency against a model (seeded workloads of resends, forged chain positions and reused event ids)', () => {
  it('SQLite: exactly what writing the items one at a time in order gives, whatever the batching', async () => {
    const seen = { conflicts: 0, idConflicts: 0, duplicates: 0 };
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
      const rows = d.prepare('SELECT event_id AS id, chain_id AS chain, seq, event_json AS json FROM security_audit_events').all() as { id: string; chain: string | null; seq: number | null; json: string }[];
      const rejects = d.prepare('SELECT reason, raw_payload AS raw FROM security_audit_rejects').all() as { reason: string; raw: string }[];
      d.close();
      const stored = { events: rows, slots: rows.filter((r) => r.chain !== null).map((r) => ({ chain: r.chain!, seq: Number(r.seq), id: r.id })), rejects };
      const all = batches.flat();
      checkInvariants(all, stored, stats, `seed ${seed}`);
      const model = sequentialModel(batches);
      for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += model[k];
      expect(new Map(rows.map((r) => [r.id, r.json])), `seed ${seed}`).toEqual(model.stored);
      // Repeats inside a batch are decided by the database in later rounds, as in separate batches: the counts are the model's.
      expect({ duplicates: stats.duplicates, chainConflicts: stats.chainConflicts, eventIdConflicts: stats.eventIdConflicts }, `seed ${seed}`).toEqual({
        duplicates: model.duplicates,
        chainConflicts: model.conflicts,
        eventIdConflicts: model.idConflicts,
      });
      // Each refused event is one reject row, whatever the batching.
      expect(new Set(rejects.map((r) => r.raw)), `seed ${seed}`).toEqual(model.refused);
    }
    // The workloads hold every case the rules are about.
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(10);
  });

  it('PostgreSQL: the same outcome with two batches in flight on two connections (a batch sharing an id or a position with one in flight waits for its commit)', async () => {
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
        const rows = (await pg.query('SELECT event_id::text AS id, chain_id::text AS chain, seq, event_json AS json FROM security_audit_events')).rows as { id: string; chain: string | null; seq: string | null; json: string }[];
        const rejects = (await pg.query('SELECT reason, raw_payload AS raw FROM security_audit_rejects')).rows as { reason: string; raw: string }[];
        const stored = { events: rows, slots: rows.filter((r) => r.chain !== null).map((r) => ({ chain: r.chain!, seq: Number(r.seq), id: r.id })), rejects };
        checkInvariants(batches.flat(), stored, stats, `seed ${seed} (${load})`);
        const model = sequentialModel(batches);
        expect(new Map(rows.map((r) => [r.id, r.json])), `seed ${seed} (${load})`).toEqual(model.stored);
        expect(new Set(rejects.map((r) => r.raw)), `seed ${seed} (${load})`).toEqual(model.refused);
        expect({ duplicates: stats.duplicates, chainConflicts: stats.chainConflicts, eventIdConflicts: stats.eventIdConflicts }, `seed ${seed} (${load})`).toEqual({
          duplicates: model.duplicates,
          chainConflicts: model.conflicts,
          eventIdConflicts: model.idConflicts,
        });
      } finally {
        await pg.drop();
      }
    }
  }, 60_000);
});
