import { ChainChecker, checkChain, type ChainCheckOptions } from './chain-check.js';
import type { MacVerifier } from './chain-mac.js';
import type { ChainEntry, IntakeTarget, UnsignedEntry } from './intake.js';
import type { ChainSummary, Finding } from './types.js';
import { claimUnsigned, UnsignedClaims } from './unsigned-claims.js';

interface ProbedChain {
  /** The last seq, or -1 once one came out of order. */
  last: number;
  service?: string;
  instance?: string;
  minTime: number;
  maxTime: number;
  closed: boolean;
}

/**
 * Learns, in a first read of the input, which chains have their records in
 * strictly increasing seq order (as their producer wrote them: no copy, no
 * record out of place), and the life of each (producer, first and last
 * time, closed). Keeps a few values per chain.
 */
export class ChainOrderProbe implements IntakeTarget {
  private readonly chains = new Map<string, ProbedChain>();

  entry(e: ChainEntry): void {
    let c = this.chains.get(e.chainId);
    if (!c) {
      this.chains.set(e.chainId, (c = { last: e.seq, minTime: Number.NaN, maxTime: Number.NaN, closed: false, ...(e.service ? { service: e.service } : {}), ...(e.instance ? { instance: e.instance } : {}) }));
    } else c.last = c.last >= 0 && e.seq > c.last ? e.seq : -1;
    // As ChainChecker sums up a chain; exact for a chain in order, where every record is a new position.
    if (!Number.isNaN(e.time)) {
      if (!(e.time >= c.minTime)) c.minTime = e.time;
      if (!(e.time <= c.maxTime)) c.maxTime = e.time;
    }
    if (e.eventType === 'AUDIT_CHAIN_CLOSE') c.closed = true;
  }

  unsigned(): void {}

  /** The chains whose records all came in increasing seq order. */
  inOrder(): Set<string> {
    return new Set([...this.chains].filter(([, c]) => c.last >= 0).map(([id]) => id));
  }

  /**
   * Claims for unsigned records as they come, when every chain is in order
   * (their lives are then known exactly, in the order the chains first
   * appeared, as the one-read verifier adds them); undefined otherwise.
   */
  claims(): UnsignedClaims | undefined {
    if ([...this.chains.values()].some((c) => c.last < 0)) return undefined;
    const claims = new UnsignedClaims();
    const iso = (t: number) => (Number.isNaN(t) ? null : new Date(t).toISOString());
    for (const [chainId, c] of this.chains) {
      claims.addChain({ chain_id: chainId, service: c.service ?? null, instance: c.instance ?? null, first_time: iso(c.minTime), last_time: iso(c.maxTime), closed: c.closed });
    }
    return claims;
  }
}

/**
 * Judges interleaved chains in a second read of the input: a chain the
 * first read found in seq order is checked record by record as it comes (a
 * {@link ChainChecker} keeps a few values, not the records); any other
 * chain's records are kept and judged at the end by {@link checkChain},
 * exactly as the one-read verifier judges every chain. For a chain in seq
 * order the two are the same: checkChain finds no copy and nothing out of
 * order, and its sort keeps the input order.
 */
export class InterleavedChains implements IntakeTarget {
  private readonly chains = new Map<string, ChainChecker | ChainEntry[]>();
  private readonly unsignedEntries: UnsignedEntry[] = [];
  /** UNSIGNED_IN_SIGNED_CHAIN found as the records came (with `claims`): reported after the chains' findings. */
  private readonly claimed: Finding[] = [];
  /** A chain found in order by the first read was not in the second: the input changed between them. */
  changed = false;

  /**
   * `claims`: the chains' lives from the first read, when they are known
   * exactly (ChainOrderProbe.claims): unsigned records are then claimed as
   * they come instead of kept.
   */
  constructor(
    private readonly inOrder: ReadonlySet<string>,
    private readonly macs: MacVerifier,
    private readonly opts: ChainCheckOptions,
    private readonly claims?: UnsignedClaims,
  ) {}

  entry(e: ChainEntry): void {
    let c = this.chains.get(e.chainId);
    if (!c) this.chains.set(e.chainId, (c = this.inOrder.has(e.chainId) ? new ChainChecker(e.chainId, this.macs, this.opts) : []));
    if (Array.isArray(c)) return void c.push(e);
    if (e.seq <= c.lastSeq) this.changed = true;
    else c.add(e);
  }

  unsigned(u: UnsignedEntry): void {
    if (this.claims) this.claims.claim(u, this.claimed);
    else this.unsignedEntries.push(u);
  }

  /**
   * Every chain's findings and summary, in the order the chains first
   * appeared, then the unsigned records' claims: as the one-read verifier
   * gives them.
   */
  finish(): { findings: Finding[]; chains: ChainSummary[]; claims: UnsignedClaims } {
    const findings: Finding[] = [];
    const chains: ChainSummary[] = [];
    for (const [chainId, c] of this.chains) {
      const r = Array.isArray(c) ? checkChain(chainId, c, this.macs, this.opts) : c.finish();
      for (const f of r.findings) findings.push(f);
      chains.push(r.summary);
    }
    if (this.claims) {
      for (const f of this.claimed) findings.push(f);
      return { findings, chains, claims: this.claims };
    }
    return { ...claimUnsigned(findings, chains, this.unsignedEntries), chains };
  }
}
