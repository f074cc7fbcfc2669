import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink } from '../src/index.js';
import { makeEvents } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
let pg: Awaited<ReturnType<typeof createTempDatabase>>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  pg = await createTempDatabase('at_close');
});
afterEach(async () => {
  await pg.drop();
  await cleanup();
});

const storedIds = async () => new Set((await pg.query('SELECT event_id::text AS id FROM security_audit_events')).rows.map((r: { id: string }) => r.id));

describe('close() racing writes and flushes (PostgreSQL)', () => {
  it('a write waiting for room when close() begins (right after a flush) is refused with SINK_CLOSED, or kept: never resolved and then deleted with the spool (found by a probe)', async () => {
    const spool = join(dir, 'spool');
    for (let round = 0; round < 5; round++) {
      // A small in-memory budget: the second write waits for the first to commit.
      const sink = createSink({ url: pg.url, migrate: true, spool: { dir: spool, memoryBytes: 6000 }, batch: { maxDelayMs: 0 } });
      await sink.write(makeEvents(10));
      let closing: Promise<void> | undefined;
      // The graceful shutdown's shape: flush, then close, while a receiver still writes.
      const flushed = sink.flush().then(() => (closing = sink.close()));
      await new Promise((r) => setImmediate(r));
      const late = makeEvents(10);
      const outcome = await sink.write(late).then(
        () => 'resolved',
        (err: { code?: string }) => err.code,
      );
      await flushed;
      await closing;
      // What the closed sink left in its spool is delivered by the next one.
      const next = createSink({ url: pg.url, spool: { dir: spool } });
      await next.flush();
      await next.close();
      const stored = await storedIds();
      const missing = late.filter((e) => !stored.has(e.event_id as string)).length;
      expect([outcome, missing], `round ${round}`).toEqual(outcome === 'resolved' ? ['resolved', 0] : ['SINK_CLOSED', 10]);
    }
  });

  it('a flush() pending when close() ends, or called after it, rejects with SINK_CLOSED when events are left in the spool (it never settled)', async () => {
    const spool = join(dir, 'spool-down');
    // Nothing listens on port 1: the database is refused throughout.
    const sink = createSink({ url: pg.url.replace(':5432/', ':1/'), spool: { dir: spool }, retry: { initialDelayMs: 10, maxDelayMs: 50 }, onError: () => undefined });
    await sink.write(makeEvents(5));
    const pending = sink.flush();
    pending.catch(() => undefined);
    await sink.close({ timeoutMs: 200 });
    await expect(pending).rejects.toMatchObject({ code: 'SINK_CLOSED', message: expect.stringContaining('5 item(s) not yet delivered') });
    await expect(sink.flush()).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    // Kept for the next start.
    expect(readdirSync(spool).some((f) => f.startsWith('seg-'))).toBe(true);
  });

  it('a flush() after close() delivered everything resolves', async () => {
    const sink = createSink({ url: pg.url, migrate: true, spool: { dir: join(dir, 'spool-up') } });
    await sink.write(makeEvents(5));
    await sink.close();
    await expect(sink.flush()).resolves.toBeUndefined();
    expect((await storedIds()).size).toBe(5);
  });
});
