import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, openVerifySource, type Sink } from '../../src/index.js';
import { chainEvent, makeEvent } from '../helpers/events.js';
import { createTempDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-verify-source-')));
afterEach(() => cleanup());

const chainA = makeEvent().event_id as string;
const chainB = makeEvent().event_id as string;
const at = (iso: string): Record<string, unknown> => ({ event_time: iso });

/**
 * Writes the first rows, opens the source, reads one record, then a producer
 * commits more (the chain read goes on, a new chain with the newest time):
 * what the source yields after that.
 */
async function readWhileWriting(url: string): Promise<{ times: { event?: Date }; consistent: boolean; read: string[]; late: string[] }> {
  const sink: Sink = createSink({ url, migrate: true, spool: { dir: join(dir, 'spool') } });
  try {
    const first = [1, 2, 3].map((seq) => ({ ...chainEvent(chainA, seq), ...at(`2026-12-06T07:00:0${seq}.000Z`) }));
    await sink.write(first);
    await sink.flush();
    const source = await openVerifySource(url, { order: 'chain', pageSize: 1 });
    const records = source.records();
    const read: string[] = [];
    const next = await records.next();
    read.push(JSON.parse((next.value as { event: string }).event).event_id);
    const late = [{ ...chainEvent(chainA, 4), ...at('2026-12-06T08:00:00.000Z') }, { ...chainEvent(chainB, 1), ...at('2026-12-06T09:00:00.000Z') }];
    await sink.write(late);
    await sink.flush();
    for await (const r of records) read.push(JSON.parse(r.event).event_id);
    return { times: source.times, consistent: source.consistent, read, late: late.map((e) => e.event_id as string) };
  } finally {
    await sink.close();
  }
}

describe('openVerifySource: one snapshot for the reference times and the rows', () => {
  for (const kind of ['SQLite', 'PostgreSQL'] as const) {
    it(`${kind}: rows committed while it reads are not seen, and the newest time is the snapshot's`, async () => {
      const db = kind === 'PostgreSQL' ? await createTempDatabase() : undefined;
      try {
        const url = db ? db.url : `sqlite:${join(dir, 'audit.db')}`;
        const { times, consistent, read, late } = await readWhileWriting(url);
        expect(read.filter((id) => late.includes(id))).toEqual([]);
        expect(read).toHaveLength(3);
        expect(times.event?.toISOString()).toBe('2026-12-06T07:00:03.000Z');
        expect(consistent).toBe(true);
        // A new source sees them.
        const again = await openVerifySource(url, { order: 'chain' });
        const all: string[] = [];
        for await (const r of again.records()) all.push(JSON.parse(r.event).event_id);
        expect(all).toHaveLength(5);
        expect(again.times.event?.toISOString()).toBe('2026-12-06T09:00:00.000Z');
      } finally {
        await db?.drop();
      }
    });
  }

  it('reads its records once, and closes its connection when they end (the SQLite file can be removed)', async () => {
    const url = `sqlite:${join(dir, 'audit.db')}`;
    const sink = createSink({ url, migrate: true, spool: { dir: join(dir, 'spool') } });
    await sink.write([makeEvent()]);
    await sink.close();
    const source = await openVerifySource(url);
    let n = 0;
    for await (const _ of source.records()) n++;
    expect(n).toBe(1);
    await expect(source.records().next()).rejects.toMatchObject({ code: 'SINK_BAD_OPTION' });
    await source.close();
  });
});
