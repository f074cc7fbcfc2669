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

/**
 * Runs `fn` with a fresh database from {@link createTempDatabase}, dropped
 * afterwards whether `fn` resolves or throws.
 */
export async function withTempDatabase(prefix: string, fn: (db: Awaited<ReturnType<typeof createTempDatabase>>) => Promise<void>): Promise<void> {
  const db = await createTempDatabase(prefix);
  try {
    await fn(db);
  } finally {
    await db.drop();
  }
}

/**
 * Ends the sessions `where` picks (an SQL condition on pg_stat_activity) with
 * pg_terminate_backend and waits until they are gone: it returns once the
 * signal is sent, so a query sent right after could still reach a backend
 * and be answered (a FETCH then read the rest of its rows). The timeout
 * argument that waits is PostgreSQL 14+; this works from 11.
 */
export async function terminateSessions(db: { query: (sql: string, values?: unknown[]) => Promise<pg.QueryResult> }, where: string, values: unknown[] = []): Promise<void> {
  const pids = (await db.query(`SELECT pid FROM pg_stat_activity WHERE ${where}`, values)).rows.map((r: { pid: number }) => r.pid);
  await db.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  while ((await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])).rows.length > 0) {
    await new Promise((r) => setTimeout(r, 10));
  }
}
