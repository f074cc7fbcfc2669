import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReader, type ReadQuery, type Row } from '../../src/reader/index.js';
import { createTempDatabase, terminateSessions } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-iterate-')));
afterEach(() => cleanup());

/** 2500 numbered rows from `from` on: more than one PostgreSQL FETCH (1000 rows), in the order asked for. */
const SERIES: Record<'sqlite' | 'postgres', ReadQuery> = {
  sqlite: { text: 'WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i < @from + 2499) SELECT i, printf(\'row %d\', i) AS label FROM n ORDER BY i DESC', named: { from: 1 } },
  postgres: { text: "SELECT i, 'row ' || i AS label FROM generate_series($1::int, $1::int + 2499) AS i ORDER BY i DESC", positional: [1] },
};

/** A SQLite file without the audit tables. */
function emptySqlite(): string {
  const file = join(dir, 'empty.db');
  new Database(file).close();
  return file;
}

async function all(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe('AuditReader.iterate', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    for (const snapshot of [false, true]) {
      it(`${dialect}${snapshot ? ' (snapshot)' : ''}: yields every row in the query's order, bound as query() binds; stopping early closes the statement or cursor and the reader goes on`, async () => {
        const db = dialect === 'postgres' ? await createTempDatabase('at_iterate') : undefined;
        const reader = await openReader(db ? db.url : `sqlite:${emptySqlite()}`, { snapshot });
        try {
          const rows = await all(reader.iterate(SERIES[dialect]));
          expect(rows).toEqual(await reader.query(SERIES[dialect]));
          expect(rows).toHaveLength(2500);
          expect(rows[0]).toEqual({ i: 2500, label: 'row 2500' });
          expect(rows[2499]).toEqual({ i: 1, label: 'row 1' });
          let n = 0;
          for await (const _ of reader.iterate(SERIES[dialect])) if (++n === 10) break;
          expect(await reader.query({ text: 'SELECT 1 AS one' })).toEqual([{ one: 1 }]);
          expect(await all(reader.iterate(SERIES[dialect]))).toHaveLength(2500);
          if (dialect === 'postgres') {
            // The cursor is gone, and so is the read-only transaction iterate opened outside a snapshot.
            expect(await reader.query({ text: 'SELECT count(*)::int AS n FROM pg_cursors' })).toEqual([{ n: 0 }]);
            expect(await reader.query({ text: 'SHOW transaction_read_only' })).toEqual([{ transaction_read_only: snapshot ? 'on' : 'off' }]);
          }
        } finally {
          await reader.close();
          await db?.drop();
        }
      });
    }
  }

  it('postgres: a query failing mid-iteration leaves a snapshot reader usable, with its settings as before; a report\'s own transaction may idle at most a minute (found by a review)', async () => {
    const db = await createTempDatabase('at_iterate_fail');
    try {
      for (const snapshot of [true, false]) {
        const reader = await openReader(db.url, { snapshot });
        try {
          const show = async (name: string) => Object.values((await reader.query({ text: `SHOW ${name}` }))[0]!)[0];
          const jit = await show('jit');
          // Division by zero at the fourth row: after the first FETCH began.
          await expect(all(reader.iterate({ text: 'SELECT 10 / (x - 4) AS v FROM generate_series(1, 5) x' }))).rejects.toThrow(/division by zero/);
          expect(await reader.query({ text: 'SELECT 1 AS one' }), snapshot ? 'snapshot' : 'own transaction').toEqual([{ one: 1 }]);
          expect(await show('jit')).toBe(jit);
          // While a report of its own transaction waits on its output, the server ends it after a minute idle.
          for await (const _row of reader.iterate({ text: 'SELECT 1 AS one' })) {
            expect(await show('idle_in_transaction_session_timeout')).toBe(snapshot ? '0' : '1min');
          }
        } finally {
          await reader.close();
        }
      }
    } finally {
      await db.drop();
    }
  });

  it('postgres: a session the server ends between two FETCHes (idle too long with the output not taken, pg_terminate_backend) fails with SINK_DB naming the server\'s reason, not pg\'s "Client has encountered a connection error and is not queryable" (found by a probe)', async () => {
    const db = await createTempDatabase('at_iterate_lost');
    try {
      for (const snapshot of [false, true]) {
        const reader = await openReader(db.url, { snapshot });
        try {
          const [{ pid }] = (await reader.query({ text: 'SELECT pg_backend_pid() AS pid' })) as [{ pid: number }];
          const rows = reader.iterate(SERIES.postgres)[Symbol.asyncIterator]();
          expect((await rows.next()).value).toEqual({ i: 2500, label: 'row 2500' });
          await terminateSessions(db, 'pid = $1', [pid]);
          // The server's notice arrives as an 'error' event on the idle client (should the next FETCH
          // come first, it fails with the notice itself: the same message).
          await new Promise((r) => setTimeout(r, 200));
          const read = (async () => {
            for (let r = await rows.next(); !r.done; r = await rows.next());
          })();
          await expect(read, snapshot ? 'snapshot' : 'own transaction').rejects.toMatchObject({
            code: 'SINK_DB',
            message: expect.stringMatching(/^PostgreSQL connection lost: terminating connection due to administrator command/),
          });
        } finally {
          await reader.close();
        }
      }
    } finally {
      await db.drop();
    }
  });

  it('postgres: reads through a server-side cursor, a page at a time, not the whole result at once', async () => {
    const db = await createTempDatabase('at_iterate');
    const reader = await openReader(db.url);
    try {
      const rows = reader.iterate(SERIES.postgres)[Symbol.asyncIterator]();
      expect((await rows.next()).value).toEqual({ i: 2500, label: 'row 2500' });
      // Between two FETCHes the connection is free, and the cursor is open on the server.
      expect(await reader.query({ text: 'SELECT name FROM pg_cursors' })).toEqual([{ name: expect.stringMatching(/^audit_trail_rows_\d+$/) }]);
      await rows.return?.(undefined);
    } finally {
      await reader.close();
      await db.drop();
    }
  });

  it('on a database never migrated, iterate and query say to run migrate (SINK_NOT_MIGRATED), SQLite and PostgreSQL', async () => {
    const db = await createTempDatabase('at_iterate');
    try {
      for (const url of [`sqlite:${emptySqlite()}`, db.url]) {
        const reader = await openReader(url);
        try {
          const q = { text: 'SELECT event_id FROM security_audit_events' };
          const expected = { code: 'SINK_NOT_MIGRATED', message: expect.stringContaining('audit table security_audit_events does not exist in this database: create the audit tables once with `audit-trail migrate --db URL`') };
          await expect(all(reader.iterate(q)), url).rejects.toMatchObject(expected);
          await expect(reader.query(q), url).rejects.toMatchObject(expected);
        } finally {
          await reader.close();
        }
      }
    } finally {
      await db.drop();
    }
  });
});
