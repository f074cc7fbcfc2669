import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, migrateDatabase } from '../src/index.js';
import { claimSpool, destinationOf, DESTINATION_FILE } from '../src/sink/spool-destination.js';
import { parseDbUrl } from '../src/sink/connection.js';
import { defaultSpoolDir } from '../src/sink/spool-dir.js';
import { makeEvent } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-spool-dest-')));
afterEach(() => cleanup());

const count = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM security_audit_events').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/**
 * Writes five events through a sink of `url` while `proxy` (in front of its
 * database) is cut, so they stay in the spool (`spool`, else the default
 * directory); returns them, the sink closed.
 */
async function spoolWhileDown(url: string, proxy: { cut: () => void }, spool?: string): Promise<ReturnType<typeof makeEvent>[]> {
  await migrateDatabase(url);
  proxy.cut();
  const down = createSink({ url, checkIntervalMs: 0, ...(spool ? { spool: { dir: spool } } : {}), retry: { initialDelayMs: 20, maxDelayMs: 50 }, onError: () => undefined });
  const events = Array.from({ length: 5 }, () => makeEvent());
  await down.write(events);
  await down.close({ timeoutMs: 0 });
  return events;
}

/**
 * One spool directory named for two databases in turn (`--spool S` given
 * to two ingests): the second sink replayed the first database's events
 * into its own, and the first never got them (found by a probe).
 */
