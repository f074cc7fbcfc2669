import { assignDefined } from '@audit-trail/schema';
import type { MssqlConnection } from '../../sink/connection.js';

/**
 * mssql's `requestTimeout` when the configuration sets none: 120 s, not the
 * driver's 15 s (https://github.com/tediousjs/node-mssql#general-same-for-all-drivers).
 * One batch is a bulk load and a few set-based statements over up to
 * thousands of rows, and a busy server (a log flush, a blocking migration)
 * can take longer than 15 s; a timed-out batch is sent again, from the
 * start. Set `requestTimeout` in the configuration (or `?requestTimeout=` in
 * the URL) to choose another.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

/**
 * The configuration to give `new sql.ConnectionPool(...)` for `conn`, with
 * {@link DEFAULT_REQUEST_TIMEOUT_MS} unless it sets a request timeout. One
 * function for the writer (mssql-adapter.ts) and the report/verify reader
 * (reader/open-reader.ts): the reader gave mssql `conn.config` as it was,
 * so a report over a large table failed at mssql's 15 s where the writer
 * waits 120 s (found by a review).
 *
 * A copy, as mssql 12 no longer clones the config it is given (its README,
 * "11.x to 12.x") and writes into it: the top level (port, stream,
 * parseJSON, arrayRowMode, validateConnection, server) and `options`
 * (instanceName, from `server: 'host\\instance'`), in lib/base/connection-pool.js.
 * `pool` is copied too (it is the user's). Shallow, not structuredClone:
 * a function (mssql's `beforeConnect`, tedious' `options.connector`) made
 * every connect throw DataCloneError, and a credential object
 * (`authentication.options.credential`, an @azure/identity TokenCredential)
 * came out a plain object without its methods (found by a review).
 *
 * `pool`'s members given as undefined are left out (assignDefined), as
 * everywhere in the options: mssql builds its tarn pool with
 * `Object.assign({ max: 10, min: 0, ... }, config.pool)`, so `{ max:
 * cfg.poolMax }` without that setting put undefined over the default and
 * every connect failed with "Tarn: opt.max must be an integer > 0" (found by
 * a review).
 */
export function mssqlPoolConfig(conn: MssqlConnection): Record<string, unknown> {
  const { options, pool } = conn.config;
  const config: Record<string, unknown> = { ...conn.config, ...(options ? { options: { ...options } } : {}), ...(pool ? { pool: assignDefined({}, pool) } : {}) };
  // mssql reads options.requestTimeout, then requestTimeout, then timeout (lib/tedious/connection-pool.js).
  const set = [options?.requestTimeout, config.requestTimeout, config.timeout].some((v) => v !== undefined);
  return set ? config : { ...config, requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS };
}
