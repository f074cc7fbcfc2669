import { ChainChecker, type ChainCheckOptions } from './chain-check.js';
import type { MacVerifier } from './chain-mac.js';
import type { ChainEntry, IntakeTarget, UnsignedEntry } from './intake.js';
import type { ChainSummary, Finding } from './types.js';
import { UnsignedClaims } from './unsigned-claims.js';

/**
 * Judges records read chain after chain (VerifyOptions.order "chain"):
 * each chain's records together and in seq order, then the records without
 * integrity. A chain is judged when the next one begins, and unsigned
 * records are claimed as they come, so what stays in memory is a summary
 * per chain, the chain ids seen, and the findings.
 */
export class ChainStream implements IntakeTarget {
  readonly findings: Finding[] = [];
  readonly chains: ChainSummary[] = [];
  readonly claims = new UnsignedClaims();
  private current: ChainChecker | undefined;
  /** Chains already judged: a record of one of them now is out of order. */
  private readonly judged = new Set<string>();
  private unsignedBegun = false;

  constructor(
    private readonly macs: MacVerifier,
    private readonly opts: ChainCheckOptions,
  ) {}

  entry(e: ChainEntry): void {
    if (this.current?.chainId !== e.chainId) {
      if (this.unsignedBegun || this.judged.has(e.chainId)) return this.outOfOrder(e, this.unsignedBegun ? 'after the records without integrity' : 'after its chain was judged');
      this.end();
      this.current = new ChainChecker(e.chainId, this.macs, this.opts);
    } else if (e.seq < this.current.lastSeq) {
      return this.outOfOrder(e, `after seq ${this.current.lastSeq} of its chain`);
    }
    this.current.add(e);
  }

  unsigned(u: UnsignedEntry): void {
    // The chains are over: each unsigned record can be claimed now.
    this.end();
    this.unsignedBegun = true;
    this.claims.claim(u, this.findings);
  }

  /** Judges the chain in progress, if any. */
  end(): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    this.judged.add(c.chainId);
    const r = c.finish();
    for (const f of r.findings) this.findings.push(f);
    this.chains.push(r.summary);
    this.claims.addChain(r.summary);
  }

  /** A chain record where the order cannot have it: reported, its MAC body released, not judged with its chain. */
  private outOfOrder(e: ChainEntry, where: string): void {
    e.signed = undefined;
    this.findings.push({
      code: 'REORDERED',
      chain_id: e.chainId,
      seq: e.seq,
      message: `seq ${e.seq} is stored ${where}: read in (chain_id, seq) order, its place there does not match its signed chain_id and seq, so it was not checked with its chain`,
      ...(e.location ? { location: e.location } : {}),
      ...(e.eventId ? { event_id: e.eventId } : {}),
    });
  }
}
