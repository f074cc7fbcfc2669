import { createHash } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Connection } from './connection.js';
import { destinationOf } from './spool-destination.js';

// Where a sink's spool lives when its options name no directory, and the
// move of a directory named under the earlier scheme.

/**
 * A connection string without its password (user info, or pg's
 * `?password=`): the database it names, whatever password reaches it.
 */
function withoutPassword(connectionString: string | undefined): string | undefined {
  if (connectionString === undefined) return undefined;
  try {
    const u = new URL(connectionString);
    u.password = '';
    u.searchParams.delete('password');
    return u.toString();
  } catch {
    return connectionString;
  }
}

/** Spool directory of a server database, named by a hash of `key` (which hides credentials). */
function hashedSpoolDir(dialect: string, key: unknown[]): string {
  return resolve(join('.audit-trail-spool', `${dialect}-${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16)}`));
}

/**
 * A stable spool directory per database: beside a SQLite file; for a server,
 * named by its host, port and database, never by the password, so rotating
 * the password (AUDIT_TRAIL_DB_PASSWORD_FILE) finds the events spooled
 * before it. `legacy`: the name the spool had while the password was part
 * of the key (before 2026-12-06), or, for SQL Server at an IPv6 address,
 * while the address kept its brackets; adopted on open.
 */
export function defaultSpoolDir(conn: Connection): { dir: string; legacy?: string[] } {
  if (conn.dialect === 'sqlite') return { dir: `${resolve(conn.filename)}.spool` };
  if (conn.dialect === 'mssql') {
    const { server, port, database, options } = conn.config;
    const instance = typeof options?.instanceName === 'string' ? options.instanceName : undefined;
    // A named instance is a server of its own: two instances of one host shared a spool (found by a
    // review). Its directory before 2026-12-07, named without the instance, is adopted.
    if (instance !== undefined) return { dir: hashedSpoolDir(conn.dialect, [server, port, database, instance]), legacy: [hashedSpoolDir(conn.dialect, [server, port, database])] };
    const dir = hashedSpoolDir(conn.dialect, [server, port, database]);
    // Earlier versions kept an IPv6 server in its URL's brackets (`[::1]`), which tedious never reached: the
    // spool named by it holds what was acked meanwhile, adopted as the password-era names are.
    return server.includes(':') ? { dir, legacy: [hashedSpoolDir(conn.dialect, [`[${server}]`, port, database])] } : { dir };
  }
  // Named by the database as the spool's destination check names it (host,
  // port, database): the user and the URL's other parameters may change
  // (credentials rotated to a new user, `?sslmode=` or `?application_name=`
  // added, the default port written out) and left the events spooled before
  // in a directory no sink looked in (found by a probe: 100 acked events,
  // `status: ok`). The names it had before are adopted: the connection
  // string without its password (before 2026-12-07), then with it.
  const dir = hashedSpoolDir(conn.dialect, [destinationOf(conn).key]);
  const earlier = [
    hashedSpoolDir(conn.dialect, [withoutPassword(conn.connectionString), conn.host, conn.port, conn.database]),
    hashedSpoolDir(conn.dialect, [conn.connectionString, conn.host, conn.port, conn.database]),
  ].filter((d, i, all) => d !== dir && all.indexOf(d) === i);
  return earlier.length > 0 ? { dir, legacy: earlier } : { dir };
}

/** True when a spool directory's entries hold records: a segment file (spool.ts SEG_RE, any width). */
const holdsSegments = (names: readonly string[]) => names.some((n) => /^seg-\d+\.log$/.test(n));

/**
 * Moves a default spool directory from its earlier name (a hash that held
 * the password) to its name now, when only the earlier one exists: events
 * spooled before the upgrade are then replayed, not left where no sink
 * looks. When both exist and the earlier one holds segments (an earlier
 * version run again after an upgrade, a rollback, spooled there during an
 * outage), the new one is replaced by it if it holds nothing pending
 * (no segment, no lock, no quarantine: what a clean stop leaves); otherwise
 * both stay, and the returned text says where the stranded events are and
 * how to deliver them. Before, both were left as they were, silently: the
 * re-upgraded sink started on the empty new directory and the events the
 * earlier version had acked stayed where no sink looks (found by the
 * upgrade probe: 3 of 3 events, ingest exit 0).
 */
export async function adoptLegacySpool(legacy: string, dir: string): Promise<string | undefined> {
  const exists = (p: string) => stat(p).then(() => true, () => false);
  if (!(await exists(legacy))) return undefined;
  if (!(await exists(dir))) {
    await rename(legacy, dir);
    return undefined;
  }
  if (!holdsSegments(await readdir(legacy).catch(() => []))) return undefined;
  const names = await readdir(dir);
  if (holdsSegments(names) || names.includes('LOCK') || names.includes('quarantine')) {
    return `the spool directory ${legacy}, the name an earlier version used for this database, holds events it spooled, and ${dir} is in use: deliver them with \`audit-trail ingest --spool ${legacy} --db <this database> /dev/null\``;
  }
  // Aside first, so that a crash between the renames leaves only the earlier
  // directory (adopted by the next start), never both without the events.
  const aside = `${dir}.replaced`;
  await rm(aside, { recursive: true, force: true });
  await rename(dir, aside);
  await rename(legacy, dir);
  await rm(aside, { recursive: true, force: true });
  return undefined;
}
