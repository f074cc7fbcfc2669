import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test PostgreSQL server (trust auth); tests FAIL when it is unreachable. */
export const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database of our own, dropped by `drop()`. */
export async function createTempDatabase(prefix = 'at_sink'): Promise<{ url: string; name: string; query: (sql: string, values?: unknown[]) => Promise<pg.QueryResult>; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const client = new pg.Client({ connectionString: url });
  // A server restart or a test's pg_terminate_backend must not crash the test process through an unheard 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return {
    url,
    name,
    query: (sql, values) => client.query(sql, values),
    async drop() {
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
