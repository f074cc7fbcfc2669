import { evolveKey } from '../signing/kdf.js';

/** Largest epoch the verifier derives a key for, whatever the budget (docs/integrity.md "Keys": one HKDF step per epoch). */
export const MAX_EPOCH = 10_000_000;

/**
 * Every STRIDE-th epoch key met on a walk is kept, so that a key below the
 * highest epoch walked so far costs at most STRIDE - 1 steps from the
 * nearest kept one. Without it, records whose epochs descend (a forgery,
 * or rows read out of order) each walked from the start of the chain.
 */
const STRIDE = 64;

/**
 * Derivation steps a whole verification may spend: {@link KeyStepBudget}.
 * Each step is one HKDF (~4-9 µs here), so the default base is a few
 * seconds of work.
 */
export const KEY_STEP_BUDGET = { base: 1_000_000, perRecord: 64 } as const;

/**
 * HKDF steps one verification may still spend, shared by all its chains.
 * Each evolution is one HKDF step from the last key, so a record claiming
 * epoch 10 000 000 costs that many steps to check; without a bound, a few
 * forged lines (or chain ids, each walked from its own root key) would keep
 * the verifier busy for hours. The budget grows with every record read: a
 * genuine chain needs about one step per record at the default cadence
 * (epochs and checkpoints both every 60 s), so `perRecord` steps per record
 * cover cadences up to 64 epochs per checkpoint, and `base` covers a
 * fragment of a long chain read without its start (a year of 60 s epochs).
 */
export class KeyStepBudget {
  private left: number;

  constructor(private readonly limits: { base: number; perRecord: number } = KEY_STEP_BUDGET) {
    this.left = limits.base;
  }

  /** Counts one record read. */
  grant(): void {
    this.left += this.limits.perRecord;
  }

  /** Takes `steps` if that many are left; false (and nothing taken) otherwise. */
  take(steps: number): boolean {
    if (steps > this.left) return false;
    this.left -= steps;
    return true;
  }
}

/** Why no key was given: the epoch is beyond MAX_EPOCH, or the budget does not cover the walk. */
export type EpochKeyRefusal = 'range' | 'budget';

/**
 * The epoch keys of one chain and kid, derived from its root key on demand
 * (docs/integrity.md "Keys": `k(e+1) = HKDF-SHA256(k(e), chain_id, "audit-trail/evolve" || e+1)`).
 * Walks only start from a kept key and go up, so the epochs walked are
 * always 0..`top` without holes, and every multiple of STRIDE up to `top`
 * is kept: the nearest kept key below any epoch is found in O(1).
 */
export class EpochKeys {
  /** Keys of the epochs records asked for, and of every STRIDE-th epoch walked. */
  private readonly kept = new Map<number, Buffer>();
  private top = 0;

  constructor(
    root: Buffer,
    private readonly chainId: string,
    private readonly budget: KeyStepBudget,
  ) {
    this.kept.set(0, root);
  }

  /** The key of `epoch`, or why it was not derived. */
  key(epoch: number): Buffer | EpochKeyRefusal {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) return 'range';
    const hit = this.kept.get(epoch);
    if (hit) return hit;
    const from = epoch > this.top ? this.top : epoch - (epoch % STRIDE);
    if (!this.budget.take(epoch - from)) return 'budget';
    let key = this.kept.get(from)!;
    for (let e = from + 1; e <= epoch; e++) {
      key = evolveKey(key, this.chainId, e);
      if (e % STRIDE === 0) this.kept.set(e, key);
    }
    this.kept.set(epoch, key);
    if (epoch > this.top) this.top = epoch;
    return key;
  }
}
