import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, loadKeyringFile } from '../src/index.js';
import { SECRET, tmpDir } from './helpers.js';

// A keyring entry with the key itself under "secret_file" (meant for
// "secret"): the key was judged for looking like a key only as part of the
// path resolved from the keyring's directory, so a directory name holding
// any other character (`~/.config`, `/etc/audit.d`) made the whole path no
// base64, and the error printed the key (found by a probe).
describe('a keyring entry whose secret_file or private_key_file is a key, not a file name', () => {
  for (const field of ['secret_file', 'private_key_file']) {
    it(`is refused without showing it (${field}), whatever the keyring's directory is called`, () => {
      const dir = join(tmpDir(), '.config', 'audit.d');
      mkdirSync(dir, { recursive: true });
      const ring = join(dir, 'keys.json');
      writeFileSync(ring, JSON.stringify({ keys: [{ kid: 'k1', [field]: SECRET }] }));
      let err: Error | undefined;
      try {
        loadKeyringFile(ring);
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(AuditConfigError);
      expect(err!.message).toMatch(/looks like a base64 key, not shown/);
      expect(err!.message).not.toContain(SECRET.slice(0, 12));
    });
  }

  it('still names a missing key file by its path', () => {
    const dir = join(tmpDir(), 'audit.d');
    mkdirSync(dir);
    const ring = join(dir, 'keys.json');
    writeFileSync(ring, JSON.stringify({ keys: [{ kid: 'k1', secret_file: 'k1.secret' }] }));
    expect(() => loadKeyringFile(ring)).toThrowError(`cannot read key file ${join(dir, 'k1.secret')}: no such file or directory (ENOENT)`);
  });
});
