import { macInput } from '../signing/canonical.js';
import { epochKey, hmac, macEquals, sharedRootKey } from '../signing/kdf.js';
import { unwrapRootKey, type WrappedKey } from '../signing/seal.js';
import type { ChainEntry } from './intake.js';
import type { ParsedKey } from './keyring.js';
import type { Finding } from './types.js';

/** Largest epoch derived for one record (a forged epoch must not make the verifier loop for hours). */
export const MAX_EPOCH = 10_000_000;

type Push = (code: Finding['code'], e: ChainEntry | null, seq: number | null, message: string) => void;

interface ChainKeys {
  /** Root keys by kid (shared mode: per kid; sealed: the OPEN's kid). */
  roots: Map<string, Buffer>;
  caches: Map<string, Map<number, Buffer>>;
  /** Sealed-mode OPEN whose wrapped key did not open. */
  unwrapFailed?: ChainEntry;
  /** Records waiting for their chain's AUDIT_CHAIN_OPEN (sealed mode). */
  pending: ChainEntry[];
}

/**
 * Checks MACs while records stream in, so that the verifier keeps only a
 * few fields per record instead of every record (INTEGRITY.md "What is
 * signed"). Shared mode derives k0 from the secret and the chain id at
 * once; sealed mode waits for the chain's AUDIT_CHAIN_OPEN to unwrap k0.
 * Each checked record gets `macOk` and loses its `signed` body.
 */
export class MacVerifier {
  private chains = new Map<string, ChainKeys>();

  constructor(private readonly keys: Map<string, ParsedKey>) {}

  private state(chainId: string): ChainKeys {
    let s = this.chains.get(chainId);
    if (!s) {
      s = { roots: new Map(), caches: new Map(), pending: [] };
      this.chains.set(chainId, s);
    }
    return s;
  }

  /** Checks `e` now if its key is available, else keeps it pending. */
  offer(e: ChainEntry): void {
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
      for (const p of s.pending.splice(0)) this.offer(p);
      return;
    }
    if (s.unwrapFailed) return this.drop(e);
    s.pending.push(e);
  }

  private drop(e: ChainEntry): void {
    delete e.signed;
  }

  private check(e: ChainEntry, s: ChainKeys, kid: string): void {
    let ok = false;
    if (e.epoch >= 0 && e.epoch <= MAX_EPOCH && e.signed) {
      let cache = s.caches.get(kid);
      if (!cache) s.caches.set(kid, (cache = new Map([[0, s.roots.get(kid)!]])));
      try {
        ok = macEquals(hmac(epochKey(cache.get(0)!, e.chainId, e.epoch, cache), macInput(e.signed)), e.mac);
      } catch {
        ok = false;
      }
    }
    e.macOk = ok;
    this.drop(e);
  }

  /**
   * Reports the chain's key and MAC findings: KEY_UNKNOWN when its kid is
   * not in the keyring (or a sealed chain's OPEN is not stored),
   * MAC_INVALID for the wrapped key or each record that fails; when no
   * record at all verifies, one MAC_INVALID names the likely cause.
   */
  finish(chainId: string, kid: string, entries: ChainEntry[], first: ChainEntry, push: Push): void {
    const s = this.state(chainId);
    const key = this.keys.get(kid);
    if (!key) {
      push('KEY_UNKNOWN', first, first.seq, `no key "${kid.slice(0, 64)}" in the keyring; MACs of this chain were not checked`);
      return;
    }
    if (s.unwrapFailed) {
      push('MAC_INVALID', s.unwrapFailed, s.unwrapFailed.seq, `the wrapped chain key does not open with private key "${kid}" (wrong key, or AUDIT_CHAIN_OPEN altered)`);
      return;
    }
    if (s.pending.length > 0) {
      push('KEY_UNKNOWN', first, first.seq, `key "${kid}" is a sealed-mode private key but no AUDIT_CHAIN_OPEN with a wrapped key is stored; MACs were not checked`);
      for (const p of s.pending) this.drop(p);
      return;
    }
    const bad = entries.filter((e) => e.kid !== kid || e.macOk === false);
    if (bad.length > 1 && bad.length === entries.length) {
      push('MAC_INVALID', bad[0]!, bad[0]!.seq, `none of the ${entries.length} records verifies with key "${kid}": wrong key, or every record altered`);
      return;
    }
    for (const e of bad) {
      const why = e.kid !== kid ? `kid "${e.kid.slice(0, 64)}" differs from the chain's "${kid}"` : e.epoch < 0 || e.epoch > MAX_EPOCH ? `epoch ${e.epoch} is out of range` : 'MAC does not match the record';
      push('MAC_INVALID', e, e.seq, `${why}: the record was altered or forged`);
    }
  }
}
