import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileErrorReason } from './file-error-reason.js';

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

describe('fileErrorReason', () => {
  it('words a system error and keeps its code: missing file, directory, an errno libuv names', () => {
    expect(fileErrorReason(thrown(() => readFileSync('/nonexistent-at-dir/x')))).toBe('no such file or directory (ENOENT)');
    expect(fileErrorReason(thrown(() => readFileSync('/')))).toBe('is a directory (EISDIR)');
    expect(fileErrorReason(Object.assign(new Error('x'), { code: 'ENOSPC', errno: -28 }))).toBe('no space left on device (ENOSPC)');
  });

  it('gives the message with the code of an error Node raises itself (ERR_...), where the code alone said nothing', () => {
    expect(fileErrorReason(thrown(() => readFileSync('a\u0000b')))).toMatch(/^The argument 'path' must be a string.* without null bytes\. Received .* \(ERR_INVALID_ARG_VALUE\)$/);
    expect(fileErrorReason(new Error('plain'))).toBe('plain');
  });
});
