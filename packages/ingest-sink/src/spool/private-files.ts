/**
 * Modes of what the sink creates on disk for data it holds: spool segments,
 * their watermark, holes and lock files, quarantine copies, the spool's
 * destination and the partial-line journal. They hold audit events (user
 * ids, client addresses, error details), so only the sink's own user may
 * read them: before, they were created with the defaults (0777 and 0666
 * less the umask, 0755 and 0644 under the usual 022), so any local user
 * could read every event waiting in the spool (found by a probe).
 *
 * The modes apply to what is created; a directory that already exists (an
 * operator's volume, or a spool made by an earlier version) keeps its mode,
 * and the files created in it are private all the same.
 */
export const PRIVATE_DIR_MODE = 0o700;

/** See {@link PRIVATE_DIR_MODE}. */
export const PRIVATE_FILE_MODE = 0o600;
