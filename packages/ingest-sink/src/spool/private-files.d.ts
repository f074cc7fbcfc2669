/** Mode of the directories the sink creates for data it holds (spool, quarantine): owner only. */
export const PRIVATE_DIR_MODE: number;
/** Mode of the files the sink creates for data it holds (spool files, journal, a new SQLite database): owner only. */
export const PRIVATE_FILE_MODE: number;
/** Creates `path` empty with {@link PRIVATE_FILE_MODE} when nothing is there; leaves an existing file as it is. */
export function createPrivateFile(path: string): void;
