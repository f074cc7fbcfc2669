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

  it.each<[string, string, string | string[], RegExp]>([
    ['upper case', 'LOCALHOST', 'http://localhost:3000', /options\.rpID "LOCALHOST" must be lowercase/],
    ['another domain', 'example.com', 'http://localhost:3000', /options\.rpID "example\.com" must equal the host of options\.origin "http:\/\/localhost:3000"/],
    ['a name ending alike', 'localhost', 'http://evil-localhost.test', /options\.rpID "localhost" must equal the host/],
    ['a suffix that is not a label', 'ample.com', 'https://example.com', /must equal the host/],
    ['one origin of several', 'example.com', ['https://example.com', 'https://example.org'], /"https:\/\/example\.org"/],
    ['a subdomain of the origin', 'login.example.com', 'https://example.com', /must equal the host/],
  ])('refuses an rpID no browser would use on the origin (%s; WebAuthn L3 §5.1.3, found by a probe)', (_case, rpID, origin, message) => {
    expect(() => resolveOptions({ ...base, rpID, origin })).toThrow(expect.objectContaining({ code: 'WEBAUTHN_HOOKS_CONFIG', message: expect.stringMatching(message) }));
  });

  it('accepts an rpID equal to the origin\'s host or a domain it is under', () => {
    expect(resolveOptions({ ...base, rpID: 'example.com', origin: ['https://example.com', 'https://login.example.com:8443'] }).rpID).toBe('example.com');
    expect(resolveOptions({ ...base, rpID: 'localhost', origin: 'https://localhost:3443' }).rpID).toBe('localhost');
  });

  it('takes readonly lists (`as const` config constants) for origin and trustedProxies (found by a probe)', () => {
    const ORIGINS = ['https://example.com', 'https://www.example.com'] as const;
    const PROXIES = ['10.0.0.0/8'] as const;
    // A type error here (tsc, `npm run typecheck`) is the failure: origin was typed string | string[].
    const options: WebAuthnHooksOptions = { ...base, rpID: 'example.com', origin: ORIGINS, trustedProxies: PROXIES };
    expect(resolveOptions(options).origins).toEqual([...ORIGINS]);
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
