import { describe, expect, it } from 'vitest';
import { fakeMssql, type FakeCall } from '../../../test/helpers/fake-mssql.js';
import { makeEvents } from '../../../test/helpers/events.js';
import { dedupeBatch } from '../../sink/dedupe-batch.js';
import { prepareRows, rejectRow } from '../../sink/prepare.js';
import { createMssqlAdapter } from './mssql-adapter.js';
import { MAX_VALUES_ROWS, REJECT_INSERT_COLUMNS, REJECT_STAGE, rowsPerInsert, STAGE, STAGE_COLUMNS } from './mssql-sql.js';

/** SQL Server's limit on the parameters of one RPC request (error 8003 past it). */
const RPC_PARAM_LIMIT = 2100;
/** sp_executesql's own parameters, @statement and @params, which tedious sends before the query's (lib/connection.js execSql). */
const SP_EXECUTESQL_OWN = 2;

describe('mssql parameter limit (the stagingLoad=values path)', () => {
  it('fills each multi-row INSERT up to 2098 parameters, never 2099: sp_executesql takes two of the 2100 (found by a probe)', () => {
    for (let width = 1; width <= RPC_PARAM_LIMIT - SP_EXECUTESQL_OWN; width++) {
      const rows = rowsPerInsert(width);
      expect(rows * width + SP_EXECUTESQL_OWN, `width ${width}`).toBeLessThanOrEqual(RPC_PARAM_LIMIT);
      expect(rows).toBeLessThanOrEqual(MAX_VALUES_ROWS);
      // As many rows as fit: one more would pass one of the two limits.
      expect(rows === MAX_VALUES_ROWS || (rows + 1) * width + SP_EXECUTESQL_OWN > RPC_PARAM_LIMIT, `width ${width}`).toBe(true);
    }
    // A row wider than that cannot be sent at all: said here, not by the server's error 8003.
    for (const width of [2099, 2100, 5000]) expect(() => rowsPerInsert(width), `width ${width}`).toThrow(RangeError);
  });

  it('sends a round of exactly one INSERT\'s rows in one request, and one row more in two; rejects the same way', async () => {
    const sent = async (events: number, rejects: number) => {
      const { driver, calls } = fakeMssql();
      const a = await createMssqlAdapter({ dialect: 'mssql', config: { server: 'db' }, babelfish: false, stagingLoad: 'values' }, { driver });
      const rows = Array.from({ length: rejects }, (_, i) => rejectRow('s', 'r', `x${i}`));
      const b = dedupeBatch(prepareRows(makeEvents(events).map((e) => ({ line: JSON.stringify(e) })), 'direct'));
      await a.write({ ...b, rejects: rows });
      const queries = calls.filter((c): c is Extract<FakeCall, { op: 'query' | 'batch' }> => c.op === 'query');
      for (const q of queries) expect(q.params.length + SP_EXECUTESQL_OWN).toBeLessThanOrEqual(RPC_PARAM_LIMIT);
      const count = (table: string) => queries.filter((q) => q.sql.startsWith(`INSERT INTO ${table} `)).length;
      return [count(STAGE), count(REJECT_STAGE)];
    };
    const events = rowsPerInsert(STAGE_COLUMNS.length);
    const rejects = rowsPerInsert(REJECT_INSERT_COLUMNS.length);
    expect(await sent(events, rejects)).toEqual([1, 1]);
    expect(await sent(events + 1, rejects + 1)).toEqual([2, 2]);
  });
});
