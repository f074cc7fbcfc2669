/**
 * Runs tasks one at a time per key, within this process. Registration checks
 * that a user name and a credential id are free, writes its success event,
 * then stores them; with stores that answer asynchronously (any database),
 * two registrations of one name could both pass the check and both be
 * audited as successes before the second insert failed. Holding the keys
 * from the check to the insert makes the second one see the first's rows.
 * Replicas of a service still race each other: their stores must refuse
 * duplicates (UserStore.create, CredentialStore.add).
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task holding any of `keys` has ended; keys are released when it ends, however it ends. */
  async run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)].sort();
    const before = unique.map((k) => this.#tails.get(k)).filter((p): p is Promise<void> => p !== undefined);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    // Each key's tail becomes "the earlier tail, then mine", so later tasks wait for both.
    const tails = unique.map((k) => {
      const tail = Promise.all([this.#tails.get(k), mine]).then(() => undefined);
      this.#tails.set(k, tail);
      return [k, tail] as const;
    });
    try {
      await Promise.all(before);
      return await task();
    } finally {
      release();
      // Forget a key no later task has chained onto, so the map does not grow with every name ever registered.
      for (const [k, tail] of tails) void tail.then(() => this.#tails.get(k) === tail && this.#tails.delete(k));
    }
  }
}
