import { parseDbUrl, resolveDbUrl, SinkError, type Connection } from '@audit-trail/ingest-sink';
import { UsageError, type CommandIo } from './command.js';

/** A command's database URL, checked, with its parsed connection. */
export interface CommandDb {
  /** The URL, with the password of AUDIT_TRAIL_DB_PASSWORD_FILE in it: for drivers, never for messages (redactUrl). */
  url: string;
  connection: Connection;
}

/**
 * The database of a command: `--db`, else AUDIT_TRAIL_DB_URL, else
 * sqlite:./audit.db, parsed before anything is opened. A URL the sink cannot
 * use (an unknown scheme, a sqlite URL naming a host, a bad option) or a
 * password file that cannot be read is a {@link UsageError}: exit 2 with the
 * same message in every command, where it used to be 1 in some (a run that
 * failed) and 2 in others.
 */
export function commandDb(explicit: string | undefined, io: CommandIo): CommandDb {
  try {
    const url = resolveDbUrl(explicit, io.env);
    return { url, connection: parseDbUrl(url) };
  } catch (err) {
    if (err instanceof SinkError && (err.code === 'SINK_BAD_URL' || err.code === 'SINK_BAD_OPTION')) throw new UsageError(err.message);
    throw err;
  }
}
