import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CENSOR, isSecretKey, parseRedactPaths, redactedCopy, removePaths } from './redact.js';

/** Every property name the published JSON Schema of audit events defines, at any depth. */
function schemaFieldNames(): string[] {
  const doc: unknown = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@audit-trail/schema/json-schema/audit-event.json'), 'utf8'));
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const props = (node as { properties?: unknown }).properties;
    if (typeof props === 'object' && props !== null) for (const k of Object.keys(props)) names.add(k);
    for (const v of Object.values(node)) walk(v);
  };
  walk(doc);
  return [...names];
}

describe('redaction', () => {
  it('copies a bounded number of values of a graph that reaches one object by many paths (found by a probe: 20^6 copies)', () => {
    let reads = 0;
    let node: unknown = Object.defineProperty({}, 'leaf', { enumerable: true, get: () => ++reads });
    for (let i = 0; i < 5; i++) node = Array.from({ length: 20 }, () => node); // 120 references, 20^5 paths to the leaf
    const text = JSON.stringify(redactedCopy({ extra: node }));
    expect(reads).toBeLessThanOrEqual(20_000);
    expect(text).toContain('[Too many values]');
  });

  it('censors secret keys anywhere, whatever their case or separators', () => {
    const out = redactedCopy({ a: { AttestationObject: 1, client_data_json: 2, 'Set-Cookie': 3, signature_valid: true }, list: [{ publicKey: 'k' }] }) as any;
    expect(out.a).toEqual({ AttestationObject: CENSOR, client_data_json: CENSOR, 'Set-Cookie': CENSOR, signature_valid: true });
    expect(out.list[0].publicKey).toBe(CENSOR);
  });

  it('censors the usual names of tokens, secrets, keys and one-time codes, not the fields of the schema', () => {
    for (const k of ['token', 'access_token', 'Refresh-Token', 'id_token', 'x-auth-token', 'csrfToken', 'secret', 'client_secret', 'credential_secret',
      'api_key', 'apikey', 'X-API-KEY', 'private_key', 'privateKey', 'otp', 'TOTP', 'passcode', 'pin', 'cookie', 'set-cookie', 'session',
      'authorization', 'Proxy-Authorization', 'password', 'new_password', 'passphrase', 'credentials', 'aws_secret_access_key', 'signing_key',
      // Found by a probe: WebAuthn ceremony state, session ids and short names of secrets.
      'challenge', 'expectedChallenge', 'userHandle', 'sid', 'connect.sid', 'auth', 'key', 'privkey', 'private', 'nonce', 'mfa_code', 'otp_code']) {
      expect(isSecretKey(k), k).toBe(true);
    }
    const fields = schemaFieldNames();
    // The walk found the schema (a guard against an empty list passing vacuously).
    expect(fields).toEqual(expect.arrayContaining(['session_id', 'credential_id', 'signature_valid', 'user_id', 'client_ip', 'wrapped_key', 'kid', 'mac']));
    expect(fields.filter(isSecretKey)).toEqual([]);
  });

  it('censors values shaped as credentials under any key: Bearer and Basic authorization values, JSON Web Tokens (found by a probe)', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
    const out = redactedCopy({ hdr: 'Bearer abc.def', h2: ' basic dXNlcjpwdw==', t: jwt, list: [jwt], note: 'bearer of bad news', msg: 'Basic', plain: 'eyJ alone' }) as any;
    expect(out).toEqual({ hdr: CENSOR, h2: CENSOR, t: CENSOR, list: [CENSOR], note: 'bearer of bad news', msg: 'Basic', plain: 'eyJ alone' });
  });

  it('paths through arrays: `*` is every element and a number one of them, removed from events and censored in originals (found by a probe: accepted and ignored)', () => {
    const paths = parseRedactPaths(['container.capabilities.*', 'webauthn.transports.0', 'list.*.secretish']);
    const event = { container: { id: 'abcdefabcdef', capabilities: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] }, webauthn: { transports: ['usb', 'nfc'] }, list: [{ secretish: 1, keep: 2 }] };
    const removed = removePaths(event, paths) as typeof event;
    expect(removed).toEqual({ container: { id: 'abcdefabcdef', capabilities: [] }, webauthn: { transports: ['nfc'] }, list: [{ keep: 2 }] });
    // The caller's object is not changed.
    expect(event.container.capabilities).toHaveLength(2);
    expect(event.webauthn.transports).toEqual(['usb', 'nfc']);
    const censored = redactedCopy(event, paths) as any;
    expect(censored.container.capabilities).toEqual([CENSOR, CENSOR]);
    expect(censored.webauthn.transports).toEqual([CENSOR, 'nfc']);
    expect(censored.list).toEqual([{ secretish: CENSOR, keep: 2 }]);
  });

  it('censors user paths with * wildcards and survives cycles, bigints, buffers and depth', () => {
    const cyclic: any = { headers: { 'x-a': 'secret-a', 'x-b': 'secret-b' }, n: 10n, buf: Buffer.alloc(4) };
    cyclic.self = cyclic;
    let deep: any = {};
    const root = deep;
    for (let i = 0; i < 20; i++) deep = deep.next = {};
    const out = redactedCopy({ ...cyclic, root }, parseRedactPaths(['headers.*'])) as any;
    expect(out.headers).toEqual({ 'x-a': CENSOR, 'x-b': CENSOR });
    expect(out.self.self).toBe('[Circular]');
    expect(out.n).toBe('10n');
    expect(out.buf).toBe('[Binary 4 bytes]');
    expect(JSON.stringify(out)).toContain('[Too deep]');
    const trap = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('no'); } });
    expect(redactedCopy(trap)).toEqual({ boom: '[Unreadable]' });
  });

  it('removes paths without mutating the input', () => {
    const input = { a: { b: 1, c: 2 }, d: 3 };
    expect(removePaths(input, parseRedactPaths(['a.b', 'd']))).toEqual({ a: { c: 2 } });
    expect(input).toEqual({ a: { b: 1, c: 2 }, d: 3 });
    expect(() => parseRedactPaths(['a..b'])).toThrowError(/dotted path/);
  });
});
