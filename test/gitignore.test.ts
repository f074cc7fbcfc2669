/**
 * The READMEs have a reader make keys and logs where they run, the
 * repository root: the tour's signing.secret and audit.ndjson, the logger
 * README's k1.secret, verifier.pem (the sealed verifier's private key),
 * verifier.pub.pem and keys.json (a fixed list: a README that has the reader
 * make another belongs in it). .dockerignore keeps them out of the image
 * (examples/deploy/test/deploy-files.test.ts); git must not offer to commit
 * them either.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..');
const MADE_BY_READMES = ['signing.secret', 'audit.ndjson', 'k1.secret', 'verifier.pem', 'verifier.pub.pem', 'keys.json', 'audit.db', '.env'];

describe('.gitignore', () => {
  it('ignores the keys and audit logs the READMEs create at the repository root', () => {
    // check-ignore prints the paths it ignores (exit 1 when none is), whether or not they exist.
    let out = '';
    try {
      out = execFileSync('git', ['check-ignore', '--no-index', ...MADE_BY_READMES], { cwd: REPO, encoding: 'utf8' });
    } catch (err) {
      out = (err as { stdout?: string }).stdout ?? '';
    }
    expect(out.split('\n').filter(Boolean).sort()).toEqual([...MADE_BY_READMES].sort());
  });
});
