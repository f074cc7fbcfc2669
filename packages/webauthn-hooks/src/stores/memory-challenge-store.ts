import { checkInteger, configError, describeValue, isObject, orDefault, refuseUnknownKeys } from '../config-checks.js';
import { quotaClient } from './quota-client.js';
import type { ChallengeRecord, ChallengeStore, ChallengeTake } from './challenge-store.js';

/** Options of {@link MemoryChallengeStore}. */
export interface MemoryChallengeStoreOptions {
  /** Entries kept at most (1 to 2^31 - 1); the oldest go first. The options endpoints are unauthenticated, so this bounds memory. Default 10 000. */
  maxEntries?: number | undefined;
  /** How long a used or expired challenge is remembered (ms, 0 to 2^31 - 1), to report replays and expiry precisely. Default 10 minutes. */
  retainMs?: number | undefined;
  /**
   * Challenges one client (the record's `client`, its address; an IPv6
   * address counts as its /64, see `quotaClient`) holds at most
   * (1 to 2^31 - 1); past it, that client's oldest goes, not anyone else's.
   * Without it, one client asking for options 10 000 times pushed every
   * pending sign-in out of the store, and each failed as an unknown
   * challenge. Default 32: a browser holds one or two at a time, and many
   * users behind one NAT still get 32 in flight. Records without a `client`
   * are bounded by `maxEntries` only.
   */
  maxPerClient?: number | undefined;
}

interface Entry {
  record: ChallengeRecord;
  usedAt?: number;
  /** quotaClient(record.client), worked out once. */
  quota?: string;
}

/** What is kept of a challenge evicted unused: enough to report it truthfully and attribute the attempt. */
type Tombstone = Pick<ChallengeRecord, 'challenge' | 'ceremony' | 'userId' | 'issuedAt' | 'expiresAt'>;

/**
 * In-memory challenge store for one process (tests, examples, single-replica
 * services). Expiry is checked on `take`; old entries are swept on `save`,
 * so it needs no timer and never keeps a process alive. One client holds at
 * most `maxPerClient` challenges; a flood from many addresses at once can
 * still push others out once `maxEntries` is reached: rate-limit the options
 * endpoints in front of it, or use a store of your own with room to spare.
 *
 * A client is the record's `client`, the options request's `client_ip`, an
 * IPv6 one taken as its /64 (one host may use any address in it): behind
 * a reverse proxy that is not in `trustedProxies`, every user is the proxy's
 * address and shares one quota. Making room evicts the client's used
 * challenges (kept only to report replays) before its pending ones; a
 * pending one evicted leaves a tombstone (at most `maxEntries`, swept with
 * the entries), so its later take is `evicted`, audited as such, never as a
 * challenge this server did not issue.
 */
export class MemoryChallengeStore implements ChallengeStore {
  readonly #entries = new Map<string, Entry>();
  /** Pending challenges evicted to make room, oldest first. */
  readonly #evicted = new Map<string, Tombstone>();
  /** Each client's challenges, oldest first (keys of entries since removed are skipped when met). */
  readonly #byClient = new Map<string, string[]>();
  readonly #max: number;
  readonly #retainMs: number;
  readonly #maxPerClient: number;

  /** Throws `WebAuthnHooksError` (`WEBAUTHN_HOOKS_CONFIG`) for unknown keys and values out of range. */
  constructor(options: MemoryChallengeStoreOptions = {}) {
    if (!isObject(options)) throw configError(`MemoryChallengeStore options must be an object, got ${describeValue(options)}`);
    refuseUnknownKeys(options, { maxEntries: true, retainMs: true, maxPerClient: true } satisfies Record<keyof MemoryChallengeStoreOptions, true>, 'MemoryChallengeStore option');
    // maxEntries 0 made save() loop forever (nothing to evict, never below the bound); NaN made it unbounded.
    this.#max = checkInteger(orDefault(options.maxEntries, 10_000), 1, 2 ** 31 - 1, 'MemoryChallengeStore maxEntries');
    this.#retainMs = checkInteger(orDefault(options.retainMs, 10 * 60_000), 0, 2 ** 31 - 1, 'MemoryChallengeStore retainMs', ' (milliseconds)');
    this.#maxPerClient = checkInteger(orDefault(options.maxPerClient, 32), 1, 2 ** 31 - 1, 'MemoryChallengeStore maxPerClient');
  }

