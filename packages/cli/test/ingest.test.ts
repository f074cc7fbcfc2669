import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { makeEvents } from '../../ingest-sink/test/helpers/events.js';
import { createTempDatabase } from '../../ingest-sink/test/helpers/postgres.js';
import { tempDir } from '../../ingest-sink/test/helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-cli-')));
afterEach(() => cleanup());

describe('audit-trail ingest', () => {
  it('loads an NDJSON file into SQLite: committed, duplicates and rejects summarised, rejects stored with the file as source', async () => {
    const events = makeEvents(30);
    const file = join(dir, 'audit.ndjson');
    const lines = [...events.map((e) => JSON.stringify(e)), JSON.stringify(events[0]), '', 'garbage line', '{"event_type":"WEBAUTHN_AUTH_FAILURE"}'];
    writeFileSync(file, lines.join('\r\n') + '\n');
    const db = join(dir, 'a.db');
    const r = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`sqlite:${db}: read 33, committed 30, duplicates 1, rejected 2\n`);
    const d = new Database(db, { readonly: true });
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 30 });
    expect(d.prepare('SELECT DISTINCT source FROM security_audit_rejects').all()).toEqual([{ source: `file:${file}` }]);
    d.close();
    const again = await runCli(['ingest', '--db', `sqlite:${db}`, file]);
    expect(again.out).toContain('committed 0, duplicates 31, rejected 2');
  });

  it('reads stdin ("-"), shows progress on a terminal, and writes to PostgreSQL from AUDIT_TRAIL_DB_URL', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      const events = makeEvents(2500);
      const r = await runCli(['ingest', '--spool', join(dir, 'spool'), '-'], { env: { AUDIT_TRAIL_DB_URL: pg.url }, stdin: events.map((e) => JSON.stringify(e)).join('\n'), tty: true });
      expect(r.code).toBe(0);
      expect(r.out).toContain('read 2500, committed 2500, duplicates 0, rejected 0');
      expect(r.err).toMatch(/\r\x1b\[Kread 2500 {2}committed 2500/);
      expect(Number((await pg.query('SELECT count(*) AS n FROM security_audit_events')).rows[0].n)).toBe(2500);
    } finally {
      await pg.drop();
    }
  });

  it('exits 1 and keeps the events spooled when the database stays unreachable; a later run delivers them', async () => {
    const pg = await createTempDatabase('at_cli');
    try {
      const file = join(dir, 'a.ndjson');
      writeFileSync(file, makeEvents(10).map((e) => JSON.stringify(e)).join('\n'));
      const spool = join(dir, 'spool');
      await runCli(['migrate', '--db', pg.url]);
      const down = await runCli(['ingest', '--db', 'postgres://postgres:pw@127.0.0.1:1/x', '--no-migrate', '--spool', spool, '--timeout', '0.5', file]);
      expect(down.code).toBe(1);
      expect(down.err).toContain('10 events are still spooled');
      expect(down.out + down.err).not.toContain(':pw@');
      const up = await runCli(['ingest', '--db', pg.url, '--spool', spool], { stdin: '' });
      expect(up.code).toBe(0);
      expect(up.out).toContain('committed 10');
      expect(up.out).toContain('replayed from spool 10');
    } finally {
      await pg.drop();
    }
  });

  it('reports usage mistakes with exit 2', async () => {
    expect(await runCli(['ingest', '--batch', 'zero'])).toMatchObject({ code: 2, err: expect.stringContaining('--batch must be a positive number') });
  });
});
