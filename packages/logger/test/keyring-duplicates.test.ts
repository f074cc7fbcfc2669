import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, keysFromEnv, loadKeyringFile } from '../src/index.js';
import { SECRET, SECRET2, tmpDir } from './helpers.js';

// One kid names one key. A keyring listing a kid twice kept the last entry
// silently, so the order of its lines decided whether the chains of that
// kid verified or were all MAC_INVALID ("wrong key") (found by a probe).
describe('a kid given twice with different keys is refused', () => {
  it('in a keyring file', () => {
    const dir = tmpDir();
    const ring = join(dir, 'ring.json');
    writeFileSync(ring, JSON.stringify({ keys: [{ kid: 'k1', secret: SECRET }, { kid: 'k1', secret: SECRET2 }] }));
    expect(() => loadKeyringFile(ring)).toThrow(AuditConfigError);
    expect(() => loadKeyringFile(ring)).toThrow(/key "k1" is given twice with different keys/);
    // Never the key itself in the message.
    expect(() => loadKeyringFile(ring)).not.toThrow(new RegExp(SECRET.slice(0, 10).replace(/[+/]/g, '.')));
  });

  it('in a keyring file and AUDIT_TRAIL_KID', () => {
    const dir = tmpDir();
    const ring = join(dir, 'ring.json');
    writeFileSync(ring, JSON.stringify({ keys: [{ kid: 'k1', secret: SECRET }] }));
    expect(() => keysFromEnv({ AUDIT_TRAIL_KEYRING_FILE: ring, AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: SECRET2 })).toThrow(/key "k1" is given twice with different keys/);
  });

  it('the same key twice is accepted (a keyring and the environment a producer shares)', () => {
    const dir = tmpDir();
    const ring = join(dir, 'ring.json');
    writeFileSync(join(dir, 'k1.b64'), `${SECRET}\n`);
    writeFileSync(ring, JSON.stringify({ keys: [{ kid: 'k1', secret_file: 'k1.b64' }, { kid: 'k1', secret: SECRET }] }));
    expect([...loadKeyringFile(ring).keys()]).toEqual(['k1']);
    expect([...keysFromEnv({ AUDIT_TRAIL_KEYRING_FILE: ring, AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: SECRET }).keys()]).toEqual(['k1']);
  });
});
