import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, generateSealingKeyPair, keysFromEnv, signingFromEnv } from '../src/index.js';
import { SECRET, SECRET2, tmpDir } from './helpers.js';

// `NAME_FILE` and `NAME` both set: the file won without a word, so a stale
// AUDIT_TRAIL_SECRET left beside a rotated AUDIT_TRAIL_SECRET_FILE (or the
// reverse) signed or verified with a key nobody meant (found by a probe).
// Docker's images refuse the pair ("both ... are set (but are exclusive)").
function secretFile(secret: string): string {
  const path = join(tmpDir(), 'secret');
  writeFileSync(path, `${secret}\n`);
  return path;
}

describe('a key given both as NAME_FILE and as NAME in the environment', () => {
  it('is refused by the producer (shared secret and sealing public key), naming both variables and neither key', () => {
    const { publicKey } = generateSealingKeyPair();
    const cases = [
      { AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_SECRET_FILE: secretFile(SECRET), AUDIT_TRAIL_SECRET: SECRET2 },
      { AUDIT_TRAIL_SIGNING: 'sealed', AUDIT_TRAIL_SEAL_PUBLIC_KEY_FILE: secretFile(publicKey), AUDIT_TRAIL_SEAL_PUBLIC_KEY: publicKey },
    ];
    for (const env of cases) {
      const name = env.AUDIT_TRAIL_SIGNING === 'shared' ? 'AUDIT_TRAIL_SECRET' : 'AUDIT_TRAIL_SEAL_PUBLIC_KEY';
      const call = () => signingFromEnv({ AUDIT_TRAIL_KID: 'k1', ...env });
      expect(call).toThrowError(AuditConfigError);
      expect(call).toThrowError(`${name}_FILE and ${name} are both set: give the key one way (prefer ${name}_FILE)`);
    }
  });

  it('is refused by the verifier (shared secret and sealing private key)', () => {
    const { privateKey } = generateSealingKeyPair();
    expect(() => keysFromEnv({ AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET_FILE: secretFile(SECRET), AUDIT_TRAIL_SECRET: SECRET })).toThrowError(
      'AUDIT_TRAIL_SECRET_FILE and AUDIT_TRAIL_SECRET are both set',
    );
    expect(() =>
      keysFromEnv({ AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SEAL_PRIVATE_KEY_FILE: secretFile(privateKey), AUDIT_TRAIL_SEAL_PRIVATE_KEY: privateKey }),
    ).toThrowError('AUDIT_TRAIL_SEAL_PRIVATE_KEY_FILE and AUDIT_TRAIL_SEAL_PRIVATE_KEY are both set');
  });

  it('one way alone still works, and an empty NAME beside NAME_FILE counts as unset', () => {
    expect(signingFromEnv({ AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: SECRET })).toMatchObject({ secret: SECRET });
    expect(signingFromEnv({ AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET_FILE: secretFile(SECRET2), AUDIT_TRAIL_SECRET: '' })).toMatchObject({
      secret: `${SECRET2}\n`,
    });
    expect([...keysFromEnv({ AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET_FILE: secretFile(SECRET) }).keys()]).toEqual(['k1']);
  });
});

describe('the verifier given a shared secret and a sealing private key for one AUDIT_TRAIL_KID', () => {
  it('is refused: the private key was dropped without a word', () => {
    const { privateKey } = generateSealingKeyPair();
    expect(() => keysFromEnv({ AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: SECRET, AUDIT_TRAIL_SEAL_PRIVATE_KEY: privateKey })).toThrowError(
      /AUDIT_TRAIL_KID names one key: give a shared secret .* or a sealing private key .*, not both/,
    );
  });
});
