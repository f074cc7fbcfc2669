import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink } from '../../src/index.js';
import { newestStoredTimes, openReader, readStoredEvents, type StoredOrder } from '../../src/reader/index.js';
import { chainEvent, makeEvent } from '../helpers/events.js';
import { createTempDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';
import { prngInt } from '../../../../test/support/prng.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-stored-')));
afterEach(() => cleanup());

/**
 * 4 chains of 1-9 records and 7 unsigned events, written interleaved in a
 * random order (as several producers fill one table), in several batches.
 */
async function fill(url: string): Promise<Record<string, unknown>[]> {
  const rand = prngInt(4242);
  const pending: Record<string, unknown>[][] = Array.from({ length: 4 }, () => {
    const chain = makeEvent().event_id as string;
    return Array.from({ length: 1 + rand(9) }, (_, i) => chainEvent(chain, i + 1));
  });
  pending.push(Array.from({ length: 7 }, () => makeEvent()));
  const all: Record<string, unknown>[] = [];
  for (let open = pending; open.length > 0; open = open.filter((p) => p.length > 0)) all.push(open[rand(open.length)]!.shift()!);
  const sink = createSink({ url, migrate: true, spool: { dir: join(dir, 'spool') }, batch: { maxRows: 5 } });
  for (let at = 0; at < all.length; at += 5) await sink.write(all.slice(at, at + 5));
  await sink.flush();
  await sink.close();
  return all;
}

/** Reads the table back in `order`, `pageSize` rows a page. */
async function readBack(url: string, order: StoredOrder, pageSize: number): Promise<{ id: number; chain: string | null; seq: number | null; eventId: string }[]> {
  const reader = await openReader(url);
  try {
    const out = [];
    for await (const r of readStoredEvents(reader, pageSize, order)) {
      const e = JSON.parse(r.eventJson);
      out.push({ id: r.id, chain: (e.integrity?.chain_id as string) ?? null, seq: (e.integrity?.seq as number) ?? null, eventId: e.event_id as string });
    }
    return out;
  } finally {
    await reader.close();
  }
}

/** Every row once, chain after chain in seq order, then the unsigned ones by id; the same rows as in id order. */
async function expectChainOrder(url: string, written: Record<string, unknown>[]): Promise<void> {
  for (const pageSize of [1, 3, 5000]) {
    const byChain = await readBack(url, 'chain', pageSize);
    const byId = await readBack(url, 'id', pageSize);
    expect(byChain.map((r) => r.eventId).sort(), `page ${pageSize}`).toEqual(written.map((e) => e.event_id as string).sort());
    expect(byId.map((r) => r.id), `page ${pageSize}`).toEqual([...byId.map((r) => r.id)].sort((a, b) => a - b));
    const chained = byChain.filter((r) => r.chain !== null);
    const rest = byChain.slice(chained.length);
    expect(rest.every((r) => r.chain === null), `page ${pageSize}: an unsigned row among the chains`).toBe(true);
    expect(rest.map((r) => r.id)).toEqual(byId.filter((r) => r.chain === null).map((r) => r.id));
    // Each chain's rows together and in seq order: the chain changes only when a new one starts.
    const seen = new Set<string>();
    for (let i = 0; i < chained.length; i++) {
      const r = chained[i]!;
      if (i === 0 || chained[i - 1]!.chain !== r.chain) {
        expect(seen.has(r.chain!), `page ${pageSize}: chain ${r.chain} read in two parts`).toBe(false);
        seen.add(r.chain!);
        expect(r.seq).toBe(1);
      } else {
        expect(r.seq).toBe(chained[i - 1]!.seq! + 1);
      }
    }
    expect(seen.size).toBe(4);
  }
}

