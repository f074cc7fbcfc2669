import type { UnsignedEntry } from './intake.js';
import type { ChainSummary, Finding } from './types.js';

/** What a chain's claim on unsigned records depends on: its producer and its life. */
export type ChainLife = Pick<ChainSummary, 'chain_id' | 'service' | 'instance' | 'first_time' | 'last_time' | 'closed'>;

/**
 * UNSIGNED_IN_SIGNED_CHAIN: an unsigned record claiming the service of a
 * signed chain, dated within that chain's life (open chains: from their
 * first record on). A downgrade to unsigned must not pass as an ordinary
 * unsigned event. The service, not the instance, decides: the instance is
 * text the forger writes, and `WEB-1`, `web-9` or none at all passed as
 * another producer (found by a probe). A record of the chain's own instance
 * is attributed to that chain where there is one. Chains are indexed by
 * service: a table holds thousands of chains (one per process start) and
 * millions of unsigned records; each looks at its service's only. Services
 * are matched as they look, not as they are spelt ({@link lookAlike}):
 * `Login-API`, `login‐api` (U+2010) or `login-api` with a zero-width space
 * passed as another service (found by a review).
 */
export class UnsignedClaims {
  private readonly byService = new Map<string, ChainLife[]>();
  /** Unsigned records that belong to no chain. */
  free = 0;

  /** A judged chain (or one whose life is known) that unsigned records may claim. */
  addChain(c: ChainLife): void {
    const k = lookAlike(c.service ?? '');
    const list = this.byService.get(k);
    if (list) list.push(c);
    else this.byService.set(k, [c]);
  }

  /** Files one unsigned record: a finding when it claims a chain's service within its life, else counted as free. */
  claim(u: UnsignedEntry, findings: Finding[]): void {
    const living = (c: ChainLife) =>
      c.first_time !== null && u.time >= Date.parse(c.first_time) && (!c.closed || (c.last_time !== null && u.time <= Date.parse(c.last_time)));
    const chains = this.byService.get(lookAlike(u.service ?? '')) ?? [];
    const owner = chains.find((c) => c.instance === (u.instance ?? null) && living(c)) ?? chains.find(living);
    if (!owner) {
      this.free++;
      return;
    }
    const own = owner.instance === (u.instance ?? null) && owner.service === (u.service ?? null);
    const spelt = u.service !== owner.service ? ` (written ${JSON.stringify(u.service ?? null)})` : '';
    findings.push({
      code: 'UNSIGNED_IN_SIGNED_CHAIN',
      chain_id: owner.chain_id,
      seq: null,
      message: own
        ? `record without integrity claims producer ${owner.service}/${owner.instance ?? '-'} of this signed chain`
        : `record without integrity claims service ${owner.service}${spelt} (instance ${JSON.stringify(u.instance ?? null)}) while this chain of its instance ${owner.instance ?? '-'} was signing`,
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

/**
 * A service name as a reader sees it: compatibility forms folded (NFKC:
 * full-width letters), case folded, invisible characters (Unicode
 * Default_Ignorable_Code_Point: zero-width, Hangul fillers, variation
 * selectors) and white space dropped, every dash (Dash_Punctuation, and the
 * minus signs and hyphen bullet that look like one) read as `-`. Not a full confusable skeleton (UTS #39: Cyrillic `а` for Latin `a`
 * is still another name).
 */
const DASHES = /[\p{Dash_Punctuation}\u2212\u02d7\u2043\u2796]/gu;

export function lookAlike(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/\p{Default_Ignorable_Code_Point}/gu, '').replace(DASHES, '-').replace(/\s+/gu, '');
}
