import { describe, expect, it } from 'vitest';
import { createMssqlAdapter, DEFAULT_REQUEST_TIMEOUT_MS } from '../../src/adapters/mssql/mssql-adapter.js';
import { mssqlReader } from '../../src/reader/open-reader.js';
import { parseDbUrl, SinkError, type MssqlConnection } from '../../src/index.js';
import { fakeMssql, type FakeCall } from '../helpers/fake-mssql.js';

type MssqlModule = NonNullable<Parameters<typeof mssqlReader>[1]>;
const configOf = (calls: FakeCall[]) => (calls.find((c) => c.op === 'connect') as Extract<FakeCall, { op: 'connect' }>).config;

describe('SQL Server reader (reports, verify --db), through the recording fake of the driver', () => {
  it('opens its pool with the config the writer gives its own: the 120 s request timeout, not mssql\'s 15 s, unless the config sets one (found by a review)', async () => {
    for (const url of ['mssql://u:p@db:1433/audit', 'mssql://u:p@db/audit?requestTimeout=30000']) {
      const conn = parseDbUrl(url) as MssqlConnection;
      const read = fakeMssql();
      await (await mssqlReader(conn, read.driver as unknown as MssqlModule)).close();
      const write = fakeMssql();
      await (await createMssqlAdapter({ ...conn, babelfish: false }, { driver: write.driver })).check().catch(() => undefined);
      expect(configOf(read.calls), url).toEqual(configOf(write.calls));
      expect(configOf(read.calls).requestTimeout, url).toBe(url.includes('requestTimeout') ? 30_000 : DEFAULT_REQUEST_TIMEOUT_MS);
      // A copy: mssql writes its defaults into the config it is given.
      expect(configOf(read.calls), url).not.toBe(conn.config);
    }
  });

  it('a connect that fails is a typed SINK_DB naming the server, as the PostgreSQL reader\'s, and the pool is closed (found by a review)', async () => {
    const refused = Object.assign(new Error("Login failed for user 'u'."), { name: 'ConnectionError', code: 'ELOGIN' });
    const { driver, calls } = fakeMssql(undefined, {
      connect: () => {
        throw refused;
      },
    });
    const err = await mssqlReader(parseDbUrl('mssql://u:p@db:1433/audit') as MssqlConnection, driver as unknown as MssqlModule).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ code: 'SINK_DB', message: "cannot connect to SQL Server at db:1433: Login failed for user 'u'.", cause: refused });
    expect(calls.map((c) => c.op)).toEqual(['connect', 'pool.close']);
    // A named instance is named as such (its port is SQL Browser's to give).
    const named = fakeMssql(undefined, {
      connect: () => {
        throw refused;
      },
    });
    await expect(mssqlReader({ dialect: 'mssql', config: { server: 'db', options: { instanceName: 'SQLEXPRESS' } } }, named.driver as unknown as MssqlModule)).rejects.toMatchObject({
      code: 'SINK_DB',
      message: "cannot connect to SQL Server at db\\SQLEXPRESS: Login failed for user 'u'.",
    });
  });
});
