import type { ChallengeRecord, ChallengeStore, ChallengeTake } from './challenge-store.js';

/** Options of {@link MemoryChallengeStore}. */
export interface MemoryChallengeStoreOptions {
  /** Entries kept at most; the oldest go first. The options endpoints are unauthenticated, so this bounds memory. Default 10 000. */
  maxEntries?: number;
  /** How long a used or expired challenge is remembered, to report replays and expiry precisely. Default 10 minutes. */
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

  constructor(options: MemoryChallengeStoreOptions = {}) {
    this.#max = options.maxEntries ?? 10_000;
    this.#retainMs = options.retainMs ?? 10 * 60_000;
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
