import { macInput } from '../signing/canonical.js';
import { hmac, macEquals, sharedRootKey } from '../signing/kdf.js';
import { unwrapRootKey, type WrappedKey } from '../signing/seal.js';
import { EpochKeys, KeyStepBudget, MAX_EPOCH } from './epoch-keys.js';
import type { ChainEntry } from './intake.js';
import type { ParsedKey } from './keyring.js';
import type { Finding } from './types.js';

type Push = (code: Finding['code'], e: ChainEntry | null, seq: number | null, message: string) => void;

interface ChainKeys {
  /** Root keys by kid (shared mode: per kid; sealed: the OPEN's kid). */
  roots: Map<string, Buffer>;
  /** Epoch keys by kid, derived on demand. */
  epochs: Map<string, EpochKeys>;
  /** Sealed-mode OPEN whose wrapped key did not open. */
  unwrapFailed?: ChainEntry;
  /** Records waiting for their chain's AUDIT_CHAIN_OPEN (sealed mode). */
  pending: ChainEntry[];
}

/**
 * Checks MACs while records stream in, so that the verifier keeps only a
 * few fields per record instead of every record (docs/integrity.md "What is
 * signed"). Shared mode derives k0 from the secret and the chain id at
 * once; sealed mode waits for the chain's AUDIT_CHAIN_OPEN to unwrap k0.
 * Each checked record gets `macOk` and loses its `signed` body.
 */
export class MacVerifier {
  private chains = new Map<string, ChainKeys>();

  constructor(
    private readonly keys: Map<string, ParsedKey>,
    /** HKDF steps all chains together may spend deriving epoch keys. */
    private readonly budget = new KeyStepBudget(),
  ) {}

  private state(chainId: string): ChainKeys {
    let s = this.chains.get(chainId);
    if (!s) {
      s = { roots: new Map(), epochs: new Map(), pending: [] };
      this.chains.set(chainId, s);
    }
    return s;
  }

  /** Checks `e` now if its key is available, else keeps it pending. */
  offer(e: ChainEntry): void {
    this.budget.grant();
    this.place(e);
  }

  /** Checks or parks `e` (a parked record is placed again once its chain's OPEN arrives, without a second grant). */
  private place(e: ChainEntry): void {
    const key = this.keys.get(e.kid);
    const s = this.state(e.chainId);
    if (!key) return this.drop(e);
    if ('secret' in key) {
      if (!s.roots.has(e.kid)) s.roots.set(e.kid, sharedRootKey(key.secret, e.chainId));
      return this.check(e, s, e.kid);
    }
    if (s.roots.has(e.kid)) return this.check(e, s, e.kid);
    if (e.seq === 1 && e.eventType === 'AUDIT_CHAIN_OPEN') {
      const wrapped = (e.chain as { wrapped_key?: WrappedKey } | undefined)?.wrapped_key;
      try {
        if (!wrapped) throw new Error('no wrapped key');
        s.roots.set(e.kid, unwrapRootKey(wrapped, key.privateKey, e.chainId));
      } catch {
        s.unwrapFailed = e;
        for (const p of [e, ...s.pending]) this.drop(p);
        s.pending = [];
        return;
      }
      this.check(e, s, e.kid);
      for (const p of s.pending.splice(0)) this.place(p);
      return;
    }
    if (s.unwrapFailed) return this.drop(e);
    s.pending.push(e);
  }

  private drop(e: ChainEntry): void {
    // Not `delete`: it turns the entry into a dictionary-mode object, about
    // twice as large (1 257 against 546 bytes a record), and the verifier
    // keeps one entry per record.
    e.signed = undefined;
  }

  private check(e: ChainEntry, s: ChainKeys, kid: string): void {
    let ok = false;
    if (e.signed) {
      let keys = s.epochs.get(kid);
      if (!keys) s.epochs.set(kid, (keys = new EpochKeys(s.roots.get(kid)!, e.chainId, this.budget)));
      const key = keys.key(e.epoch);
      if (typeof key === 'string') e.keyRefused = key;
      else {
        try {
          ok = macEquals(hmac(key, macInput(e.signed)), e.mac);
        } catch {
          ok = false;
        }
      }
    }
    e.macOk = ok;
    this.drop(e);
  }

