import { fstatSync } from 'node:fs';
import { fileErrorReason } from '@audit-trail/schema';
import { shownPath } from './shown.js';

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
