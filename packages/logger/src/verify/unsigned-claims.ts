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
  private readonly byService = new Map<string, Claimant[]>();
  /** The same claimants by service and instance: a record's own instance is looked for first. */
  private readonly byInstance = new Map<string, Map<string | null, Claimant[]>>();
  /** Unsigned records that belong to no chain. */
  free = 0;

  /** A judged chain (or one whose life is known) that unsigned records may claim. */
  addChain(c: ChainLife): void {
    const k = lookAlike(c.service ?? '');
    // Its life in ms, parsed once: parsing both times for every record and
    // chain made a file of 20 000 forged one-record chains and 20 000
    // unsigned records of their service take 147 s (found by a probe).
    const claimant: Claimant = {
      chain: c,
      from: c.first_time === null ? NaN : Date.parse(c.first_time),
      to: !c.closed ? Infinity : c.last_time === null ? NaN : Date.parse(c.last_time),
    };
    push(this.byService, k, claimant);
    let instances = this.byInstance.get(k);
    if (!instances) this.byInstance.set(k, (instances = new Map()));
    push(instances, c.instance, claimant);
  }

  /** Files one unsigned record: a finding when it claims a chain's service within its life, else counted as free. */
  claim(u: UnsignedEntry, findings: Finding[]): void {
    // An open chain from its first record on; NaN (no first record, an unreadable last time) never holds.
    const living = (c: Claimant) => u.time >= c.from && u.time <= c.to;
    const k = lookAlike(u.service ?? '');
    const owner = (this.byInstance.get(k)?.get(u.instance ?? null)?.find(living) ?? this.byService.get(k)?.find(living))?.chain;
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

/** A chain that unsigned records may claim, with its life in ms (NaN where a time is missing or unreadable). */
interface Claimant {
  chain: ChainLife;
  from: number;
  to: number;
}

/** Appends `value` to the list of `key` in `map`. */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
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
