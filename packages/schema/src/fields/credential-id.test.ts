// credential_id lengths (RFC 4648 §5): what every encoder writes passes,
// 4k+1 characters (which no byte string encodes to) are refused; the
// refusals of single values are in parse.test.ts.
import { describe, expect, it } from 'vitest';
import { exampleEvents } from '../examples.js';
import { parseAuditEvent } from '../parse.js';

const withId = (id: string) => {
  const e = structuredClone(exampleEvents.WEBAUTHN_AUTH_SUCCESS) as { webauthn: { credential_id: string } };
  e.webauthn.credential_id = id;
  const r = parseAuditEvent(e);
  return r.ok ? 'ok' : r.issues;
};

describe('credential_id length (RFC 4648 §5)', () => {
  it('accepts the encoding of every byte length from 1 to 1023, and refuses each 4k+1 length between', () => {
    for (let bytes = 1; bytes <= 1023; bytes++) {
      expect([bytes, withId(Buffer.alloc(bytes, bytes).toString('base64url'))]).toEqual([bytes, 'ok']);
    }
    for (let chars = 1; chars <= 1364; chars += 4) {
      expect([chars, withId('_'.repeat(chars))]).toEqual([chars, [{ path: 'webauthn.credential_id', message: expect.stringMatching(/4k\+1/) }]]);
    }
  });

  it("gives text outside the alphabet one issue, the alphabet's, whatever its length", () => {
    for (const id of ['AAAA=', 'AA+/A', 'AAAA\n', 'AAAA\u2028', 'é', 'AAAA\u{1F600}']) {
      expect(withId(id)).toEqual([{ path: 'webauthn.credential_id', message: 'must be base64url without padding' }]);
    }
  });
});
