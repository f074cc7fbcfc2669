import { createTableStatements } from '@audit-trail/schema';
import { parseDbUrl, type Connection } from './connection.js';
import { createAdapter } from './create-adapter.js';

/**
 * Creates the events and rejects tables with their indexes (the DDL generated
 * by @audit-trail/schema for the URL's dialect). Idempotent: safe to run on
 * every deploy. Opens no spool.
 */
export async function migrateDatabase(target: string | Connection): Promise<{ dialect: Connection['dialect']; statements: number }> {
  const conn = typeof target === 'string' ? parseDbUrl(target) : target;
  const adapter = await createAdapter(conn.dialect === 'sqlite' ? { ...conn, worker: false } : conn);
  try {
    await adapter.migrate();
  } finally {
    await adapter.close();
  }
  return { dialect: conn.dialect, statements: createTableStatements(conn.dialect).length };
}
