import { readFileSync } from 'node:fs';
import { DEFAULT_DB_URL } from './connection.js';
import { SinkError } from './errors.js';

/** Environment variables the sink and the CLI read. */
export const DB_URL_ENV = 'AUDIT_TRAIL_DB_URL';
/** File holding the database password (Docker/Kubernetes secret mount); the password never appears in a URL on the command line. */
export const DB_PASSWORD_FILE_ENV = 'AUDIT_TRAIL_DB_PASSWORD_FILE';

/**
 * The database URL to use: the explicit one, else `AUDIT_TRAIL_DB_URL`, else
 * `sqlite:./audit.db`. When `AUDIT_TRAIL_DB_PASSWORD_FILE` is set, its
 * content (trailing newline removed) becomes the URL's password.
 */
export function resolveDbUrl(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = explicit ?? env[DB_URL_ENV] ?? DEFAULT_DB_URL;
  const file = env[DB_PASSWORD_FILE_ENV];
  if (!file || url.startsWith('sqlite:')) return url;
  let password: string;
  try {
    password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new SinkError('SINK_BAD_OPTION', `cannot read ${DB_PASSWORD_FILE_ENV} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SinkError('SINK_BAD_URL', 'not a database URL (expected sqlite:, postgres:// or mssql://)');
  }
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
