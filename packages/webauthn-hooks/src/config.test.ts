import { describe, expect, it } from 'vitest';
import { resolveOptions, type WebAuthnHooksOptions } from './config.js';

const base: WebAuthnHooksOptions = { audit: { emit: () => undefined }, rpName: 'x', rpID: 'localhost', origin: 'http://localhost:3000' };

describe('resolveOptions', () => {
  it('applies safe defaults', () => {
    const o = resolveOptions(base);
    expect(o).toMatchObject({ userVerification: 'required', counterRegression: 'reject', challengeTtlMs: 300_000, origins: ['http://localhost:3000'] });
    expect(o.proxies.entries).toEqual([]);
  });

  it.each<[string, Partial<WebAuthnHooksOptions>]>([
    ['audit', { audit: {} as never }],
    ['rpName', { rpName: '' }],
    ['rpID', { rpID: 'https://example.com' }],
    ['origin', { origin: 'http://localhost:3000/path' }],
    ['origin', { origin: 'not a url' }],
    ['challengeTtlMs', { challengeTtlMs: 0 }],
    ['counterRegression', { counterRegression: 'ignore' as never }],
  ])('rejects a bad %s with WEBAUTHN_HOOKS_CONFIG', (_name, patch) => {
    expect(() => resolveOptions({ ...base, ...patch })).toThrow(expect.objectContaining({ code: 'WEBAUTHN_HOOKS_CONFIG' }));
  });

  it('rejects trust-all proxy settings with WEBAUTHN_HOOKS_INVALID_PROXY', () => {
    expect(() => resolveOptions({ ...base, trustedProxies: ['0.0.0.0/0x'] })).toThrow(
      expect.objectContaining({ code: 'WEBAUTHN_HOOKS_INVALID_PROXY' }),
    );
    expect(() => resolveOptions({ ...base, trustedProxies: ['0.0.0.0/0'] })).toThrow(
      expect.objectContaining({ code: 'WEBAUTHN_HOOKS_INVALID_PROXY' }),
    );
  });
});
