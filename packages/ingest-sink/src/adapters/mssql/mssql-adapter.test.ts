import { COLUMNS, INSERT_COLUMNS } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { fakeMssql, lostConnectionError, type FakeCall } from '../../../test/helpers/fake-mssql.js';
import { chainEvent, makeEvent, makeEvents } from '../../../test/helpers/events.js';
import { parseDbUrl, type MssqlConnection } from '../../sink/connection.js';
import { dedupeBatch } from '../../sink/dedupe-batch.js';
import { prepareRows, rejectRow, type RejectRow } from '../../sink/prepare.js';
import { createMssqlAdapter, DEFAULT_REQUEST_TIMEOUT_MS, isDuplicateKeyError, transientRetryDelayMs } from './mssql-adapter.js';
import { dbError } from '../../sink/errors.js';
import { isDataError, isUnreachable, sqlServerErrorNumber } from '../../sink/error-kind.js';
import { CREATE_REJECT_STAGE, CREATE_STAGE, INSERT_FROM_STAGE, INSERT_REJECTS_FROM_STAGE, MAX_VALUES_ROWS, REJECT_STAGE, SELECT_CONFLICTS, SELECT_STORED, STAGE } from './mssql-sql.js';

const conn = (extra: Partial<MssqlConnection> = {}): MssqlConnection => ({ dialect: 'mssql', config: { server: 'db', options: { trustServerCertificate: true } }, babelfish: false, ...extra });
const batchOf = (events: Record<string, unknown>[], rejects: RejectRow[] = []) => {
  const b = dedupeBatch(prepareRows(events.map((e) => ({ line: JSON.stringify(e) })), 'direct'));
  return { ...b, rejects: [...b.rejects, ...rejects] };
};
const queries = (calls: FakeCall[]) => calls.filter((c): c is Extract<FakeCall, { op: 'query' | 'batch' }> => c.op === 'query' || c.op === 'batch');
const PARAM_LIMIT = 2100;

