import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AuditConfigError, createAuditLogger } from '../src/index.js';
import { lines, SECRET, tmpDir, verifyLines } from './helpers.js';

// A Docker or Kubernetes secret's path put where the secret belongs
// (AUDIT_TRAIL_SECRET instead of AUDIT_TRAIL_SECRET_FILE, or the path as
// `signing.secret` instead of the file's content) is all base64 characters:
// it decoded to 36 bytes and signed every chain with a key anyone reading the
// compose file knows, and a verifier given the same environment said OK
// (found by a probe). No encoder writes both alphabets: `+` `/` are base64's,
// `-` `_` base64url's, so such text is neither format the docs accept.
const PATH = '/run/secrets/audit_trail_shared_secret_production';

const make = (opts: Parameters<typeof createAuditLogger>[0]) => () => createAuditLogger({ service: 'api', runtime: false, destination: join(tmpDir(), 'a.ndjson'), ...opts });

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

describe('a shared secret that mixes the base64 and base64url alphabets (a file name)', () => {
  it('is refused by the logger, from the options and from the environment, without repeating it', () => {
    for (const fn of [
      make({ signing: { mode: 'shared', kid: 'k1', secret: PATH } }),
      make({ env: { AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: PATH } }),
      make({ signing: { mode: 'shared', kid: 'k1', secret: `${Buffer.alloc(33, 0xfb).toString('base64')}-_` } }),
    ]) {
      const err = thrown(fn);
      expect(err).toBeInstanceOf(AuditConfigError);
      expect(err.message).toMatch(/^secret of key "k1" mixes the base64 \(\+ \/\) and base64url \(- _\) alphabets/);
      expect(err.message).toMatch(/AUDIT_TRAIL_SECRET_FILE/);
      expect(err.message).not.toContain('audit_trail_shared');
    }
  });

  it('says so for a short path too, and tells to give the path or the key, not both (both set is refused: key-env-exclusive)', () => {
    // 17 characters: as base64 only 12 bytes, which was all the error said ("has 12 bytes").
    for (const secret of ['/run/secrets/k1_s', '/run/secrets/audit_trail.key']) {
      const err = thrown(make({ env: { AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: secret } }));
      expect(err).toBeInstanceOf(AuditConfigError);
      expect(err.message, secret).toMatch(/^secret of key "k1" mixes the base64/);
      expect(err.message).toMatch(/give the file's path in AUDIT_TRAIL_SECRET_FILE, or the key itself in AUDIT_TRAIL_SECRET/);
      expect(err.message).not.toMatch(/and the key itself/);
      expect(err.message).not.toContain(secret);
    }
  });

  it('leaves either alphabet alone: openssl rand -base64, base64url, and raw bytes still sign', async () => {
    const bytes = Buffer.alloc(32, 0xfb); // base64 "+/s..." and base64url "-_s...": both alphabets' own characters
    for (const secret of [bytes.toString('base64'), bytes.toString('base64url'), bytes, SECRET]) {
      const file = join(tmpDir(), 'a.ndjson');
      const log = createAuditLogger({ service: 'api', runtime: false, destination: file, signing: { mode: 'shared', kid: 'k1', secret } });
      await log.close();
      const report = verifyLines(lines(file), { k1: { secret } });
      expect(report.findings).toEqual([]);
      expect(report.chains).toHaveLength(1);
    }
  });

  it('is still taken by a verifier, so logs signed with such a key before this check can be checked', () => {
    expect(verifyLines([], { k1: { secret: PATH } }).findings).toEqual([]);
  });

  it('is refused as the path of an existing file when it uses one alphabet only (found by a review)', () => {
    // No - or _ anywhere in the path (tmpDir's names have one): one alphabet only.
    const dir = mkdtempSync(join(tmpdir(), 'atsecret'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'auditTrailSigningSecretOfProduction1');
    expect(path).not.toMatch(/[-_]/);
    writeFileSync(path, 'x');
    for (const fn of [make({ signing: { mode: 'shared', kid: 'k1', secret: path } }), make({ env: { AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: `${path}\n` } })]) {
      const err = thrown(fn);
      expect(err).toBeInstanceOf(AuditConfigError);
      expect(err.message).toMatch(/^secret of key "k1" is the path of an existing file: give the file's path in AUDIT_TRAIL_SECRET_FILE/);
      expect(err.message).not.toContain('Production1');
    }
  });
});
