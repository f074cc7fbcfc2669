import { ChainChecker, checkChain, type ChainCheckOptions } from './chain-check.js';
import type { MacVerifier } from './chain-mac.js';
import type { ChainEntry, IntakeTarget, UnsignedEntry } from './intake.js';
import type { ChainSummary, Finding } from './types.js';

/**
 * Learns, in a first read of the input, which chains have their records in
 * strictly increasing seq order (as their producer wrote them: no copy, no
 * record out of place). Keeps one number per chain.
 */
export class ChainOrderProbe implements IntakeTarget {
  /** The last seq of each chain, or -1 once one came out of order. */
  private readonly last = new Map<string, number>();

  entry(e: ChainEntry): void {
    const l = this.last.get(e.chainId);
    this.last.set(e.chainId, l === undefined || (l >= 0 && e.seq > l) ? e.seq : -1);
  }

  unsigned(): void {}

  /** The chains whose records all came in increasing seq order. */
  inOrder(): Set<string> {
    return new Set([...this.last].filter(([, l]) => l >= 0).map(([c]) => c));
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
  /** A chain found in order by the first read was not in the second: the input changed between them. */
  changed = false;

  constructor(
    private readonly inOrder: ReadonlySet<string>,
    private readonly macs: MacVerifier,
    private readonly opts: ChainCheckOptions,
  ) {}

  entry(e: ChainEntry): void {
    let c = this.chains.get(e.chainId);
    if (!c) this.chains.set(e.chainId, (c = this.inOrder.has(e.chainId) ? new ChainChecker(e.chainId, this.macs, this.opts) : []));
    if (Array.isArray(c)) return void c.push(e);
    if (e.seq <= c.lastSeq) this.changed = true;
    else c.add(e);
  }

  unsigned(u: UnsignedEntry): void {
    this.unsignedEntries.push(u);
  }

  /** Every chain's findings and summary, in the order the chains first appeared, as the one-read verifier gives them. */
  finish(): { findings: Finding[]; chains: ChainSummary[]; unsigned: UnsignedEntry[] } {
    const findings: Finding[] = [];
    const chains: ChainSummary[] = [];
    for (const [chainId, c] of this.chains) {
      const r = Array.isArray(c) ? checkChain(chainId, c, this.macs, this.opts) : c.finish();
      for (const f of r.findings) findings.push(f);
      chains.push(r.summary);
    }
    return { findings, chains, unsigned: this.unsignedEntries };
  }
}
