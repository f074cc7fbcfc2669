import { assignDefined } from '@audit-trail/schema';
import type { PostgresConnection } from '../../sink/connection.js';

/**
 * What the writer's pool uses unless the connection sets it: two
 * connections (one per batch in flight), a connect that fails within 10 s
 * instead of the OS's TCP timeout (minutes), and a statement that fails
 * after 60 s instead of holding a batch forever.
 */
export const PG_POOL_DEFAULTS: Readonly<Record<string, unknown>> = { max: 2, connectionTimeoutMillis: 10_000, query_timeout: 60_000 };

/** What the report/verify reader's client uses unless the connection sets it: a connect that fails within 10 s. */
export const PG_CLIENT_DEFAULTS: Readonly<Record<string, unknown>> = { connectionTimeoutMillis: 10_000 };

/**
 * The configuration to give `new pg.Pool(...)` (the writer) or `new
 * pg.Client(...)` (the reader) for `conn`: `defaults` under the
 * connection's driver options, without the sink's own keys (`dialect`,
 * `load`). A key given as undefined is not given (assignDefined), as
 * everywhere in the options: a spread put the undefined over the default, so
 * `{ connectionString, connectionTimeoutMillis: cfg.connectTimeout }` without
 * that setting connected with no timeout at all (pg-pool waits forever for
 * 0 or undefined) and `max: undefined` opened pg-pool's 10 connections
 * instead of 2 (found by a review).
 */
export function pgDriverConfig(conn: Omit<PostgresConnection, 'dialect'> & { dialect?: unknown }, defaults: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { dialect: _d, load: _l, ...given } = conn;
  return assignDefined({ ...defaults }, given);
}
