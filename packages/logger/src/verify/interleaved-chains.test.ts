import { describe, expect, it } from 'vitest';
import { MacVerifier } from './chain-mac.js';
import type { ChainEntry } from './intake.js';
import { ChainOrderProbe, InterleavedChains } from './interleaved-chains.js';

const entry = (chainId: string, seq: number): ChainEntry => ({ index: seq, chainId, seq, epoch: 0, kid: 'k1', prev: '', mac: `m${seq}`, eventType: seq === 1 ? 'AUDIT_CHAIN_OPEN' : 'WEBAUTHN_AUTH_FAILURE', time: seq * 1000, stored: Number.NaN });

describe('ChainOrderProbe', () => {
  it('finds the chains whose records come in strictly increasing seq order, however interleaved', () => {
    const p = new ChainOrderProbe();
    for (const [c, s] of [['a', 1], ['b', 1], ['a', 2], ['c', 5], ['b', 2], ['a', 4], ['d', 1], ['b', 2], ['c', 3], ['d', 2], ['d', 1], ['d', 3]] as const) p.entry(entry(c, s));
    // b has a copy of seq 2, c goes back from 5 to 3, d goes back to 1 and on again.
    expect(p.inOrder()).toEqual(new Set(['a']));
  });
});

describe('InterleavedChains', () => {
  it('judges a chain found in order as it comes, keeps the others to judge at the end, in the order the chains first appeared', () => {
    const chains = new InterleavedChains(new Set(['a']), new MacVerifier(new Map()), { asOf: 10_000 });
    for (const [c, s] of [['b', 2], ['a', 1], ['b', 1], ['a', 2], ['a', 3]] as const) chains.entry(entry(c, s));
    expect(chains.changed).toBe(false);
    const r = chains.finish();
    expect(r.chains.map((c) => [c.chain_id, c.records, c.first_seq, c.last_seq])).toEqual([['b', 2, 1, 2], ['a', 3, 1, 3]]);
    // b's records were out of order: checkChain reports it, as the one-read verifier does.
    expect(r.findings.filter((f) => f.chain_id === 'b').map((f) => f.code)).toContain('REORDERED');
  });

  it('notices a chain found in order by the first read that is not in the second (the input changed)', () => {
    const chains = new InterleavedChains(new Set(['a']), new MacVerifier(new Map()), { asOf: 10_000 });
    chains.entry(entry('a', 1));
    chains.entry(entry('a', 2));
    chains.entry(entry('a', 2));
    expect(chains.changed).toBe(true);
  });
});
