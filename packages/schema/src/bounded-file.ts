import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { CodedError } from './coded-error.js';

// Here, in the package that the logger, the sink and the CLI all depend on,
// so that key, password, keyring, config, users and TLS files are read by one
// function with one set of checks, without a new dependency between them.

/**
 * Most bytes a key, password, keyring or config file may hold: 1 MiB, far
 * above any real one (a key is under 1 KiB, a keyring of a thousand keys
 * about 100 KiB), far below what would exhaust memory.
 */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/**
 * Most bytes a PEM file (TLS certificate, key, CA bundle) or a users file may
 * hold: 4 MiB. A system CA bundle is about 200 KiB, a certificate chain a few
 * KiB; a users file of 1 MiB already lists some 20 000 users.
 */
export const MAX_PEM_FILE_BYTES = 4 * 1024 * 1024;

/** Why {@link readBoundedFile} refused a file it could open. */
export type BoundedFileErrorCode = 'FILE_NOT_REGULAR' | 'FILE_TOO_LARGE';

/**
 * A file refused by {@link readBoundedFile}: neither a regular file nor a
 * pipe (a device such as /dev/zero, a directory), or larger than its limit, even if
 * it grew while it was read. The message names the file and the limit.
 */
export class BoundedFileError extends CodedError<BoundedFileErrorCode> {
  override readonly name = 'BoundedFileError';

  constructor(
    code: BoundedFileErrorCode,
    message: string,
    /** The file as passed to readBoundedFile. */
    readonly path: string,
    /** The limit it was read with, in bytes. */
    readonly maxBytes: number,
  ) {
    super(code, message);
  }
}

/** What a file that is not regular is, in words ("a directory", "a character device"...), for a refusal. */
export function fileKind(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** A byte count as limits are written in messages: "1048576 bytes (1 MiB)". */
function bytesShown(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n} bytes (${n / (1024 * 1024)} MiB)` : `${n} bytes`;
}

/**
 * Reads a small file whole (a key, a password, a keyring, a config file):
 * only a regular file or a pipe, of at most `maxBytes` bytes. readFileSync read
 * whatever it was given, so `/dev/zero` or a huge file passed by mistake grew
 * the process to gigabytes. Anything but a pipe is opened non-blocking (a
 * device must not hang the open), checked with fstat on the opened
 * descriptor (not the path, which may change meanwhile), and read with the
 * limit enforced: at most `maxBytes + 1` bytes, so a file that grows after
 * the check is refused too. `name` is how messages show the file (default:
 * `path`; a caller may pass a masked name). Errors of open and read (ENOENT,
 * EACCES) are thrown as they come, for the caller to word; a refused file is
 * a {@link BoundedFileError}.
 */
export function readBoundedFile(path: string, maxBytes: number, name: string = path): Buffer {
  // A pipe is read, up to the limit: a key handed over by process
  // substitution (`--secret-file k1=<(vault read ...)`, /dev/fd/63) or on a
  // piped /dev/stdin never touches a disk. It is opened blocking, so that
  // the open waits for its writer and reads wait for data: opened
  // non-blocking, a read before the writer came would be an empty file, and
  // a second open after closing a first could lose what the writer had
  // written meanwhile (a pipe with no reader left drops its data).
  const fifo = statSync(path).isFIFO();
  const fd = openSync(path, fifo ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() && !st.isFIFO()) throw new BoundedFileError('FILE_NOT_REGULAR', `${name} is ${fileKind(st)}, not a regular file: refusing to read it`, path, maxBytes);
    const tooLarge = () => new BoundedFileError('FILE_TOO_LARGE', `${name} is larger than the limit of ${bytesShown(maxBytes)}: refusing to read it`, path, maxBytes);
    if (st.size > maxBytes) throw tooLarge();
    // Sized by fstat, one byte more to see the end; grown (never past
    // maxBytes + 1) only if the file grew since.
    let buf = Buffer.alloc(st.size + 1);
    let got = 0;
    for (let n; (n = readSync(fd, buf, got, buf.length - got, null)) > 0; ) {
      got += n;
      if (got > maxBytes) throw tooLarge();
      if (got === buf.length) buf = Buffer.concat([buf, Buffer.alloc(Math.min(buf.length, maxBytes + 1 - buf.length))]);
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * A small file's text without a leading byte order mark: no part of the
 * content (RFC 8259 §8.1 lets a JSON parser ignore one; Windows editors
 * write it). Kept, it made a config or keyring file "not JSON", and the
 * first character of a key, user name or password, which then failed every
 * handshake or login (found by a probe and reviews).
 */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
