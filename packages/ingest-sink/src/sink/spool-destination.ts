import { createHash } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Connection, PostgresConnection } from './connection.js';
import { SinkError } from './errors.js';
import { PRIVATE_FILE_MODE } from '../spool/private-files.js';

// Which database a spool's events are for. A spool directory named
// explicitly (`spool.dir`, `--spool`, AUDIT_TRAIL_SPOOL) can be shared by
// sinks of different databases, one after the other; its records carry no
// destination, so a sink replayed another database's events into its own,
// and that database never got them (found by a probe).

/** The file in the spool directory naming the database its events are for. */
export const DESTINATION_FILE = 'destination';

/** A database as a spool knows it: `key` compares, `shown` says which one in messages (never a password). */
export interface SpoolDestination {
  key: string;
  shown: string;
}

/** The database `conn` names: its file, or its server, port and database (not the user or password, which may change). */
export function destinationOf(conn: Connection): SpoolDestination {
  if (conn.dialect === 'sqlite') {
    const file = resolve(conn.filename);
    return { key: `sqlite:${file}`, shown: `sqlite:${file}` };
  }
  if (conn.dialect === 'mssql') {
    const c = conn.config;
    const instance = typeof c.options?.instanceName === 'string' ? `\\${c.options.instanceName}` : '';
    const shown = `mssql://${c.server}${instance}:${String(c.port ?? 1433)}/${String(c.database ?? '')}`;
    return { key: shown.toLowerCase(), shown };
  }
  return postgresDestination(conn);
}

/**
 * A PostgreSQL database as pg finds it: explicit fields first, then the
 * URL's query parameters, which pg-connection-string lets override the
 * URL's host, port and path (`?port=6543`, `?host=/var/run/postgresql`),
 * then the URL, then libpq's environment (PGHOST, PGPORT, PGDATABASE) and
 * defaults (pg's own: the database is the user's name). A string that is no
 * URL is keyed by a hash of itself: two such strings share a spool only when
 * they are the same, never by falling back to one default key (found by a
 * review).
 */
function postgresDestination(conn: PostgresConnection): SpoolDestination {
  let url: URL | undefined;
  try {
    url = conn.connectionString === undefined ? undefined : new URL(conn.connectionString);
  } catch {
    const digest = createHash('sha256').update(conn.connectionString!).digest('hex').slice(0, 16);
    return { key: `postgres:unparsed:${digest}`, shown: `postgres (a connection string that is no URL, ${digest})` };
  }
  const q = url?.searchParams;
  const decoded = (s: string | undefined) => {
    if (!s) return undefined;
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const env = process.env;
  const host = conn.host ?? q?.get('host') ?? (decoded(url?.hostname) || env.PGHOST || 'localhost');
  const port = conn.port ?? (Number(q?.get('port') ?? url?.port) || Number(env.PGPORT) || 5432);
  const user = conn.user ?? q?.get('user') ?? decoded(url?.username) ?? env.PGUSER;
  const database = conn.database ?? q?.get('database') ?? decoded(url?.pathname.slice(1)) ?? env.PGDATABASE ?? user ?? '(default)';
  const shown = `postgres://${host}:${port}/${database}`;
  return { key: shown, shown };
}

/**
 * Checks that the spool in `dir`, holding `pending` records, is for `dest`,
 * and records `dest` as its destination. Throws `SINK_SPOOL_FOREIGN` when
 * its records are for another database. A spool with nothing pending, or
 * whose destination was never recorded (spools before 2026-12-07), becomes
 * `dest`'s.
 */
export async function claimSpool(dir: string, dest: SpoolDestination, pending: number): Promise<void> {
  const path = join(dir, DESTINATION_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (pending > 0) throw new SinkError('SINK_SPOOL_FOREIGN', `spool ${dir} holds ${pending} event(s), and its destination file ${path} cannot be read (${(err as Error).message}): not delivering them to ${dest.shown} unchecked`, { cause: err });
    }
  }
  let recorded: { key?: unknown; shown?: unknown } | undefined;
  try {
    recorded = text === undefined ? undefined : (JSON.parse(text) as { key?: unknown; shown?: unknown });
  } catch {
    recorded = undefined;
  }
  if (recorded?.key === dest.key) return;
  if (text !== undefined && typeof recorded?.key !== 'string' && pending > 0) {
    // Damaged (cut short by a crash, edited): which database the events are for is unknown.
    throw new SinkError('SINK_SPOOL_FOREIGN', `spool ${dir} holds ${pending} event(s), and its destination file ${path} is damaged: not delivering them to ${dest.shown} unchecked; if they are this database's, delete the file`);
  }
  if (recorded && pending > 0) {
    throw new SinkError(
      'SINK_SPOOL_FOREIGN',
      `spool ${dir} holds ${pending} event(s) for ${String(recorded.shown)}, not for ${dest.shown}: deliver them by starting a sink for that database with this spool, or give this one another spool directory; if both name the same database, delete ${path}`,
    );
  }
  await writeDurably(path, `${JSON.stringify(dest)}\n`);
}

/**
 * Writes `path` whole or not at all, and durably (fsync of the file, then of
 * its directory after the rename): a destination file left empty by a power
 * cut would read as damaged, and stop the next start.
 */
async function writeDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fd = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    await fd.writeFile(text);
    await fd.sync();
  } finally {
    await fd.close();
  }
  await rename(tmp, path);
  const dirFd = await open(dirname(path), 'r');
  try {
    await dirFd.sync();
  } finally {
    await dirFd.close();
  }
}
