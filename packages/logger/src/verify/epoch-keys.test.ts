import { describe, expect, it } from 'vitest';
import { evolveKey } from '../signing/kdf.js';
import { EpochKeys, KeyStepBudget, MAX_EPOCH } from './epoch-keys.js';

const CHAIN = '019a0000-0000-7000-8000-000000000001';
const ROOT = Buffer.alloc(32, 7);

/** The key of every epoch up to `n`, one evolution at a time. */
function walk(n: number): Buffer[] {
  const out: Buffer[] = [ROOT];
  for (let e = 1; e <= n; e++) out.push(evolveKey(out[e - 1]!, CHAIN, e));
  return out;
}

describe('EpochKeys (verifier-side epoch keys)', () => {
  it('gives the key of each epoch whatever order the epochs are asked in', () => {
    const expected = walk(300);
    const keys = new EpochKeys(ROOT, CHAIN, new KeyStepBudget());
    for (const e of [3, 1, 130, 65, 64, 0, 300, 299, 128, 3]) expect((keys.key(e) as Buffer).equals(expected[e]!), `epoch ${e}`).toBe(true);
  });

  it('counts every derivation step against the budget and refuses, deriving nothing, a walk the budget does not cover', () => {
    const budget = new KeyStepBudget({ base: 1000, perRecord: 64 });
    const keys = new EpochKeys(ROOT, CHAIN, budget);
    expect(keys.key(1001)).toBe('budget');
    expect(keys.key(1000)).toBeInstanceOf(Buffer); // exactly the 1000 steps left
    expect(keys.key(1001)).toBe('budget');
    budget.grant();
    expect(keys.key(1001)).toBeInstanceOf(Buffer); // one step from 1000
  });

  it('walks back down from the nearest kept STRIDE multiple, not from the root: descending epochs cost at most 63 steps each', () => {
    const budget = new KeyStepBudget({ base: 10_000, perRecord: 64 });
    const keys = new EpochKeys(ROOT, CHAIN, budget);
    expect(keys.key(10_000)).toBeInstanceOf(Buffer);
    // Nothing left: a key already kept costs nothing, any other is refused.
    expect(keys.key(9_984)).toBeInstanceOf(Buffer);
    expect(keys.key(9_999)).toBe('budget');
    budget.grant(); // 64 steps
    expect(keys.key(9_983)).toBeInstanceOf(Buffer); // 9 920 + 63
    expect(keys.key(9_982)).toBe('budget'); // one step left, 62 needed
    const expected = walk(9_983);
    expect((keys.key(9_983) as Buffer).equals(expected[9_983]!)).toBe(true);
  });

  it('refuses epochs that are not integers in 0..MAX_EPOCH without spending anything', () => {
    const budget = new KeyStepBudget({ base: 5, perRecord: 0 });
    const keys = new EpochKeys(ROOT, CHAIN, budget);
    for (const e of [-1, MAX_EPOCH + 1, 1.5, Number.NaN]) expect(keys.key(e)).toBe('range');
    expect(keys.key(5)).toBeInstanceOf(Buffer);
  });
});
