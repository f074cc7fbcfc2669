import type { SinkAdapter } from '../adapters/adapter.js';
import type { Connection } from './connection.js';

/** Loads the adapter (and its driver) of the connection's dialect, and only that one. */
export async function createAdapter(conn: Connection): Promise<SinkAdapter> {
  switch (conn.dialect) {
    case 'sqlite':
      return (await import('../adapters/sqlite/sqlite-adapter.js')).createSqliteAdapter(conn);
    case 'postgres':
      return (await import('../adapters/postgres/postgres-adapter.js')).createPostgresAdapter(conn);
    case 'mssql':
      return (await import('../adapters/mssql/mssql-adapter.js')).createMssqlAdapter(conn);
  }
}