  /**
   * Reports the chain's key and MAC findings: KEY_UNKNOWN when its kid is
   * not in the keyring (or a sealed chain's OPEN is not stored),
   * MAC_INVALID for the wrapped key or each record that fails (`bad`: those
   * whose MAC did not verify or whose kid is not `kid`, out of `records`);
   * when no record at all verifies, one MAC_INVALID names the likely cause.
   * The chain's key state is then forgotten: a verifier reading chain after
   * chain keeps none of it.
   */
  finish(chainId: string, kid: string, records: number, bad: readonly ChainEntry[], first: ChainEntry, push: Push): void {
    const s = this.state(chainId);
    this.chains.delete(chainId);
    const key = this.keys.get(kid);
    if (!key) {
      // Records naming a kid the keyring holds were checked with that kid's
      // key as they came (place()). Their failures are reported: a kid
      // renamed in the OPEN alone turned every edit beside it into this one
      // KEY_UNKNOWN, "not checked", pointing at the keyring (found by a probe).
      const known = bad.filter((e) => e.kid !== kid && this.keys.has(e.kid));
      if (known.length === 0) {
        push('KEY_UNKNOWN', first, first.seq, `no key "${kid.slice(0, 64)}" in the keyring; MACs of this chain were not checked`);
        return;
      }
      const kids = [...new Set(known.map((e) => `"${e.kid.slice(0, 64)}"`))].slice(0, 3).join(', ');
      const checked = known.filter((e) => e.macOk !== undefined);
      push(
        'KEY_UNKNOWN',
        first,
        first.seq,
        `no key "${kid.slice(0, 64)}" in the keyring, but ${known.length} of its records name kid ${kids}, which it holds: a chain has one kid, so a kid was altered or records were forged; ` +
          (checked.length === known.length ? 'those records were checked with their own kid' : `${checked.length} of them could be checked with their own kid (a sealed chain's key is in its AUDIT_CHAIN_OPEN)`),
      );
      this.reportBad(checked.filter((e) => e.macOk === false), checked.length, push);
      return;
    }
    if (s.unwrapFailed) {
      push('MAC_INVALID', s.unwrapFailed, s.unwrapFailed.seq, `the wrapped chain key does not open with private key "${kid}" (wrong key, or AUDIT_CHAIN_OPEN altered)`);
      return;
    }
    // The OPEN states the chain's mode, and the keyring's entry for its kid
    // decides how it is checked: they must agree. Anyone holding the sealed
    // public key can sign a chain; labelled "shared", it would pass for the
    // stronger mode (found by a probe).
    const declared = first.seq === 1 && first.eventType === 'AUDIT_CHAIN_OPEN' ? first.chain?.mode : undefined;
    const keyMode = 'secret' in key ? 'shared' : 'sealed';
    if (declared !== undefined && declared !== keyMode) {
      push('KEY_UNKNOWN', first, first.seq, `the chain declares mode ${JSON.stringify(String(declared).slice(0, 16))} but key "${kid}" is a ${keyMode}-mode key; MACs checked with it prove nothing of a ${String(declared).slice(0, 16)} chain`);
      // When some record verifies with the key, it is the chain's key and the
      // OPEN's mode was relabelled (its own MAC then fails): the records that
      // fail were edited, and relabelling the mode alone hid every edit
      // beside it (found by a probe). When none does, it is the wrong key.
      if (bad.length === records) return;
    }
    if (s.pending.length > 0) {
      push('KEY_UNKNOWN', first, first.seq, `key "${kid}" is a sealed-mode private key but no AUDIT_CHAIN_OPEN with a wrapped key is stored; MACs were not checked`);
      for (const p of s.pending) this.drop(p);
      return;
    }
    // "Wrong key" only when every record names the chain's kid: records naming
    // another kid the keyring holds were checked with it, and an OPEN whose
    // kid was renamed to a rotated one made the whole chain "wrong key",
    // every edit beside it unlocated (found by a probe).
    if (bad.length > 1 && bad.length === records && !bad.some((e) => e.keyRefused || e.kid !== kid)) {
      push('MAC_INVALID', bad[0]!, bad[0]!.seq, `none of the ${records} records verifies with key "${kid}": wrong key, or every record altered`);
      return;
    }
    for (const e of bad) {
      const other = `"${e.kid.slice(0, 64)}"`;
      push(
        'MAC_INVALID',
        e,
        e.seq,
        e.kid === kid || e.macOk === false
          ? macProblem(e)
          : e.macOk
            ? `kid ${other} differs from the chain's "${kid}" (the record verifies with key ${other}): a chain has one kid, so this record or the chain's first one was altered or forged`
            : `kid ${other} differs from the chain's "${kid}": the record was altered or forged`,
      );
    }
  }

  /** MAC_INVALID for each of `failed` (records checked with their own kid's key), or one when none of the `checked` verified. */
  private reportBad(failed: readonly ChainEntry[], checked: number, push: Push): void {
    if (failed.length > 1 && failed.length === checked && !failed.some((e) => e.keyRefused || e.kid !== failed[0]!.kid)) {
      push('MAC_INVALID', failed[0]!, failed[0]!.seq, `none of the ${checked} records naming kid "${failed[0]!.kid.slice(0, 64)}" verifies with its key: wrong key, or every record altered`);
      return;
    }
    for (const e of failed) push('MAC_INVALID', e, e.seq, macProblem(e));
  }
}

/** Why a record of the chain's kid did not verify. */
function macProblem(e: ChainEntry): string {
  if (e.keyRefused === 'range') return `epoch ${e.epoch} is out of range (0-${MAX_EPOCH}): the record was altered or forged`;
  if (e.keyRefused === 'budget') {
    return (
      `epoch ${e.epoch} was not checked: deriving its key would pass the verification's budget of key derivation steps, ` +
      'which grows with the records read (a forged epoch must not keep the verifier busy for hours); ' +
      'a genuine fragment of a very long chain read without its start can raise it (verifyChain option keyStepBudget, audit-trail verify --key-steps)'
    );
  }
  return 'MAC does not match the record: the record was altered or forged';
}