describe('mssql adapter (what it sends, through a recording fake of the driver)', () => {
  it('bulk-loads a staging table whose columns match COLUMNS exactly, then INSERT ... SELECT ... WHERE NOT EXISTS, in one transaction', async () => {
    const { driver, calls } = fakeMssql((sql) => (sql === INSERT_FROM_STAGE ? { rowsAffected: [3] } : undefined));
    const a = await createMssqlAdapter(conn(), { driver });
    const events = makeEvents(3);
    const out = await a.write(batchOf(events));
    expect(out).toEqual({ inserted: 3, duplicates: 0, conflicts: [], idConflicts: [], rejectsStored: 0 });
    expect(calls.map((c) => (c.op === 'batch' ? c.sql.split('\n')[0]!.slice(0, 40) : c.op))).toEqual([
      'connect',
      'begin',
      CREATE_STAGE.split('\n')[0]!.slice(0, 40),
      'bulk',
      SELECT_STORED.split('\n')[0]!.slice(0, 40),
      SELECT_CONFLICTS.split('\n')[0]!.slice(0, 40),
      INSERT_FROM_STAGE.split('\n')[0]!.slice(0, 40),
      `DROP TABLE ${STAGE};`,
      'commit',
    ]);
    // The staging table lives in the session: created by a plain batch, not sp_executesql (which would drop it on return).
    expect(calls.filter((c) => c.op === 'query')).toEqual([]);
    const bulk = calls.find((c): c is Extract<FakeCall, { op: 'bulk' }> => c.op === 'bulk')!;
    expect(bulk.inTx).toBe(true);
    expect(bulk.table.name).toBe('#audit_stage');
    expect(bulk.table.cols.map((c) => c.name)).toEqual(['ord', ...INSERT_COLUMNS.map((c) => c.name)]);
    expect(bulk.table.cols.slice(1).map((c) => c.nullable)).toEqual(INSERT_COLUMNS.map((c) => c.nullable));
    // Type and length of every bulk column equal the staging DDL, which is generated from COLUMNS (no "Invalid column type from bcp client").
    INSERT_COLUMNS.forEach((c, i) => {
      const t = bulk.table.cols[i + 1]!.type as { type: string; length?: number };
      const m = /^(\w+)(?:\((\w+)\))?$/.exec(c.type.mssql)!;
      expect(t.type.toUpperCase()).toBe(m[1]);
      if (m[2]) expect(t.length).toBe(m[2] === 'MAX' ? 65535 : Number(m[2]));
      const collate = /CHAR/.test(c.type.mssql) ? ' COLLATE DATABASE_DEFAULT' : '';
      expect(CREATE_STAGE).toContain(`  ${c.name} ${c.type.mssql}${collate} ${c.nullable ? 'NULL' : 'NOT NULL'}`);
    });
    const tsIndex = INSERT_COLUMNS.findIndex((c) => c.name === 'event_timestamp') + 1;
    expect(bulk.table.data[0]![tsIndex]).toEqual(new Date(events[0]!.event_time as string));
    expect(bulk.table.data.map((r) => r[0])).toEqual([0, 1, 2]);
    expect(INSERT_FROM_STAGE).not.toMatch(/MERGE|IGNORE_DUP_KEY/);
    // Identity values follow the batch's order (reports break ties of event_timestamp by id), which
    // SQL Server guarantees for INSERT ... SELECT only with an ORDER BY (found by a probe).
    expect(INSERT_FROM_STAGE).toMatch(/\) ORDER BY s\.ord;\nSELECT @@ROWCOUNT AS went;$/);
  });

  it('without bulk load, chunks parameterised multi-row INSERTs within 2100 parameters and 1000 rows', async () => {
    const { driver, calls } = fakeMssql();
    const a = await createMssqlAdapter(conn({ stagingLoad: 'values' }), { driver });
    const rejects: RejectRow[] = Array.from({ length: 1500 }, (_, i) => rejectRow('s', 'r', `x${i}`));
    await a.write(batchOf(makeEvents(150), rejects));
    const inserts = queries(calls).filter((q) => q.sql.startsWith('INSERT INTO') && q.sql.includes('VALUES'));
    expect(inserts.length).toBeGreaterThan(2);
    for (const q of inserts) {
      expect(q.op).toBe('query');
      expect(q.params.length + 2).toBeLessThanOrEqual(PARAM_LIMIT); // sp_executesql's @statement and @params count too
      expect(q.sql.match(/\),? ?\(/g)?.length ?? 0).toBeLessThan(MAX_VALUES_ROWS);
      expect(q.inTx).toBe(true);
      for (let i = 0; i < q.params.length; i++) expect(q.sql).toContain(`@p${i}`);
    }
    const staged = inserts.filter((q) => q.sql.startsWith(`INSERT INTO ${STAGE}`));
    expect(staged.reduce((n, q) => n + q.params.length, 0)).toBe(150 * (INSERT_COLUMNS.length + 1));
    // Rejects are staged the same way, then moved with NOT EXISTS on reject_key.
    const rej = inserts.filter((q) => q.sql.startsWith(`INSERT INTO ${REJECT_STAGE}`));
    const column = (k: number) => rej.flatMap((q) => q.params.filter((p) => p.name.match(/^p\d+$/) && Number(p.name.slice(1)) % 4 === k).map((p) => p.value));
    expect(column(2)).toEqual(rejects.map((r) => r.raw));
    expect(column(3)).toEqual(rejects.map((r) => r.key));
    const moves = queries(calls).filter((q) => q.sql === INSERT_REJECTS_FROM_STAGE);
    expect(moves).toHaveLength(1);
    expect(moves[0]!.inTx).toBe(true);
    expect(INSERT_REJECTS_FROM_STAGE).toMatch(/WHERE NOT EXISTS \(SELECT 1 FROM dbo\.security_audit_rejects r WHERE r\.reject_key = s\.reject_key\)/);
  });

  it.each([2601, 2627])('recognises duplicate key error %i, rolls back and retries the batch', async (number) => {
    let failed = false;
    const events = makeEvents(2);
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === INSERT_FROM_STAGE && !failed) {
        failed = true;
        throw Object.assign(new Error('Cannot insert duplicate key row'), { number });
      }
      // On the retry the concurrent writer's row is there: the second event, as sent.
      if (sql === SELECT_STORED && failed) return { recordset: [{ ord: 1, stored_json: JSON.stringify(events[1]) }] };
      return sql === INSERT_FROM_STAGE ? { recordset: [{ went: 1 }] } : undefined;
    });
    expect(isDuplicateKeyError({ number })).toBe(true);
    const a = await createMssqlAdapter(conn(), { driver });
    const out = await a.write(batchOf(events));
    expect(out).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(calls.filter((c) => ['begin', 'commit', 'rollback'].includes(c.op)).map((c) => c.op)).toEqual(['begin', 'rollback', 'begin', 'commit']);
  });

  it('rolls back and raises SINK_DB on other errors; a lost connection rebuilds the pool on the next write', async () => {
    let lose = true;
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === SELECT_CONFLICTS && lose) {
        lose = false;
        throw Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' });
      }
      return undefined;
    });
    const a = await createMssqlAdapter(conn(), { driver });
    await expect(a.write(batchOf(makeEvents(1)))).rejects.toMatchObject({ code: 'SINK_DB', message: expect.stringContaining('ECONNRESET') });
    expect(calls.map((c) => c.op)).toContain('rollback');
    expect(calls.map((c) => c.op)).toContain('pool.close');
    await a.write(batchOf(makeEvents(1)));
    expect(calls.filter((c) => c.op === 'connect')).toHaveLength(2);
    expect(isDuplicateKeyError(new Error('x'))).toBe(false);
  });

  it('turns a stored chain position held by another event_id into a reject in the same transaction', async () => {
    const chain = makeEvent().event_id as string;
    const forged = chainEvent(chain, 5);
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === SELECT_CONFLICTS) return { recordset: [{ ord: 1, held_by: 'the-holder' }] };
      if (sql === INSERT_FROM_STAGE) return { recordset: [{ went: 1 }] };
      return undefined;
    });
    const a = await createMssqlAdapter(conn(), { driver });
    const out = await a.write(batchOf([makeEvent(), forged]));
    expect(out.inserted).toBe(1);
    expect(out.duplicates).toBe(0);
    expect(out.conflicts).toHaveLength(1);
    expect(out.conflicts[0]!.reason).toContain(`chain_id=${chain} seq=5 is already held by event_id=the-holder`);
    const rejectInsert = queries(calls).find((q) => q.sql.startsWith(`INSERT INTO ${REJECT_STAGE}`))!;
    expect(rejectInsert.inTx).toBe(true);
    expect(JSON.parse(rejectInsert.params[2]!.value as string).event_id).toBe(forged.event_id);
    expect(calls.at(-1)).toEqual({ op: 'commit' });
  });

  it('reads the stored event of each staged event_id: the same event is a duplicate, another one an EVENT_ID_CONFLICT reject in the same transaction (never also a chain conflict)', async () => {
    const chain = makeEvent().event_id as string;
    const [fresh, resent, reused] = [makeEvent(), chainEvent(chain, 1), chainEvent(chain, 2)];
    // What the database holds: `resent` written out with its members in another order, and another event under `reused`'s id.
    const storedResent = JSON.stringify(Object.fromEntries(Object.entries(resent).reverse()));
    const storedOther = JSON.stringify({ ...reused, user_id: 'someone-else' });
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === SELECT_STORED) return { recordset: [{ ord: 1, stored_json: storedResent }, { ord: 2, stored_json: storedOther }] };
      // SQL Server's SELECT_CONFLICTS would also name `reused` if its stored row held its chain position under another id.
      if (sql === SELECT_CONFLICTS) return { recordset: [{ ord: 2, held_by: 'someone' }] };
      return sql === INSERT_FROM_STAGE ? { recordset: [{ went: 1 }] } : undefined;
    });
    const a = await createMssqlAdapter(conn(), { driver });
    const out = await a.write(batchOf([fresh, resent, reused]));
    expect(out).toMatchObject({ inserted: 1, duplicates: 1, conflicts: [] });
    expect(out.idConflicts).toHaveLength(1);
    expect(out.idConflicts[0]!.reason).toBe(`EVENT_ID_CONFLICT: event_id=${reused.event_id} is already stored with other content; this event was not stored (a reused id, or a forged or replayed record)`);
    expect(out.idConflicts[0]!.raw).toBe(JSON.stringify(reused));
    const rejectInsert = queries(calls).find((q) => q.sql.startsWith(`INSERT INTO ${REJECT_STAGE}`))!;
    expect(rejectInsert.inTx).toBe(true);
    expect(rejectInsert.params[1]!.value).toContain('EVENT_ID_CONFLICT');
    expect(calls.at(-1)).toEqual({ op: 'commit' });
  });

  it('a row NOT EXISTS skipped that was neither stored nor in conflict (a concurrent writer committed it meanwhile) runs the batch again instead of counting it', async () => {
    const events = makeEvents(2);
    let round = 0;
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === CREATE_STAGE) round++;
      if (sql === SELECT_STORED && round === 2) return { recordset: [{ ord: 0, stored_json: JSON.stringify(events[0]) }] };
      return sql === INSERT_FROM_STAGE ? { recordset: [{ went: 1 }] } : undefined;
    });
    const a = await createMssqlAdapter(conn(), { driver });
    expect(await a.write(batchOf(events))).toMatchObject({ inserted: 1, duplicates: 1, conflicts: [], idConflicts: [] });
    expect(calls.filter((c) => ['begin', 'commit', 'rollback'].includes(c.op)).map((c) => c.op)).toEqual(['begin', 'rollback', 'begin', 'commit']);
  });

  it('counts the rows it inserted from SELECT @@ROWCOUNT, not the driver\'s row counts (none with NOCOUNT on, extra ones from a trigger); a mismatch that outlasts the retries commits on the last attempt instead of failing for ever (found by a review)', async () => {
    for (const rowsAffected of [[], [3, 3, 1]]) {
      const { driver, calls } = fakeMssql((sql) => (sql === INSERT_FROM_STAGE ? { recordset: [{ went: 3 }], rowsAffected } : undefined));
      const a = await createMssqlAdapter(conn(), { driver });
      expect(await a.write(batchOf(makeEvents(3))), JSON.stringify(rowsAffected)).toMatchObject({ inserted: 3, duplicates: 0 });
      expect(calls.filter((c) => c.op === 'rollback')).toHaveLength(0);
    }
    expect(INSERT_FROM_STAGE).toMatch(/;\nSELECT @@ROWCOUNT AS went;$/);
    // Two of three rows counted nowhere, every time: three rollbacks, then the batch commits with them as duplicates.
    const { driver, calls } = fakeMssql((sql) => (sql === INSERT_FROM_STAGE ? { recordset: [{ went: 1 }] } : undefined));
    const a = await createMssqlAdapter(conn(), { driver });
    expect(await a.write(batchOf(makeEvents(3)))).toMatchObject({ inserted: 1, duplicates: 2, idConflicts: [], conflicts: [] });
    expect(calls.filter((c) => ['begin', 'commit', 'rollback'].includes(c.op)).map((c) => c.op)).toEqual(['begin', 'rollback', 'begin', 'rollback', 'begin', 'rollback', 'begin', 'commit']);
  });

  it('on the last attempt, the rows left open are read again: another event stored under one of their ids meanwhile is an event_id conflict, not a duplicate; counts never pass the round (found by a review)', async () => {
    const events = makeEvents(3);
    let inserts = 0;
    const { driver } = fakeMssql((sql) => {
      if (sql === INSERT_FROM_STAGE) inserts++;
      // Read again after the last attempt's insert: events[2]'s id now holds another event.
      if (sql === SELECT_STORED && inserts === 4) return { recordset: [{ ord: 0, stored_json: JSON.stringify(events[0]) }, { ord: 2, stored_json: JSON.stringify({ ...events[2], user_id: 'other' }) }] };
      return sql === INSERT_FROM_STAGE ? { recordset: [{ went: 1 }] } : undefined;
    });
    const a = await createMssqlAdapter(conn(), { driver });
    const out = await a.write(batchOf(events));
    expect(out).toMatchObject({ inserted: 1, duplicates: 1, conflicts: [] });
    // The reject holds this batch's line for that id (the stored one stays as it is).
    expect(out.idConflicts.map((r) => r.raw)).toEqual([JSON.stringify(events[2])]);
    // A count above the rows left open (an INSTEAD OF trigger), or the row-count fallback, is capped: never negative duplicates.
    for (const answer of [{ recordset: [{ went: 5 }] }, { rowsAffected: [2, 1] }]) {
      const { driver: d } = fakeMssql((sql) => (sql === INSERT_FROM_STAGE ? answer : undefined));
      const out2 = await (await createMssqlAdapter(conn(), { driver: d })).write(batchOf(makeEvents(2)));
      expect(out2, JSON.stringify(answer)).toMatchObject({ inserted: 2, duplicates: 0 });
    }
  });

  it('declares every character column of both staging tables COLLATE DATABASE_DEFAULT, so joins to the audit tables do not fail with Msg 468 where the database collation differs from tempdb\'s (found by a review)', () => {
    for (const create of [CREATE_STAGE, CREATE_REJECT_STAGE]) {
      const columns = create.split('\n').filter((l) => l.startsWith('  '));
      expect(columns.length).toBeGreaterThan(3);
      for (const line of columns) {
        const isText = /^ {2}\w+ N?(VAR)?CHAR\(/.test(line);
        expect(line.includes(' COLLATE DATABASE_DEFAULT '), line).toBe(isText);
      }
    }
    // Every text column the joins compare is among them.
    for (const name of ['event_id', 'chain_id']) expect(CREATE_STAGE).toMatch(new RegExp(`\\n  ${name} \\w+\\(\\d+\\) COLLATE DATABASE_DEFAULT`));
    expect(CREATE_REJECT_STAGE).toMatch(/\n {2}reject_key VARCHAR\(\d+\) COLLATE DATABASE_DEFAULT NULL/);
  });

  it('counts the rejects it stored from SELECT @@ROWCOUNT, not the driver\'s row counts (none with NOCOUNT on; found by a review)', async () => {
    const rejects = [rejectRow('s', 'r', 'x1'), rejectRow('s', 'r', 'x2'), rejectRow('s', 'r', 'x3')];
    // NOCOUNT on: no row counts; two of the three were new.
    const { driver } = fakeMssql((sql) => (sql === INSERT_REJECTS_FROM_STAGE ? { recordset: [{ went: 2 }], rowsAffected: [] } : undefined));
    const a = await createMssqlAdapter(conn(), { driver });
    expect(await a.write(batchOf(makeEvents(1), rejects))).toMatchObject({ inserted: 1, rejectsStored: 2 });
    // Read right after the INSERT: DROP TABLE would reset @@ROWCOUNT.
    expect(INSERT_REJECTS_FROM_STAGE).toMatch(/\);\nSELECT @@ROWCOUNT AS went;\nDROP TABLE #audit_reject_stage;$/);
  });

  it('two writes that find no pool share one connect: no second pool built and leaked (found by a review)', async () => {
    const { driver, calls } = fakeMssql();
    const a = await createMssqlAdapter(conn(), { driver });
    await Promise.all([a.write(batchOf(makeEvents(2))), a.write(batchOf(makeEvents(2))), a.check().catch(() => undefined)]);
    expect(calls.filter((c) => c.op === 'connect')).toHaveLength(1);
    expect(calls.filter((c) => c.op === 'pool.close')).toHaveLength(0);
  });

  it('a lost connection (mssql\'s ESOCKET and ECONNCLOSED; ECONNRESET, EPIPE and ECLOSE, which tedious gives the request in flight; EINVALIDSTATE, a request on a connection that closed between two requests) under one batch retires the pool without failing another batch in flight on it; a request timeout (ETIMEOUT) keeps the pool (found by reviews)', async () => {
    for (const code of ['ESOCKET', 'ECONNCLOSED', 'ECONNRESET', 'EPIPE', 'ECLOSE', 'EINVALIDSTATE'] as const) {
      let lose = false;
      const { driver, calls } = fakeMssql((sql) => {
        if (sql === SELECT_CONFLICTS && lose) {
          lose = false;
          throw code === 'ESOCKET' || code === 'ECONNCLOSED' ? Object.assign(new Error('Connection lost'), { code }) : lostConnectionError(code);
        }
        return undefined;
      });
      const a = await createMssqlAdapter(conn(), { driver });
      await a.write(batchOf(makeEvents(1)));
      lose = true;
      // Both batches run on the one pool; the first to select conflicts loses its connection.
      const [first, second] = await Promise.allSettled([a.write(batchOf(makeEvents(2))), a.write(batchOf(makeEvents(2)))]);
      expect(first, code).toMatchObject({ status: 'rejected', reason: { code: 'SINK_DB', dbCode: code } });
      expect(second, code).toMatchObject({ status: 'fulfilled', value: { inserted: 2 } });
      // The pool was closed once, after the second batch committed; the next write connects afresh.
      const ops = calls.map((c) => c.op);
      expect(ops.filter((o) => o === 'pool.close'), code).toHaveLength(1);
      expect(ops.indexOf('pool.close')).toBeGreaterThan(ops.lastIndexOf('commit'));
      await a.write(batchOf(makeEvents(1)));
      expect(calls.filter((c) => c.op === 'connect')).toHaveLength(2);
    }
    let timeout = true;
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === SELECT_CONFLICTS && timeout) {
        timeout = false;
        throw Object.assign(new Error('Timeout: Request failed to complete in 120000ms'), { code: 'ETIMEOUT' });
      }
      return undefined;
    });
    const a = await createMssqlAdapter(conn(), { driver });
    await expect(a.write(batchOf(makeEvents(1)))).rejects.toMatchObject({ code: 'SINK_DB', dbCode: 'ETIMEOUT' });
    await a.write(batchOf(makeEvents(1)));
    expect(calls.filter((c) => c.op === 'connect' || c.op === 'pool.close').map((c) => c.op)).toEqual(['connect']);
  });

  it('counts a connection lost under a request (ECONNRESET, EPIPE, ECLOSE, EINVALIDSTATE as mssql gives them) as the database unreachable (what createSink asks of a migrate that failed at start) and never as a data error (found by a review)', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ECLOSE', 'EINVALIDSTATE'] as const) {
      const err = lostConnectionError(code);
      const typed = dbError('mssql', err, err);
      expect([isUnreachable(err), isUnreachable(typed), isDataError(typed), sqlServerErrorNumber(typed)], code).toEqual([true, true, false, undefined]);
    }
  });

  it('gives the pool a 120 s request timeout unless the configuration sets one (mssql\'s default 15 s; found by a review)', async () => {
    const timeoutOf = async (c: MssqlConnection) => {
      const { driver, calls } = fakeMssql();
      await (await createMssqlAdapter(c, { driver })).write(batchOf(makeEvents(1)));
      const config = (calls[0] as { config: Record<string, unknown> }).config;
      return [config.requestTimeout, (config.options as Record<string, unknown> | undefined)?.requestTimeout, config.timeout];
    };
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(120_000);
    expect(await timeoutOf(conn())).toEqual([120_000, undefined, undefined]);
    expect(await timeoutOf(parseDbUrl('mssql://u:p@db/audit?requestTimeout=30000') as MssqlConnection)).toEqual([30_000, undefined, undefined]);
    expect(await timeoutOf(conn({ config: { server: 'db', options: { requestTimeout: 5000 } } }))).toEqual([undefined, 5000, undefined]);
    expect(await timeoutOf(conn({ config: { server: 'db', timeout: 7000 } }))).toEqual([undefined, undefined, 7000]);
  });

  it('hands the pool the config\'s functions and objects themselves: a beforeConnect hook, a connector and a token credential (structuredClone threw DataCloneError on a function and stripped the credential\'s class; found by a review)', async () => {
    class Credential {
      async getToken() {
        return { token: 't', expiresOnTimestamp: 0 };
      }
    }
    const credential = new Credential();
    const beforeConnect = () => undefined;
    const connector = async () => undefined;
    const given = conn({ config: { server: 'db', beforeConnect, options: { connector }, pool: { max: 2 }, authentication: { type: 'token-credential', options: { credential } } } });
    const { driver, calls } = fakeMssql();
    await (await createMssqlAdapter(given, { driver })).write(batchOf(makeEvents(1)));
    type Seen = { beforeConnect: unknown; options: Record<string, unknown>; pool: unknown; authentication: { options: { credential: unknown } } };
    const config = (calls[0] as unknown as { config: Seen }).config;
    expect(config.beforeConnect).toBe(beforeConnect);
    expect(config.options.connector).toBe(connector);
    expect(config.authentication.options.credential).toBe(credential);
    expect(config.authentication.options.credential).toBeInstanceOf(Credential);
    // The levels mssql writes into are copies: the caller's objects stay as they were.
    expect(config).not.toBe(given.config);
    expect(config.options).not.toBe(given.config.options);
    expect(config.pool).not.toBe(given.config.pool);
    expect(given.config).not.toHaveProperty('requestTimeout');
    // A credential alone (nothing that cannot be cloned) keeps its class too.
    const only = fakeMssql();
    await (await createMssqlAdapter(conn({ config: { server: 'db', authentication: { type: 'token-credential', options: { credential } } } }), { driver: only.driver })).write(batchOf(makeEvents(1)));
    expect((only.calls[0] as unknown as { config: Seen }).config.authentication.options.credential).toBeInstanceOf(Credential);
  });

  it('a write paused after a transient error when close() runs does not connect again: it fails SINK_CLOSED, every pool closed (a new pool was left open; found by a review)', async () => {
    let n = 0;
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === INSERT_FROM_STAGE && n++ === 0) throw Object.assign(new Error('Database not currently available'), { number: 40613 });
      return undefined;
    });
    let wake!: () => void;
    let paused!: () => void;
    const pausedNow = new Promise<void>((r) => (paused = r));
    const a = await createMssqlAdapter(conn(), { driver, sleep: () => new Promise<void>((r) => ((wake = r), paused())) });
    const w = a.write(batchOf(makeEvents(1)));
    await pausedNow;
    await a.close();
    wake();
    await expect(w).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    const count = (op: string) => calls.filter((c) => c.op === op).length;
    expect([count('connect'), count('pool.close'), count('commit')]).toEqual([1, 1, 0]);
    // And a write after close() neither connects.
    await expect(a.write(batchOf(makeEvents(1)))).rejects.toMatchObject({ code: 'SINK_CLOSED' });
    expect(count('connect')).toBe(1);
  });

  it('runs a deadlock victim (1205) or an Azure SQL transient error (40501, 40613, 40197) again after a pause instead of failing the write (which the sink counts as an outage); one that outlasts the attempts is raised (found by a review)', async () => {
    for (const number of [1205, 40501, 40613, 40197]) {
      let fail = 2;
      const { driver, calls } = fakeMssql((sql) => {
        if (sql === INSERT_FROM_STAGE && fail > 0) {
          fail--;
          throw Object.assign(new Error(`error ${number}`), { number });
        }
        return undefined;
      });
      const slept: number[] = [];
      const a = await createMssqlAdapter(conn(), { driver, sleep: async (ms) => void slept.push(ms) });
      expect(await a.write(batchOf(makeEvents(2))), String(number)).toMatchObject({ inserted: 2, duplicates: 0 });
      expect(calls.filter((c) => ['begin', 'commit', 'rollback'].includes(c.op)).map((c) => c.op)).toEqual(['begin', 'rollback', 'begin', 'rollback', 'begin', 'commit']);
      expect(slept).toHaveLength(2);
      for (const [i, ms] of slept.entries()) {
        if (number === 1205) expect(ms).toBeLessThanOrEqual(200 * (i + 1));
        else expect(ms).toBe(number === 40501 ? 10_000 : 5_000);
      }
    }
    // A deadlock's pause is jittered and grows with the attempt.
    expect(transientRetryDelayMs(1205, 0, () => 0)).toBe(50);
    expect(transientRetryDelayMs(1205, 2, () => 1)).toBe(600);
    // A deadlock every time (the number where tedious puts it): three pauses, four attempts, then raised.
    const { driver, calls } = fakeMssql((sql) => {
      if (sql === INSERT_FROM_STAGE) throw Object.assign(new Error('deadlock'), { originalError: { info: { number: 1205 } } });
      return undefined;
    });
    const a = await createMssqlAdapter(conn(), { driver, sleep: async () => undefined });
    await expect(a.write(batchOf(makeEvents(1)))).rejects.toMatchObject({ code: 'SINK_DB', message: 'mssql: deadlock' });
    expect(calls.filter((c) => c.op === 'begin')).toHaveLength(4);
    // Other errors are raised at once.
    const other = fakeMssql((sql) => {
      if (sql === INSERT_FROM_STAGE) throw Object.assign(new Error('permission denied'), { number: 229 });
      return undefined;
    });
    const b = await createMssqlAdapter(conn(), { driver: other.driver, sleep: async () => expect.unreachable() });
    await expect(b.write(batchOf(makeEvents(1)))).rejects.toMatchObject({ code: 'SINK_DB' });
    expect(other.calls.filter((c) => c.op === 'begin')).toHaveLength(1);
  });
});
