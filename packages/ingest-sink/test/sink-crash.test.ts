import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink } from '../src/index.js';
import { createTempDatabase } from './helpers/postgres.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { tempDir } from './helpers/tmp.js';

const repo = resolve(import.meta.dirname, '../../..');
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-crash-')));
afterEach(() => cleanup());

/** Runs the writer child until `writes` writes resolved (or, with `idle`, until it has delivered all it wrote), SIGKILLs it, returns the acknowledged ids. */
async function crashWriter(url: string, spoolDir: string, writes: number, ...extra: string[]): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions', '@audit-trail/source', join(import.meta.dirname, 'fixtures/crash-writer.ts'), url, spoolDir, ...extra], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: string[] = [];
  let n = 0;
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line === 'ready') continue;
    if (line === 'idle') {
      child.kill('SIGKILL');
      continue;
    }
    acked.push(...(JSON.parse(line) as string[]));
    if (++n === writes) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  return acked;
}

/**
 * Starts a sink on the spool against PostgreSQL and lets it deliver what it
 * replays; checks that no event is stored twice and returns the acknowledged
 * ids that are not stored.
 */
async function restartAndFindMissing(pg: { url: string; query: (sql: string) => Promise<{ rows: Record<string, unknown>[] }> }, spool: string, acked: string[]): Promise<string[]> {
  const sink = createSink({ url: pg.url, spool: { dir: spool } });
  await sink.flush();
  await sink.close();
  const { rows } = await pg.query('SELECT event_id::text AS id, count(*) OVER (PARTITION BY event_id) AS n FROM security_audit_events');
  expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
  const stored = new Set(rows.map((r) => r.id as string));
  return acked.filter((id) => !stored.has(id));
}

describe('crash: SIGKILL of a process writing through the sink', () => {
  it('SQLite: after restart every event whose write() resolved is stored exactly once', async () => {
    const file = join(dir, 'audit.db');
    const spool = join(dir, 'spool');
    const acked = await crashWriter(`sqlite:${file}`, spool, 120);
    expect(acked.length).toBeGreaterThan(500);
    const sink = createSink({ url: `sqlite:${file}`, spool: { dir: spool } });
    await sink.ready;
    await sink.flush();
    await sink.close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT event_id FROM security_audit_events').all() as { event_id: string }[];
    db.close();
    const stored = new Set(rows.map((r) => r.event_id));
    expect(stored.size).toBe(rows.length);
    const missing = acked.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
  });

  it('PostgreSQL unreachable while writing: resolved writes lived only in the spool, and all arrive after restart', async () => {
    const pg = await createTempDatabase('at_crash');
    const proxy = await startTcpProxy(5432);
    try {
      const migrator = createSink({ url: pg.url, spool: { dir: join(dir, 'm') } });
      await migrator.migrate();
      await migrator.close();
      proxy.cut();
      const spool = join(dir, 'spool');
      // One route to the database for every run: a spool is for the database its URL names (spool-destination.ts).
      const viaProxy = pg.url.replace(':5432/', `:${proxy.port}/`);
      const acked = await crashWriter(viaProxy, spool, 60, 'no-migrate');
      expect(Number((await pg.query('SELECT count(*) AS n FROM security_audit_events')).rows[0].n)).toBe(0);
      proxy.restore();
      const sink = createSink({ url: viaProxy, spool: { dir: spool } });
      await sink.flush();
      expect(sink.stats().replayed).toBeGreaterThanOrEqual(acked.length);
      await sink.close();
      const { rows } = await pg.query('SELECT event_id::text AS id FROM security_audit_events');
      const stored = new Set(rows.map((r) => r.id as string));
      expect(stored.size).toBe(rows.length);
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await proxy.close();
      await pg.drop();
    }
  });

  it('two crashes in a row, the first while idle: what the second run spooled while PostgreSQL was unreachable arrives after the third start', async () => {
    // The first run delivers everything and is killed while idle, leaving its
    // watermark behind; what the second run spools must not be taken for
    // released by it (spool segment numbering).
    const pg = await createTempDatabase('at_crash');
    const proxy = await startTcpProxy(5432);
    try {
      const spool = join(dir, 'spool');
      const viaProxy = pg.url.replace(':5432/', `:${proxy.port}/`);
      const first = await crashWriter(viaProxy, spool, Infinity, 'migrate', 'idle');
      expect(first.length).toBeGreaterThan(100);
      proxy.cut();
      const second = await crashWriter(viaProxy, spool, 60, 'no-migrate');
      expect(second.length).toBeGreaterThan(100);
      proxy.restore();
      expect(await restartAndFindMissing({ ...pg, url: viaProxy }, spool, [...first, ...second])).toEqual([]);
    } finally {
      await proxy.close();
      await pg.drop();
    }
  });

  it('PostgreSQL: after restart every event whose write() resolved is stored exactly once', async () => {
    const pg = await createTempDatabase('at_crash');
    try {
      const spool = join(dir, 'spool');
      const acked = await crashWriter(pg.url, spool, 120);
      expect(await restartAndFindMissing(pg, spool, acked)).toEqual([]);
    } finally {
      await pg.drop();
    }
  });
});
