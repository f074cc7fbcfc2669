import type { UnsignedEntry } from './intake.js';
import type { ChainSummary, Finding } from './types.js';

/** What a chain's claim on unsigned records depends on: its producer and its life. */
export type ChainLife = Pick<ChainSummary, 'chain_id' | 'service' | 'instance' | 'first_time' | 'last_time' | 'closed'>;

/**
 * UNSIGNED_IN_SIGNED_CHAIN: an unsigned record claiming the producer (same
 * service and instance) of a signed chain, dated within that chain's life
 * (open chains: from their first record on). A downgrade to unsigned must
 * not pass as an ordinary unsigned event. Chains are indexed by producer: a
 * table holds thousands of chains (one per process start) and millions of
 * unsigned records; each looks at its producer's only.
 */
export class UnsignedClaims {
  private readonly byProducer = new Map<string, ChainLife[]>();
  /** Unsigned records that belong to no chain. */
  free = 0;

  private static producer(service: string | null | undefined, instance: string | null | undefined): string {
    return JSON.stringify([service ?? null, instance ?? null]);
  }

  /** A judged chain (or one whose life is known) that unsigned records may claim. */
  addChain(c: ChainLife): void {
    const k = UnsignedClaims.producer(c.service, c.instance);
    const list = this.byProducer.get(k);
    if (list) list.push(c);
    else this.byProducer.set(k, [c]);
  }

  /** Files one unsigned record: a finding when it claims a chain's producer within its life, else counted as free. */
  claim(u: UnsignedEntry, findings: Finding[]): void {
    const owner = this.byProducer.get(UnsignedClaims.producer(u.service, u.instance))?.find(
      (c) =>
        c.first_time !== null &&
        u.time >= Date.parse(c.first_time) &&
        (!c.closed || (c.last_time !== null && u.time <= Date.parse(c.last_time))),
    );
    if (!owner) {
      this.free++;
      return;
    }
    findings.push({
      code: 'UNSIGNED_IN_SIGNED_CHAIN',
      chain_id: owner.chain_id,
      seq: null,
      message: `record without integrity claims producer ${owner.service}/${owner.instance ?? '-'} of this signed chain`,
      ...(u.location ? { location: u.location } : {}),
      ...(u.eventId ? { event_id: u.eventId } : {}),
    });
  }
}

/** Files the unsigned records once every chain is judged (UNSIGNED_IN_SIGNED_CHAIN); returns `findings` with theirs added, and the claims. */
export function claimUnsigned(findings: Finding[], chains: readonly ChainLife[], unsigned: Iterable<UnsignedEntry>): { findings: Finding[]; claims: UnsignedClaims } {
  const claims = new UnsignedClaims();
  for (const c of chains) claims.addChain(c);
  for (const u of unsigned) claims.claim(u, findings);
  return { findings, claims };
}