describe('a spool directory shared by sinks of different databases', () => {
  it("refuses to start over another database's pending events (SINK_SPOOL_FOREIGN), keeps them, and delivers them to their own database", async () => {
    const spool = join(dir, 'shared.spool');
    const b = join(dir, 'b.db');
    // Database A (PostgreSQL) behind a proxy the test cuts: its events stay in the spool.
    const pgA = await createTempDatabase('at_spool_dest');
    const proxy = await startTcpProxy(5432);
    try {
      const urlA = pgA.url.replace(':5432/', `:${proxy.port}/`);
      const events = await spoolWhileDown(urlA, proxy, spool);
      expect(JSON.parse(await readFile(join(spool, DESTINATION_FILE), 'utf8'))).toMatchObject({ shown: `postgres://127.0.0.1:${proxy.port}/${pgA.name}` });

      const other = createSink({ url: `sqlite:${b}`, spool: { dir: spool }, onError: () => undefined });
      await expect(other.ready).rejects.toMatchObject({
        code: 'SINK_SPOOL_FOREIGN',
        message: expect.stringMatching(new RegExp(`holds 5 event\\(s\\) for postgres://127\\.0\\.0\\.1:${proxy.port}/${pgA.name}, not for sqlite:.*b\\.db`)),
      });
      await other.close().catch(() => undefined);
      // Nothing of A's went to B.
      expect(count(b)).toBe(0);

      // A is back: its sink, on the same spool (whose lock the refusal released), delivers the five.
      proxy.restore();
      const back = createSink({ url: urlA, checkIntervalMs: 0, spool: { dir: spool } });
      await back.flush();
      await back.close();
      const { rows } = await pgA.query('SELECT event_id FROM security_audit_events');
      expect(rows.map((r: { event_id: string }) => r.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    } finally {
      await proxy.close();
      await pgA.drop();
    }
  });

  it('keeps the default spool directory of a server database when the user or the URL\'s parameters change, so the events spooled before are delivered (found by a probe: 100 acked events left behind, status ok)', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    const pg = await createTempDatabase('at_spool_dir');
    const proxy = await startTcpProxy(5432);
    try {
      const url = pg.url.replace(':5432/', `:${proxy.port}/`);
      const events = await spoolWhileDown(url, proxy);
      proxy.restore();
      // The same database, reached with a parameter added (an operator's change between two starts).
      const back = createSink({ url: `${url}?application_name=audit-aggregator`, checkIntervalMs: 0 });
      await back.flush();
      await back.close();
      const { rows } = await pg.query('SELECT event_id FROM security_audit_events');
      expect(rows.map((r: { event_id: string }) => r.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    } finally {
      process.chdir(cwd);
      await proxy.close();
      await pg.drop();
    }
  });

  it('lets another database take over a spool with nothing pending', async () => {
    const spool = join(dir, 'shared.spool');
    const first = createSink({ url: `sqlite:${join(dir, 'one.db')}`, spool: { dir: spool } });
    await first.write([makeEvent()]);
    await first.flush();
    await first.close();
    const second = createSink({ url: `sqlite:${join(dir, 'two.db')}`, spool: { dir: spool } });
    await second.write([makeEvent(), makeEvent()]);
    await second.flush();
    await second.close();
    expect([count(join(dir, 'one.db')), count(join(dir, 'two.db'))]).toEqual([1, 2]);
    expect(JSON.parse(await readFile(join(spool, DESTINATION_FILE), 'utf8')).shown).toBe(`sqlite:${join(dir, 'two.db')}`);
  });

  it('adopts a spool whose destination was never recorded (spools of earlier versions), pending events and all', async () => {
    const spool = join(dir, 'legacy.spool');
    const dest = destinationOf(parseDbUrl(`sqlite:${join(dir, 'x.db')}`));
    await mkdir(spool);
    await claimSpool(spool, dest, 7);
    expect(JSON.parse(await readFile(join(spool, DESTINATION_FILE), 'utf8'))).toEqual(dest);
    await expect(claimSpool(spool, destinationOf(parseDbUrl(`sqlite:${join(dir, 'y.db')}`)), 7)).rejects.toMatchObject({ code: 'SINK_SPOOL_FOREIGN' });
  });

  it('refuses pending events whose destination file is damaged (cut short, edited), and rewrites it when nothing is pending (found by a review)', async () => {
    const spool = join(dir, 'damaged.spool');
    await mkdir(spool);
    const dest = destinationOf(parseDbUrl(`sqlite:${join(dir, 'x.db')}`));
    for (const damaged of ['{"key":"sqlite:/x', '{}', '']) {
      await writeFile(join(spool, DESTINATION_FILE), damaged);
      await expect(claimSpool(spool, dest, 3), JSON.stringify(damaged)).rejects.toMatchObject({ code: 'SINK_SPOOL_FOREIGN', message: expect.stringContaining('is damaged') });
      await claimSpool(spool, dest, 0);
      expect(JSON.parse(await readFile(join(spool, DESTINATION_FILE), 'utf8'))).toEqual(dest);
    }
  });

  it('names a server database by host, port and database, not by user, password or other parameters', () => {
    const key = (url: string) => destinationOf(parseDbUrl(url)).key;
    expect(key('postgres://alice:one@db.example:5432/audit')).toBe(key('postgres://bob:two@db.example/audit?sslmode=require&application_name=x'));
    expect(key('postgres://db.example/audit')).not.toBe(key('postgres://db.example/other'));
    expect(key('postgres://db.example:5433/audit')).not.toBe(key('postgres://db.example/audit'));
    expect(destinationOf(parseDbUrl('postgres://alice:s3cret@db.example/audit')).shown).not.toContain('s3cret');
    expect(key('mssql://sa:x@sql.example:1433/audit')).toBe(key('mssql://app:y@SQL.example/audit'));
    expect(key('mssql://sql.example/audit')).not.toBe(key('mssql://sql.example/other'));
    // pg lets query parameters override the URL's port and host (found by a review).
    expect(key('postgres://u@h/a?port=6543')).not.toBe(key('postgres://u@h/a'));
    expect(key('postgres://u@h:5432/a?port=6543')).toBe(key('postgres://u@h:6543/a'));
    expect(key('postgres://u@h/a?host=/var/run/postgresql')).not.toBe(key('postgres://u@h/a'));
    // A string pg takes that is no URL is keyed by itself, not by a default shared with others.
    const unparsed = (s: string) => destinationOf({ dialect: 'postgres', connectionString: s }).key;
    expect(unparsed('host=db1 dbname=audit')).not.toBe(unparsed('host=db2 dbname=audit'));
    expect(unparsed('host=db1 dbname=audit')).toBe(unparsed('host=db1 dbname=audit'));
    expect(() => key('postgres://u@h/%E0%A4%A')).not.toThrow();
  });

  it('gives two named SQL Server instances of one host spools of their own, adopting the directory named without the instance (found by a review)', () => {
    const a = defaultSpoolDir(parseDbUrl('mssql://u:p@sql.example/audit?instanceName=A'));
    const b = defaultSpoolDir(parseDbUrl('mssql://u:p@sql.example/audit?instanceName=B'));
    const plain = defaultSpoolDir(parseDbUrl('mssql://u:p@sql.example/audit'));
    expect(a.dir).not.toBe(b.dir);
    expect(a.legacy).toEqual([plain.dir]);
    expect(plain.legacy).toBeUndefined();
  });
});
