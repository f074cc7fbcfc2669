import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import type { MssqlConnection } from '../../sink/connection.js';
import { mssqlPoolConfig } from './pool-config.js';

/**
 * mssql's own ConnectionPool with only its TDS connection stubbed (no SQL
 * Server here): after the first connect it builds its tarn pool from
 * `config.pool` over its defaults, which is what this checks.
 */
class NoServerPool extends sql.ConnectionPool {
  _poolCreate(): Promise<unknown> {
    return Promise.resolve({});
  }
  _poolDestroy(): Promise<void> {
    return Promise.resolve();
  }
}

describe('mssqlPoolConfig', () => {
  it('leaves out pool members given as undefined, so mssql keeps its defaults instead of failing every connect (found by a review: "Tarn: opt.max must be an integer > 0")', async () => {
    // A pool written from optional configuration, none of it set.
    const env: Record<string, string | undefined> = {};
    const conn: MssqlConnection = { dialect: 'mssql', config: { server: 'sql.example', pool: { max: env.POOL_MAX, min: env.POOL_MIN, idleTimeoutMillis: undefined } } };
    const config = mssqlPoolConfig(conn);
    expect(config.pool).toEqual({});
    const pool = new NoServerPool(config as unknown as sql.config);
    await pool.connect();
    await pool.close();
    // A member that is given still goes through, and the caller's object is not changed.
    expect(mssqlPoolConfig({ dialect: 'mssql', config: { server: 'h', pool: { max: 4, min: undefined } } }).pool).toEqual({ max: 4 });
    expect(conn.config.pool).toHaveProperty('max', undefined);
  });
});
