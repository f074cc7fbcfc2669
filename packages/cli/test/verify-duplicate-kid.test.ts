import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLogger } from '@audit-trail/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'at-cli-dupkid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = Buffer.alloc(32, 0x33).toString('base64');
const OTHER = Buffer.alloc(32, 0x44).toString('base64');
writeFileSync(join(dir, 'k1.b64'), `${SECRET}\n`);
writeFileSync(join(dir, 'other.b64'), `${OTHER}\n`);

// `--secret-file k1=A --secret-file k1=B` (or a keyring and a flag naming
// one kid) kept the last key silently: in one order the log verified, in
// the other every chain of k1 was MAC_INVALID, "wrong key", exit 1, which
// reads as tampering (found by a probe). Now a usage error, exit 2.
describe('audit-trail verify: one kid, two keys', () => {
  it('is a usage error (exit 2) whatever the order, naming the kid and never the key', async () => {
    const file = join(dir, 'clean.ndjson');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: file, signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    await log.close();
    writeFileSync(join(dir, 'ring.json'), JSON.stringify({ keys: [{ kid: 'k1', secret_file: 'other.b64' }] }));
    for (const flags of [
      ['--secret-file', `k1=${join(dir, 'k1.b64')}`, '--secret-file', `k1=${join(dir, 'other.b64')}`],
      ['--secret-file', `k1=${join(dir, 'other.b64')}`, '--secret-file', `k1=${join(dir, 'k1.b64')}`],
      ['--keyring', join(dir, 'ring.json'), '--secret-file', `k1=${join(dir, 'k1.b64')}`],
    ]) {
      const r = await runCli(['verify', ...flags, file]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('key "k1" is given twice with different keys');
      expect(r.err + r.out).not.toContain(SECRET.slice(0, 12));
      expect(r.err + r.out).not.toContain(OTHER.slice(0, 12));
    }
    // The same key twice is no conflict.
    const same = await runCli(['verify', '--secret-file', `k1=${join(dir, 'k1.b64')}`, '--secret-file', `k1=${join(dir, 'k1.b64')}`, file]);
    expect(same.code).toBe(0);
  });
});
