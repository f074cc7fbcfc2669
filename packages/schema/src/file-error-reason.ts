import { getSystemErrorMap } from 'node:util';

// Here, in the package the logger, the sink and the CLI all depend on, so that
// every "cannot read FILE" says what is wrong the same way (key, keyring,
// password, config, users and input files alike).

/** What the system error codes a file name can meet mean, in words. Others get the operating system's own text (libuv's), then the code. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
};

/**
 * Why a file operation failed, in words, with the system's code after them
 * for scripts and searches: "is a directory (EISDIR)". An error without a
 * code gives its message; one whose code is Node's own (`ERR_...`, no system
 * error) its message and the code, where the code alone said nothing.
 */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e?.code) return String(e?.message ?? err);
  const words = REASONS[e.code] ?? (typeof e.errno === 'number' ? getSystemErrorMap().get(e.errno)?.[1] : undefined);
  if (words) return `${words} (${e.code})`;
  return e.message ? `${e.message} (${e.code})` : e.code;
}
