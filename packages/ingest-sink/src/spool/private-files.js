// @ts-check
// Plain JavaScript so that the SQLite worker (adapters/sqlite/sqlite-core.js)
// shares it. Types: private-files.d.ts.
import { closeSync, openSync } from 'node:fs';

/**
 * Modes of what the sink creates on disk for data it holds: spool segments,
 * their watermark, holes and lock files, quarantine copies, the spool's
 * destination, the partial-line journal and a new SQLite database. They
 * hold audit events (user ids, client addresses, error details), so only
 * the sink's own user may read them: before, they were created with the
 * defaults (0777 and 0666 less the umask, 0755 and 0644 under the usual
 * 022), so any local user could read every event waiting in the spool
 * (found by a probe).
 *
 * The modes apply to what is created; a directory or database that already
 * exists (an operator's volume, or one made by an earlier version) keeps its
 * mode, and the files created in it are private all the same.
 */
export const PRIVATE_DIR_MODE = 0o700;

/** See {@link PRIVATE_DIR_MODE}. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `path` empty with {@link PRIVATE_FILE_MODE} when nothing is there;
 * leaves an existing file as it is. Any other failure (a missing parent, no
 * permission) is left for the caller's own open to report in its words.
 * @param {string} path
 */
export function createPrivateFile(path) {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch {
    // EEXIST: the file is there, mode kept. Otherwise the caller's open fails and says why.
  }
}
