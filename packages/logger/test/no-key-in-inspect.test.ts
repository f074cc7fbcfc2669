import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createAuditLogger } from '../src/index.js';

describe('key material stays out of a dumped logger', () => {
  it('util.inspect / console.log of a signing logger, at any depth, shows neither the shared secret nor an epoch key', async () => {
    const secret = Buffer.alloc(32, 0x42);
    const lines: string[] = [];
    const log = createAuditLogger({ service: 'api', runtime: false, destination: { write: (l: string) => void lines.push(l) }, signing: { mode: 'shared', kid: 'k1', secret: secret.toString('base64') } });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    const dump = inspect(log, { depth: Infinity, showHidden: true, maxArrayLength: Infinity, maxStringLength: Infinity });
    // Buffers print as hex bytes: the secret's would show as a run of 42s.
    expect(dump).not.toMatch(/42 42 42 42/);
    expect(dump).not.toContain(secret.toString('base64'));
    expect(dump).not.toMatch(/key: <Buffer/);
    await log.close();
  });
});
