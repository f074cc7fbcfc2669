import { describe, expect, it } from 'vitest';
import { createAuditLogger, verifyChain } from '../src/index.js';

// `openssl rand -base64 64` prints base64 wrapped at 64 columns. Such a key
// file was refused as "must be base64 or base64url text", which it is, so
// the message sent the user looking for a wrong character (found by a
// probe). The refusal stays (two lines may be two keys, which joining would
// silently turn into a third), but it now says what is wrong.
const wrapped = `${Buffer.alloc(48, 7).toString('base64')}\n${Buffer.alloc(16, 9).toString('base64')}\n`;

describe('a base64 secret wrapped on several lines', () => {
  it('is refused by the logger with a message naming the line break', () => {
    expect(() => createAuditLogger({ service: 'api', destination: 'stderr', signing: { mode: 'shared', kid: 'k1', secret: wrapped } })).toThrow(/on 2 lines/);
  });

  it('is refused by the verifier with the same message, never showing the secret', () => {
    expect(() => verifyChain([], { k1: { secret: wrapped } })).toThrow(/secret of key "k1" is on 2 lines/);
    expect(() => verifyChain([], { k1: { secret: wrapped } })).not.toThrow(/BwcH/);
  });
});
