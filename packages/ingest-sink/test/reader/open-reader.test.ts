import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openReader } from '../../src/reader/index.js';
import { createSink, SinkError } from '../../src/index.js';
import { createTempDatabase, PG_ADMIN_URL } from '../helpers/postgres.js';

describe('openReader', () => {
  it('gives up on a PostgreSQL server that accepts the connection but never answers, with a typed error (default 10 s), instead of waiting forever', async () => {
    // A blackhole: TCP accepts, the startup message is never answered.
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const err = await openReader(`postgres://postgres@127.0.0.1:${port}/audit`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SinkError);
      expect(err).toMatchObject({ code: 'SINK_DB' });
      expect((err as Error).message).toMatch(new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: .*timeout`));
      expect(sockets.length).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  }, 25_000);

  it('survives PostgreSQL ending its connection between queries (a restart, a failover, pg_terminate_backend): the next query fails with SINK_DB naming the cause, close() resolves', async () => {
    const reader = await openReader(PG_ADMIN_URL);
    const [{ pid }] = (await reader.query({ text: 'SELECT pg_backend_pid() AS pid' })) as [{ pid: number }];
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    // The server's notice arrives as an 'error' event on the idle client.
    await new Promise((r) => setTimeout(r, 200));
    await expect(reader.query({ text: 'SELECT 1' })).rejects.toMatchObject({ code: 'SINK_DB', message: expect.stringMatching(/^PostgreSQL connection lost: terminating connection due to administrator command/) });
    await reader.close();
  });

  it('says that a SQLite file does not exist, naming its absolute path, instead of SQLite\'s "unable to open database file" (a typo in --db), and creates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-reader-missing-'));
    try {
      const file = join(dir, 'typo.db');
      for (const url of [`sqlite:${file}`, `sqlite:./${relative(process.cwd(), file)}`]) {
        const err = await openReader(url).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SinkError);
        expect(err).toMatchObject({ code: 'SINK_DB' });
        expect((err as Error).message).toMatch(/^cannot open SQLite database \S+typo\.db: the file (\S+) does not exist$/);
        expect((err as Error).message).toContain(`the file ${file} does not exist`);
        expect((err as Error).message).not.toMatch(/unable to open/);
      }
      // A directory that does not exist either: the file is named the same way.
      await expect(openReader(`sqlite:${join(dir, 'nope', 'audit.db')}`)).rejects.toMatchObject({ code: 'SINK_DB', message: `cannot open SQLite database ${join(dir, 'nope', 'audit.db')}: the file ${join(dir, 'nope', 'audit.db')} does not exist` });
      expect(existsSync(join(dir, 'typo.db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('says "permission denied" with the remedy when another account opens the database the sink made owner-only, not SQLite\'s "unable to open database file"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-reader-private-'));
    try {
      chmodSync(dir, 0o755);
      const file = join(dir, 'audit.db');
      const sink = createSink({ url: `sqlite:${file}`, spool: { dir: join(dir, 'spool') }, checkIntervalMs: 0 });
      await sink.ready;
      await sink.close();
      let message: string;
      if (process.getuid?.() === 0) {
        // root reads any file: open it as another account, as an analyst's login would (the built package, as a user runs it).
        const script = `import { openReader } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../dist/index.js')).href)};
          openReader(${JSON.stringify(`sqlite:${file}`)}).then(() => console.log('opened'), (e) => console.log(e.code + ' ' + e.message));`;
        const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534 });
        message = stdout.trim();
      } else {
        chmodSync(file, 0o000);
        const err = (await openReader(`sqlite:${file}`).catch((e: unknown) => e)) as SinkError;
        message = `${err.code} ${err.message}`;
      }
      expect(message).toBe(`SINK_DB cannot open SQLite database ${file}: permission denied: the sink creates its database readable by its own user only (0600); give this account access on purpose (a group and chmod g+r, on the -wal and -shm files too) or run as that user`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file and says what it is when --db names a directory or a file that is no database, where SQLite said "disk I/O error", or "file is not a database" at the first query without the file (found by a probe)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-reader-notadb-'));
    try {
      const ndjson = join(dir, 'audit.ndjson');
      writeFileSync(ndjson, '{"log_type":"security_audit"}\n');
      const cases: [string, string][] = [
        [dir, 'it is a directory, not a SQLite database file'],
        [ndjson, 'the file is not a SQLite database (SQLITE_NOTADB)'],
      ];
      for (const [file, reason] of cases) {
        for (const snapshot of [false, true]) {
          const err = await openReader(`sqlite:${file}`, { snapshot }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, file).toBeInstanceOf(SinkError);
          expect(err).toMatchObject({ code: 'SINK_DB', message: `cannot open SQLite database ${file}: ${reason}` });
        }
      }
      // An empty file is an empty database to SQLite: it opens, and a query says the tables are missing.
      const empty = join(dir, 'empty.db');
      writeFileSync(empty, '');
      const reader = await openReader(`sqlite:${empty}`);
      await expect(reader.query({ text: 'SELECT 1 FROM security_audit_events' })).rejects.toMatchObject({ code: 'SINK_NOT_MIGRATED' });
      await reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads PostgreSQL times whatever DateStyle the database sets: under SQL, German or Postgres output every time was null (reports printed rows without a time, verify --db called every row a PROJECTION_MISMATCH; found by a probe)', async () => {
    const db = await createTempDatabase('at_reader_datestyle');
    try {
      await db.query(`CREATE TABLE t (at TIMESTAMPTZ(3) NOT NULL)`);
      await db.query(`INSERT INTO t VALUES ('2026-12-07T06:13:11.160Z')`);
      const at = new Date('2026-12-07T06:13:11.160Z');
      for (const style of ['SQL, DMY', 'German', 'Postgres, MDY']) {
        await db.query(`ALTER DATABASE ${db.name} SET DateStyle = '${style}'`);
        for (const snapshot of [false, true]) {
          const reader = await openReader(db.url, { snapshot });
          try {
            expect(await reader.query({ text: 'SELECT at FROM t' }), style).toEqual([{ at }]);
            const rows = [];
            for await (const row of reader.iterate({ text: 'SELECT at FROM t' })) rows.push(row);
            expect(rows, style).toEqual([{ at }]);
            // The input order the database chose is kept: only the output style is ISO.
            expect((await reader.query({ text: 'SHOW DateStyle' }))[0]!.DateStyle, style).toMatch(new RegExp(`^ISO, ${style.includes('DMY') || style === 'German' ? 'DMY' : 'MDY'}$`));
          } finally {
            await reader.close();
          }
        }
      }
    } finally {
      await db.drop();
    }
  });
});
