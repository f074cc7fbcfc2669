import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedFileError, MAX_PEM_FILE_BYTES, MAX_SECRET_FILE_BYTES, readBoundedFile } from './bounded-file.js';

const dir = mkdtempSync(join(tmpdir(), 'at-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readBoundedFile', () => {
  it('reads a regular file within the limit whole, an empty one too', () => {
    const key = join(dir, 'key');
    writeFileSync(key, 'MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\n');
    expect(readBoundedFile(key, MAX_SECRET_FILE_BYTES).toString()).toBe('MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\n');
    const exact = join(dir, 'exact');
    writeFileSync(exact, Buffer.alloc(1024, 0x61));
    expect(readBoundedFile(exact, 1024)).toEqual(Buffer.alloc(1024, 0x61));
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect(readBoundedFile(empty, 1024)).toEqual(Buffer.alloc(0));
    expect([MAX_SECRET_FILE_BYTES, MAX_PEM_FILE_BYTES]).toEqual([1024 * 1024, 4 * 1024 * 1024]);
  });

  it('reads a pipe up to the limit (a key by process substitution, <(vault read ...), never touches a disk), and refuses one that holds more', async () => {
    const fifo = join(dir, 'key-pipe');
    execFileSync('mkfifo', [fifo]);
    // The writer in a process of its own, as the shell starts it: the read below blocks until it writes.
    const writer = spawn('sh', ['-c', `printf 'MzMz\\n' > '${fifo}'`]);
    expect(readBoundedFile(fifo, MAX_SECRET_FILE_BYTES).toString()).toBe('MzMz\n');
    await new Promise((r) => writer.on('exit', r));
    const flood = spawn('sh', ['-c', `head -c 5000 /dev/zero > '${fifo}'`]);
    flood.on('error', () => undefined);
    expect(() => readBoundedFile(fifo, 1000)).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE' }));
    await new Promise((r) => flood.on('exit', r));
  });

  it('refuses what is neither a regular file nor a pipe (/dev/zero, a directory) without reading it', () => {
    for (const [path, kind] of [['/dev/zero', 'a character device'], [dir, 'a directory']] as const) {
      let caught: unknown;
      try {
        readBoundedFile(path, MAX_SECRET_FILE_BYTES, `key file ${path}`);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(BoundedFileError);
      expect(caught).toMatchObject({ code: 'FILE_NOT_REGULAR', path, maxBytes: MAX_SECRET_FILE_BYTES, message: `key file ${path} is ${kind}, not a regular file: refusing to read it` });
    }
  });

  it('refuses a file larger than the limit, naming it and the limit, also one that holds more than fstat said (it grew)', () => {
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(MAX_SECRET_FILE_BYTES + 1));
    expect(() => readBoundedFile(big, MAX_SECRET_FILE_BYTES)).toThrow(
      expect.objectContaining({ name: 'BoundedFileError', code: 'FILE_TOO_LARGE', message: `${big} is larger than the limit of 1048576 bytes (1 MiB): refusing to read it` }),
    );
    // A regular file whose size fstat gives as 0 but which reads longer, as a file that grows after the check: the limit holds on the bytes read.
    expect(() => readBoundedFile('/proc/self/status', 64)).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE', message: '/proc/self/status is larger than the limit of 64 bytes: refusing to read it' }));
    expect(readBoundedFile('/proc/self/status', MAX_SECRET_FILE_BYTES).toString()).toMatch(/^Name:/);
  });

  it('throws the errors of open as they come (ENOENT), for the caller to word', () => {
    expect(() => readBoundedFile(join(dir, 'missing'), 10)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
