import { describe, expect, it } from 'vitest';
import { AuditConfigError, verifyChain, type VerifyRecord } from '../src/index.js';
import { signedChain } from './chain-fixture.js';
import { codes, SECRET, verifyLines } from './helpers.js';

const keys = { k1: { secret: SECRET } };
const seqOf = (l: string) => (JSON.parse(l) as { integrity: { seq: number } }).integrity.seq;

// signedChain: OPEN at 00:00:00, events 1 s apart from 00:00:01 (seq 2..), CLOSE 1 s after the last.
describe('verifyChain settleMs (records still arriving)', () => {
  it('judges continuity only up to the first record stamped within the settle time; a gap behind it is not reported', async () => {
    const ls = await signedChain({ events: 8 }); // seq 1-10, CLOSE at 00:00:09
    const held = ls.filter((l) => seqOf(l) !== 8); // seq 8 (00:00:07) not stored yet
    expect(codes(verifyLines(held, keys))).toEqual(['SEQ_GAP']);
    const r = verifyLines(held, keys, { settleMs: 2500 }); // pending: stamped after 00:00:06.5
    expect(codes(r)).toEqual([]);
    expect(r.chains[0]).toMatchObject({ records: 9, pending: 2, closed: true, ok: true });
    // Settled for less than the age of the record after the gap (seq 9, 00:00:08, 1 s before the newest): reported.
    expect(codes(verifyLines(held, keys, { settleMs: 1500 }))).toEqual([]);
    expect(codes(verifyLines(held, keys, { settleMs: 500 }))).toEqual(['SEQ_GAP']);
  });

  it('with storedAt (the database\'s ingested_at), a record is pending only if recent by both clocks: a producer clock running ahead does not hide a gap, nor does a storedAt moved forward', async () => {
    const ls = await signedChain({ events: 8 }); // seq 1-10 stamped 00:00:00-00:00:09
    const held = ls.filter((l) => seqOf(l) !== 8);
    const asOf = new Date('2026-01-01T00:00:09.500Z');
    const at = (storedAt: (seq: number) => string): VerifyRecord[] => held.map((l, i) => ({ event: l, location: `t:${i + 1}`, storedAt: storedAt(seqOf(l)) }));
    // Stored as they were made: the same as without storedAt (pending, no finding).
    expect(codes(verifyChain(at((q) => `2026-01-01T00:00:${String(q).padStart(2, '0')}.100Z`), keys, { asOf, settleMs: 2500 }))).toEqual([]);
    // The producer's clock runs a minute ahead: every record was stored a minute before its stamp, long before asOf - settle.
    const ahead = verifyChain(at((q) => `2025-12-31T23:59:${String(q).padStart(2, '0')}.100Z`), keys, { asOf, settleMs: 2500 });
    expect(codes(ahead)).toEqual(['SEQ_GAP']);
    expect(ahead.chains[0]!.pending).toBe(0);
    // storedAt moved forward by someone with write access to the table: old records stay judged.
    expect(codes(verifyChain(at(() => '2026-01-01T00:00:09.400Z'), keys, { asOf, settleMs: 500 }))).toEqual(['SEQ_GAP']);
    // Without asOf, by the store's clock against its newest storedAt: the CLOSE stored 5 minutes later makes the rest old.
    const late = at((q) => (q === 10 ? '2026-01-01T00:05:00.000Z' : `2026-01-01T00:00:${String(q).padStart(2, '0')}.100Z`));
    expect(codes(verifyChain(late, keys, { settleMs: 2500 }))).toEqual(['SEQ_GAP']);
    expect(codes(verifyLines(held, keys, { settleMs: 2500 }))).toEqual([]);
  });

  it('still checks every pending record on its own: a forged one is MAC_INVALID', async () => {
    const ls = await signedChain({ events: 8 });
    const i = ls.findIndex((l) => seqOf(l) === 9);
    ls[i] = ls[i]!.replace('"user-8"', '"mallory"');
    const r = verifyLines(ls, keys, { settleMs: 5000 });
    expect(r.findings.map((f) => [f.code, f.seq])).toEqual([['MAC_INVALID', 9]]);
    expect(r.chains[0]!.pending).toBeGreaterThan(0);
  });

  it('judges an open chain\'s tail against the as-of time minus the settle time', async () => {
    const ls = await signedChain({ events: 8, signing: { checkpointIntervalMs: 4000 }, checkpointAfter: 2 });
    const open = ls.slice(0, -1); // no CLOSE: the tail (and the close) lost or still coming
    const asOf = new Date('2026-01-01T00:00:20.000Z');
    // Last checkpoint at 00:00:02; interval 4 s + 2 s slack: missing as of 00:00:20, not as of 00:00:07.
    expect(codes(verifyLines(open, keys, { asOf }))).toEqual(['CHECKPOINT_MISSING']);
    expect(codes(verifyLines(open, keys, { asOf, settleMs: 13_000 }))).toEqual([]);
  });

  it('nothing is pending without settleMs; a negative or fractional one is refused', async () => {
    const ls = await signedChain({ events: 2 });
    expect(verifyLines(ls, keys).chains[0]!.pending).toBe(0);
    expect(() => verifyLines(ls, keys, { settleMs: -1 })).toThrowError(AuditConfigError);
    expect(() => verifyLines(ls, keys, { settleMs: 0.5 })).toThrowError(/settleMs must be a non-negative integer/);
  });
});
