// integrity.prev: '' exactly at seq 1, a 43-character mac after it
// (docs/integrity.md); what the signer writes passes. The refusals are in
// parse.test.ts.
import { describe, expect, it } from 'vitest';
import { exampleEvents } from './examples.js';
import { parseAuditEvent } from './parse.js';

const ok = (event: unknown) => {
  const r = parseAuditEvent(event);
  return r.ok ? 'ok' : r.issues;
};

describe('integrity.prev', () => {
  it("accepts '' at seq 1 and a 43-character mac at any later seq", () => {
    for (const seq of [2, 3, 1000, Number.MAX_SAFE_INTEGER]) {
      const e = structuredClone(exampleEvents.AUDIT_CHECKPOINT) as { integrity: { seq: number } };
      e.integrity.seq = seq;
      expect([seq, ok(e)]).toEqual([seq, 'ok']);
    }
    expect(ok(exampleEvents.AUDIT_CHAIN_OPEN)).toBe('ok');
  });

  it('says only that a prev of a wrong length is one, at seq 1 too', () => {
    const e = structuredClone(exampleEvents.AUDIT_CHAIN_OPEN) as { integrity: { prev: string } };
    e.integrity.prev = 'abc';
    expect(ok(e)).toEqual([{ path: 'integrity.prev', message: expect.stringMatching(/^must be '' \(seq 1\) or/) }]);
  });
});
