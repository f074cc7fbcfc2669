import { fstatSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { shownPath } from './shown.js';

// What the system error codes a file name can meet mean, in words. Others
// get the operating system's own text (libuv's), then the code.
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
 * code gives its message.
 */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e?.code) return String(e?.message ?? err);
  const words = REASONS[e.code] ?? (typeof e.errno === 'number' ? getSystemErrorMap().get(e.errno)?.[1] : undefined);
  return words ? `${words} (${e.code})` : e.code;
}

/** `cannot read FILE: REASON`: the file named (its control characters escaped) and what is wrong with it, in words. */
export function cannotRead(file: string, err: unknown): string {
  return `cannot read ${shownPath(file)}: ${fileErrorReason(err)}`;
}

/**
 * Why `stdin` cannot be read as an input, or undefined when it can: a
 * directory (`audit-trail ingest < logs/`) gives no read error in Node, which
 * makes a stdin it cannot read an empty stream, so ingest stored nothing and
 * exited 0, and verify said there was no chain. Only a stream on a real file
 * descriptor is looked at (Node sets `fd` on process.stdin; tests pass
 * streams of their own).
 */
export function stdinProblem(stdin: NodeJS.ReadableStream): NodeJS.ErrnoException | undefined {
  const fd = (stdin as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return undefined;
  try {
    if (!fstatSync(fd).isDirectory()) return undefined;
  } catch {
    // Not a descriptor fstat can look at: left to the read to tell.
    return undefined;
  }
  return Object.assign(new Error('is a directory'), { code: 'EISDIR' });
}
