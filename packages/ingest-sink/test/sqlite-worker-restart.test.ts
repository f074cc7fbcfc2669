import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { migrationPlan, INSERT_COLUMNS, parseAuditEvent, toRow } from '@audit-trail/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packRows } from '../src/rows/packed-rows.js';
import { sqliteCoreInit } from '../src/adapters/sqlite/sqlite-adapter.js';
import type { CoreBatch } from '../src/adapters/sqlite/sqlite-core.js';
import { SqliteWorkerClient, WORKER_YOUNG_GENERATION_MB } from '../src/adapters/sqlite/sqlite-worker-client.js';
import { makeEvents } from './helpers/events.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

function batchOf(n: number, overrides: Record<string, unknown> = {}): CoreBatch {
  const rows = makeEvents(n, overrides).map((e) => {
    const line = JSON.stringify(e);
    const parsed = parseAuditEvent(line);
    if (!parsed.ok) throw new Error('invalid test event');
    return toRow(parsed.event, { raw: line });
  });
  return { events: packRows(rows, INSERT_COLUMNS.length), sources: rows.map(() => 'test'), rejects: [] };
}

const count = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM security_audit_events').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** The client's current worker thread (private: the test plays the crash). */
const workerOf = (c: SqliteWorkerClient) => (c as unknown as { worker: Worker | undefined }).worker;

describe('SQLite writer thread: crash, restart and heap limits', () => {
  it('fails the request in flight, then starts a new worker for the next one: the sink is never wedged', async () => {
    const file = join(dir, 'audit.db');
    const client = await SqliteWorkerClient.start(sqliteCoreInit({ dialect: 'sqlite', filename: file }));
    try {
      await client.migrate({ plan: migrationPlan('sqlite'), tables: [] });
      expect(await client.write(batchOf(3))).toMatchObject({ inserted: 3 });

      const first = workerOf(client)!;
      expect(first.resourceLimits?.maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB);
      const inFlight = client.write(batchOf(500));
      await first.terminate();
      // Rejected, not left hanging: the sink retries the batch (idempotent).
      await expect(inFlight).rejects.toMatchObject({ code: 'SINK_DB' });

      const again = batchOf(4);
      expect(await client.write(again)).toMatchObject({ inserted: 4 });
      expect(client.restarts).toBe(1);
      expect(workerOf(client)).not.toBe(first);
      // The new worker has the same bounded young generation as the first.
      expect(workerOf(client)!.resourceLimits?.maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB);
      // The killed transaction either committed whole or not at all; nothing half-written.
      expect([7, 507]).toContain(count(file));
    } finally {
      await client.close();
    }
  });

  it('commits a batch several times the size of the worker\'s young generation', async () => {
    const file = join(dir, 'audit.db');
    const client = await SqliteWorkerClient.start(sqliteCoreInit({ dialect: 'sqlite', filename: file }));
    try {
      await client.migrate({ plan: migrationPlan('sqlite'), tables: [] });
      // 200 lines of ~100 000 characters each (the raw line keeps the whole message): ~20 MB of text in one transaction.
      const big = batchOf(200, { error: { code: 'SIGNATURE_INVALID', message: 'm'.repeat(100_000) } });
      expect(big.events.texts.reduce((n, t) => n + t.length, 0)).toBeGreaterThan(4 * WORKER_YOUNG_GENERATION_MB * 1024 * 1024);
      expect(await client.write(big)).toMatchObject({ inserted: 200, duplicates: 0 });
      expect(client.restarts).toBe(0);
      expect(count(file)).toBe(200);
    } finally {
      await client.close();
    }
  });

  it('a new worker that cannot open the database is ended, and the call after tries again', async () => {
    const sub = join(dir, 'db');
    mkdirSync(sub);
    const file = join(sub, 'audit.db');
    const client = await SqliteWorkerClient.start(sqliteCoreInit({ dialect: 'sqlite', filename: file }));
    try {
      await client.migrate({ plan: migrationPlan('sqlite'), tables: [] });
      await workerOf(client)!.terminate();
      renameSync(sub, join(dir, 'away'));
      await expect(client.write(batchOf(2))).rejects.toMatchObject({ code: 'SINK_DB', message: expect.stringContaining('sqlite') });
      expect(workerOf(client)).toBeUndefined();
      renameSync(join(dir, 'away'), sub);
      expect(await client.write(batchOf(2))).toMatchObject({ inserted: 2 });
      expect(client.restarts).toBe(2);
      expect(count(file)).toBe(2);
    } finally {
      await client.close();
    }
  });
});
