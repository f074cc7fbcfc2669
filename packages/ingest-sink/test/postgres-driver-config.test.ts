import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, openReader, type PostgresConnection } from '../src/index.js';
import { PG_CLIENT_DEFAULTS, pgDriverConfig, PG_POOL_DEFAULTS } from '../src/adapters/postgres/driver-config.js';
import { makeEvents } from './helpers/events.js';
import { createTempDatabase } from './helpers/postgres.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-pg-config-')));
afterEach(() => cleanup());

describe('PostgreSQL driver options of a connection object', () => {
  it('driver options undefined keep the sink\'s defaults (a spread connected with no timeout and a pool of 10: found by a review)', () => {
    const given = { dialect: 'postgres', connectionString: 'postgres://db/audit' } as const;
    const unset = { ...given, load: undefined, max: undefined, connectionTimeoutMillis: undefined, idleTimeoutMillis: undefined, query_timeout: undefined, host: undefined };
    expect(pgDriverConfig(unset, PG_POOL_DEFAULTS)).toEqual(pgDriverConfig(given, PG_POOL_DEFAULTS));
    expect(pgDriverConfig(unset, PG_POOL_DEFAULTS)).toStrictEqual({ connectionString: 'postgres://db/audit', max: 2, connectionTimeoutMillis: 10_000, query_timeout: 60_000 });
    expect(pgDriverConfig(unset, PG_CLIENT_DEFAULTS)).toStrictEqual({ connectionString: 'postgres://db/audit', connectionTimeoutMillis: 10_000 });
    // What the connection sets still wins.
    expect(pgDriverConfig({ ...given, max: 4, connectionTimeoutMillis: 500 }, PG_POOL_DEFAULTS)).toMatchObject({ max: 4, connectionTimeoutMillis: 500, query_timeout: 60_000 });
  });

  it('a sink and a reader on a connection with its optional keys undefined write and read as usual', async () => {
    const db = await createTempDatabase('at_types_undef');
    try {
      const connection: PostgresConnection = { dialect: 'postgres', connectionString: db.url, load: undefined, max: undefined, connectionTimeoutMillis: undefined, ssl: undefined };
      const sink = createSink({ connection, migrate: true, spool: { dir: join(dir, 'spool'), maxBytes: undefined } });
      await sink.write(makeEvents(3));
      await sink.flush();
      await sink.close();
      const reader = await openReader(connection, { snapshot: undefined });
      try {
        expect(reader.snapshot).toBe(false);
        expect(await reader.query({ text: 'SELECT count(*)::int AS n FROM security_audit_events' })).toEqual([{ n: 3 }]);
      } finally {
        await reader.close();
      }
    } finally {
      await db.drop();
    }
  });
});
