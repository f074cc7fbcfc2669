import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ndjsonRecords, verifyChain, type VerifyKeys, type VerifyOptions } from '../src/index.js';

/** A 32-byte test secret in base64 (never a real key). */
export const SECRET = Buffer.alloc(32, 0x42).toString('base64');
export const SECRET2 = Buffer.alloc(40, 0x17).toString('base64');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tmpDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'at-logger-'));
  dirs.push(d);
  return d;
}

/** The non-empty lines of a file. */
export function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
}

/** Verifies NDJSON lines and returns the report. */
export function verifyLines(ls: string[], keys: VerifyKeys, opts?: VerifyOptions) {
  return verifyChain(ndjsonRecords(ls.join('\n'), 'test'), keys, opts);
}

/** Sorted finding codes of a report. */
export function codes(report: { findings: { code: string }[] }): string[] {
  return report.findings.map((f) => f.code).sort();
}

/** A clock that advances only when told to. */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00.000Z')) {
  let t = start;
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** A draft of a valid WEBAUTHN_AUTH_FAILURE. */
export function authFailure(user = 'user-1') {
  return {
    user_id: user,
    client_ip: '203.0.113.7',
    error: { code: 'SIGNATURE_INVALID', message: 'signature did not verify' },
    webauthn: { failure_stage: 'signature' as const, credential_id: 'AAECAwQF' },
  };
}
