import { describe, expect, it } from 'vitest';
import { CENSOR, parseRedactPaths, redactedCopy, removePaths } from './redact.js';

describe('redaction', () => {
  it('censors secret keys anywhere, whatever their case or separators', () => {
    const out = redactedCopy({ a: { AttestationObject: 1, client_data_json: 2, 'Set-Cookie': 3, signature_valid: true }, list: [{ publicKey: 'k' }] }) as any;
    expect(out.a).toEqual({ AttestationObject: CENSOR, client_data_json: CENSOR, 'Set-Cookie': CENSOR, signature_valid: true });
    expect(out.list[0].publicKey).toBe(CENSOR);
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
