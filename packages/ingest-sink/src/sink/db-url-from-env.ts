import { BoundedFileError, fileErrorReason, MAX_SECRET_FILE_BYTES, readBoundedFile, withoutBom } from '@audit-trail/schema';
import { DEFAULT_DB_URL, isSqliteUrl, unparsableUrl } from './connection.js';
import { SinkError } from './errors.js';

/** Environment variables the sink and the CLI read. */
export const DB_URL_ENV = 'AUDIT_TRAIL_DB_URL';
/** File holding the database password (Docker/Kubernetes secret mount); the password never appears in a URL on the command line. */
export const DB_PASSWORD_FILE_ENV = 'AUDIT_TRAIL_DB_PASSWORD_FILE';

/**
 * The database URL to use: the explicit one, else `AUDIT_TRAIL_DB_URL`, else
 * `sqlite:./audit.db`. When `AUDIT_TRAIL_DB_PASSWORD_FILE` is set, its
 * content (trailing newline and a leading byte order mark removed) becomes
 * the URL's password; it must be a regular file of at most 1 MiB (SinkError
 * SINK_BAD_OPTION otherwise).
 */
export function resolveDbUrl(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = explicit ?? env[DB_URL_ENV] ?? DEFAULT_DB_URL;
  const file = env[DB_PASSWORD_FILE_ENV];
  if (!file || isSqliteUrl(url)) return url;
  let password: string;
  try {
    // A regular file of at most 1 MiB: /dev/zero given by mistake must not grow the process to gigabytes.
    // Without a leading byte order mark (a Windows editor's), as serve's key and users files
    // are read: kept, it was the password's first character and authentication failed (found by a review).
    password = withoutBom(readBoundedFile(file, MAX_SECRET_FILE_BYTES, `${DB_PASSWORD_FILE_ENV} file ${file}`).toString('utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    if (err instanceof BoundedFileError) throw new SinkError('SINK_BAD_OPTION', err.message, { cause: err });
    // Name the file, as a directory or an oversized file is named (BoundedFileError above), and what is wrong in words (fileErrorReason).
    throw new SinkError('SINK_BAD_OPTION', `cannot read ${DB_PASSWORD_FILE_ENV} file ${file}: ${fileErrorReason(err)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw unparsableUrl(url);
  }
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
