import { describe, expect, it } from 'vitest';
import { AuditConfigError, createAuditLogger } from '../src/index.js';
import { SECRET } from './helpers.js';

// The mode is echoed to name a typo ("hmac"), but a secret pasted into
// AUDIT_TRAIL_SIGNING (values of two variables swapped) had its first 20
// characters written into the error, and so into CI and container logs
// (found by a probe). Such a value is now described, never shown.
describe('a secret given as the signing mode is not repeated in the error', () => {
  const leaks = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(AuditConfigError);
      const text = `${(err as Error).message}`;
      return text.includes(SECRET.slice(0, 8)) ? text : '';
    }
    throw new Error('expected AuditConfigError');
  };

  it('from the environment (AUDIT_TRAIL_SIGNING)', () => {
    expect(leaks(() => createAuditLogger({ service: 'api', runtime: false, destination: 'stderr', env: { AUDIT_TRAIL_SIGNING: SECRET } }))).toBe('');
  });

  it('from the options (signing.mode)', () => {
    expect(leaks(() => createAuditLogger({ service: 'api', runtime: false, destination: 'stderr', signing: { mode: SECRET, kid: 'k1', secret: SECRET } as never }))).toBe('');
  });

  it('a short typo is still named', () => {
    expect(() => createAuditLogger({ service: 'api', runtime: false, destination: 'stderr', env: { AUDIT_TRAIL_SIGNING: 'hmac' } })).toThrowError(/got "hmac"/);
  });
});