describe('readStoredEvents', () => {
  it('SQLite: reads chain after chain (keyset on chain_id, seq; every page size), then the unsigned rows by id', async () => {
    const url = `sqlite:${join(dir, 'a.db')}`;
    await expectChainOrder(url, await fill(url));
  });

  it('PostgreSQL: the same (chain_id a UUID, seq a BIGINT that pg returns as text)', async () => {
    const pg = await createTempDatabase('at_stored');
    try {
      await expectChainOrder(pg.url, await fill(pg.url));
    } finally {
      await pg.drop();
    }
  });

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`${dialect}: a row with a chain and no seq (a direct write) is read once, among the rest, and the chain behind it still whole at every page boundary (found by a probe: SQLite skipped the chain)`, async () => {
      const pg = dialect === 'postgres' ? await createTempDatabase('at_stored_null') : undefined;
      const file = join(dir, 'null-seq.db');
      const url = pg?.url ?? `sqlite:${file}`;
      try {
        const written = await fill(url);
        // The row in the middle of the chain read first: at page size 1 its key starts the next page.
        const reader = await openReader(url);
        const chainIds: string[] = [];
        for await (const r of readStoredEvents(reader, 5000, 'chain')) if (r.columns.chain_id !== null) chainIds.push(String(r.columns.chain_id));
        await reader.close();
        const update = `UPDATE security_audit_events SET seq = NULL WHERE chain_id = '${chainIds[0]}' AND seq = 1`;
        if (pg) await pg.query(update);
        else {
          const { default: Database } = await import('better-sqlite3');
          const db = new Database(file);
          db.prepare(update).run();
          db.close();
        }
        for (const pageSize of [1, 2, 3, 5000]) {
          const read = await readBack(url, 'chain', pageSize);
          expect(read.map((r) => r.eventId).sort(), `page ${pageSize}`).toEqual(written.map((e) => e.event_id as string).sort());
          // Every other row of that chain, and of the chains after it, still in seq order; the odd row after all of them.
          const odd = read.findIndex((r) => r.chain === chainIds[0] && r.seq === 1);
          const lastChained = read.findLastIndex((r) => r.chain !== null && !(r.chain === chainIds[0] && r.seq === 1));
          expect(odd, `page ${pageSize}`).toBeGreaterThan(lastChained);
          expect(new Set(read.slice(0, lastChained + 1).map((r) => r.chain)).size, `page ${pageSize}`).toBe(4);
        }
      } finally {
        await pg?.drop();
      }
    });
  }

  it('SQLite: chain_ids stored as BLOBs (a direct write) are read once each, at every page size, instead of again and again (found by a probe: verify --db never ended)', async () => {
    const file = join(dir, 'blob.db');
    const url = `sqlite:${file}`;
    const written = await fill(url);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file);
    // Two of the four chains: a page can then end on a BLOB key with BLOB rows after it.
    db.prepare(`UPDATE security_audit_events SET chain_id = CAST(chain_id AS BLOB) WHERE chain_id IN (SELECT DISTINCT chain_id FROM security_audit_events WHERE chain_id IS NOT NULL ORDER BY chain_id LIMIT 2)`).run();
    db.close();
    for (const pageSize of [1, 2, 3, 5000]) {
      const reader = await openReader(url);
      const ids: string[] = [];
      try {
        for await (const r of readStoredEvents(reader, pageSize, 'chain')) {
          ids.push(JSON.parse(r.eventJson).event_id as string);
          if (ids.length > written.length) break; // the old reader never ended
        }
      } finally {
        await reader.close();
      }
      expect(ids.sort(), `page ${pageSize}`).toEqual(written.map((e) => e.event_id as string).sort());
    }
  });

  it('SQL Server (no row values): spells the (chain_id, seq) keyset out, carries each page\'s last key, then reads the rest by id', async () => {
    // Rows as the server would hold them; the fake answers each page as its WHERE and TOP say.
    const rows = [
      ...['a', 'b'].flatMap((c) => [1, 2, 3].map((s) => ({ chain_id: c, seq: String(s) }))),
      { chain_id: null, seq: null },
      { chain_id: null, seq: null },
    ].map((r, i) => ({ ...r, id: [7, 2, 9, 4, 1, 8, 3, 6][i]!, event_json: '{}' }));
    const sent: { text: string; named?: Readonly<Record<string, unknown>> }[] = [];
    const reader = {
      dialect: 'mssql' as const,
      close: async () => undefined,
      async query(q: { text: string; named?: Readonly<Record<string, unknown>> }) {
        sent.push(q);
        const top = Number(/TOP \((\d+)\)/.exec(q.text)![1]);
        const n = q.named ?? {};
        const chained = q.text.includes('chain_id IS NOT NULL');
        return rows
          .filter((r) => (chained ? r.chain_id !== null && r.seq !== null : r.chain_id === null || r.seq === null))
          .filter((r) => (!chained ? r.id > Number(n.after) : n.c === undefined || r.chain_id! > String(n.c) || (r.chain_id === n.c && Number(r.seq) > Number(n.s))))
          .sort((x, y) => (chained ? x.chain_id!.localeCompare(y.chain_id!) || Number(x.seq) - Number(y.seq) : x.id - y.id))
          .slice(0, top);
      },
    };
    const read = [];
    for await (const r of readStoredEvents(reader, 2, 'chain')) read.push(`${r.columns.chain_id ?? '-'}/${r.columns.seq ?? '-'}/${r.id}`);
    expect(read).toEqual(['a/1/7', 'a/2/2', 'a/3/9', 'b/1/4', 'b/2/1', 'b/3/8', '-/-/3', '-/-/6']);
    expect(sent[0]!.text).toMatch(/^SELECT TOP \(2\) .* FROM dbo\.security_audit_events WHERE chain_id IS NOT NULL AND seq IS NOT NULL ORDER BY chain_id, seq$/);
    expect(sent[0]!.named).toBeUndefined();
    // The parameters cast to the columns' types: an NVARCHAR @c would convert chain_id CHAR(36) and lose the index seek (found by a review).
    expect(sent[1]!.text).toContain('WHERE chain_id IS NOT NULL AND seq IS NOT NULL AND (chain_id > CAST(@c AS CHAR(36)) OR (chain_id = CAST(@c AS CHAR(36)) AND seq > CAST(@s AS BIGINT))) ORDER BY chain_id, seq');
    expect(sent[1]!.named).toEqual({ c: 'a', s: '2' });
    expect(sent.at(-1)!.text).toContain('WHERE (chain_id IS NULL OR seq IS NULL) AND id > @after ORDER BY id');
  });

  it('newestStoredTimes: the newest event_timestamp and ingested_at, none for an empty table', async () => {
    const url = `sqlite:${join(dir, 'b.db')}`;
    const sink = createSink({ url, migrate: true, spool: { dir: join(dir, 'spool-b') } });
    await sink.migrate();
    const reader = await openReader(url);
    try {
      expect(await newestStoredTimes(reader)).toEqual({});
      const before = Date.now();
      await sink.write([makeEvent({ event_time: '2026-01-02T03:04:05.678Z' }), makeEvent({ event_time: '2026-01-01T00:00:00.000Z' })]);
      await sink.flush();
      const t = await newestStoredTimes(reader);
      expect(t.event).toEqual(new Date('2026-01-02T03:04:05.678Z'));
      expect(t.stored!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    } finally {
      await reader.close();
      await sink.close();
    }
  });

  it('refuses a page size that is not a whole number from 1 (it is written into the SQL text; 0 would loop for ever) and an unknown order or dialect, before any query', async () => {
    const queries: string[] = [];
    const reader = { dialect: 'postgres' as const, query: async (q: { text: string }) => (queries.push(q.text), []), close: async () => undefined };
    for (const pageSize of ['1; CREATE TABLE injected(x int); --', 0, -1, Number.NaN, 2.5]) {
      await expect(readStoredEvents(reader, pageSize as number).next(), String(pageSize)).rejects.toMatchObject({ code: 'SINK_BAD_OPTION', message: expect.stringMatching(/^pageSize must be a whole number from 1/) });
    }
    await expect(readStoredEvents(reader, 10, 'seq' as StoredOrder).next()).rejects.toMatchObject({ code: 'SINK_BAD_OPTION', message: 'order must be "id" or "chain" (got "seq")' });
    expect(queries).toEqual([]);
    await expect(openReader({ dialect: 'mysql' } as never)).rejects.toMatchObject({ code: 'SINK_BAD_OPTION', message: 'connection.dialect must be sqlite, postgres or mssql (got "mysql")' });
  });
});
