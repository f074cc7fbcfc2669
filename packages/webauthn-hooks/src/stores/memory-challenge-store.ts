import { checkInteger, configError, describeValue, isObject, orDefault, refuseUnknownKeys } from '../config-checks.js';
import type { ChallengeRecord, ChallengeStore, ChallengeTake } from './challenge-store.js';

/** Options of {@link MemoryChallengeStore}. */
export interface MemoryChallengeStoreOptions {
  /** Entries kept at most (1 to 2^31 - 1); the oldest go first. The options endpoints are unauthenticated, so this bounds memory. Default 10 000. */
  maxEntries?: number;
  /** How long a used or expired challenge is remembered (ms, 0 to 2^31 - 1), to report replays and expiry precisely. Default 10 minutes. */
  retainMs?: number;
}

interface Entry {
  record: ChallengeRecord;
  usedAt?: number;
}

/**
 * In-memory challenge store for one process (tests, examples, single-replica
 * services). Expiry is checked on `take`; old entries are swept on `save`,
 * so it needs no timer and never keeps a process alive.
 */
export class MemoryChallengeStore implements ChallengeStore {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #retainMs: number;

  /** Throws `WebAuthnHooksError` (`WEBAUTHN_HOOKS_CONFIG`) for unknown keys and values out of range. */
  constructor(options: MemoryChallengeStoreOptions = {}) {
    if (!isObject(options)) throw configError(`MemoryChallengeStore options must be an object, got ${describeValue(options)}`);
    refuseUnknownKeys(options, { maxEntries: true, retainMs: true } satisfies Record<keyof MemoryChallengeStoreOptions, true>, 'MemoryChallengeStore option');
    // maxEntries 0 made save() loop forever (nothing to evict, never below the bound); NaN made it unbounded.
    this.#max = checkInteger(orDefault(options.maxEntries, 10_000), 1, 2 ** 31 - 1, 'MemoryChallengeStore maxEntries');
    this.#retainMs = checkInteger(orDefault(options.retainMs, 10 * 60_000), 0, 2 ** 31 - 1, 'MemoryChallengeStore retainMs', ' (milliseconds)');
  }

  /** Number of entries held, used and unused. */
  get size(): number {
    return this.#entries.size;
  }

  save(record: ChallengeRecord): void {
    if (this.#entries.size >= this.#max) this.#sweep(record.issuedAt);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(record.challenge, { record: { ...record } });
  }

  take(challenge: string, now: number): ChallengeTake {
    const entry = this.#entries.get(challenge);
    if (!entry) return { status: 'unknown' };
    if (entry.usedAt !== undefined) return { status: 'replayed', record: entry.record };
    entry.usedAt = now;
    if (now > entry.record.expiresAt) return { status: 'expired', record: entry.record };
    return { status: 'ok', record: entry.record };
  }

  // Forgets entries whose expiry is older than the retention window at `now`.
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.record.expiresAt + this.#retainMs < now) this.#entries.delete(key);
    }
  }
}
