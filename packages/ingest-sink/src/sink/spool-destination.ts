import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Connection } from './connection.js';
import { SinkError } from './errors.js';

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
  // pg reads a URL's host (or ?host=, a socket directory), port and database; explicit fields win.
  let url: URL | undefined;
  try {
    url = conn.connectionString ? new URL(conn.connectionString) : undefined;
  } catch {
    url = undefined;
  }
  const host = conn.host ?? url?.searchParams.get('host') ?? (url?.hostname || 'localhost');
  const port = conn.port ?? (Number(url?.port) || 5432);
  const database = conn.database ?? (url?.pathname.slice(1) ? decodeURIComponent(url.pathname.slice(1)) : '(default)');
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
  const text = await readFile(path, 'utf8').catch(() => undefined);
  let recorded: SpoolDestination | undefined;
  try {
    recorded = text === undefined ? undefined : (JSON.parse(text) as SpoolDestination);
  } catch {
    recorded = undefined;
  }
  if (recorded?.key === dest.key) return;
  if (recorded && typeof recorded.key === 'string' && pending > 0) {
    throw new SinkError(
      'SINK_SPOOL_FOREIGN',
      `spool ${dir} holds ${pending} event(s) for ${String(recorded.shown)}, not for ${dest.shown}: deliver them by starting a sink for that database with this spool, or give this one another spool directory; if both name the same database, delete ${path}`,
    );
  }
  // Written whole or not at all: a torn file would read as no destination.
  await writeFile(`${path}.tmp`, `${JSON.stringify(dest)}\n`);
  await rename(`${path}.tmp`, path);
}