  /** Number of entries held, used and unused. */
  get size(): number {
    return this.#entries.size;
  }

  save(record: ChallengeRecord): void {
    const client = record.client === undefined ? undefined : quotaClient(record.client);
    const keys = client === undefined ? undefined : this.#roomFor(client);
    if (this.#entries.size >= this.#max) this.#sweep(record.issuedAt);
    while (this.#entries.size >= this.#max) this.#evict(this.#entries.keys().next().value as string);
    this.#evicted.delete(record.challenge);
    this.#entries.set(record.challenge, { record: { ...record }, ...(client === undefined ? {} : { quota: client }) });
    if (client !== undefined) {
      keys!.push(record.challenge);
      this.#byClient.set(client, keys!);
    }
  }

  /**
   * `client`'s challenges still held, after evicting until it holds fewer
   * than maxPerClient: its oldest used one first (a replay marker only),
   * else its oldest pending one, which may still be answered.
   */
  #roomFor(client: string): string[] {
    // Keys of entries evicted, swept or replaced meanwhile no longer count.
    const keys = (this.#byClient.get(client) ?? []).filter((k) => this.#entries.get(k)?.quota === client);
    while (keys.length >= this.#maxPerClient) {
      const used = keys.findIndex((k) => this.#entries.get(k)!.usedAt !== undefined);
      this.#evict(keys.splice(used === -1 ? 0 : used, 1)[0]!);
    }
    return keys;
  }

  /** Removes an entry; a pending one leaves a tombstone, so its take is `evicted`, not `unknown`. */
  #evict(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    if (entry.usedAt !== undefined) return;
    const { challenge, ceremony, userId, issuedAt, expiresAt } = entry.record;
    if (this.#evicted.size >= this.#max) this.#evicted.delete(this.#evicted.keys().next().value as string);
    this.#evicted.set(key, { challenge, ceremony, ...(userId === undefined ? {} : { userId }), issuedAt, expiresAt });
  }

  take(challenge: string, now: number): ChallengeTake {
    const entry = this.#entries.get(challenge);
    if (!entry) {
      const tombstone = this.#evicted.get(challenge);
      return tombstone ? { status: 'evicted', record: { ...tombstone } } : { status: 'unknown' };
    }
    if (entry.usedAt !== undefined) return { status: 'replayed', record: entry.record };
    entry.usedAt = now;
    if (now > entry.record.expiresAt) return { status: 'expired', record: entry.record };
    return { status: 'ok', record: entry.record };
  }

  /**
   * Forgets entries whose expiry is older than the retention window at `now`,
   * oldest first, up to the first still retained: entries are kept in the
   * order they were issued, all with the same time to live, so the rest are
   * younger. Scanning them all on every save of a full store cost 110 µs per
   * options request at 10 000 entries, 3.5 ms at 200 000 (a probe).
   * Clients whose challenges are all gone are forgotten once there are more
   * of them than entries.
   */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.record.expiresAt + this.#retainMs >= now) break;
      this.#entries.delete(key);
    }
    // Tombstones are in eviction order, close to issue order; any a break leaves behind are bounded by maxEntries.
    for (const [key, tombstone] of this.#evicted) {
      if (tombstone.expiresAt + this.#retainMs >= now) break;
      this.#evicted.delete(key);
    }
    if (this.#byClient.size > this.#max) {
      for (const [client, keys] of this.#byClient) if (!keys.some((k) => this.#entries.has(k))) this.#byClient.delete(client);
    }
  }
}
