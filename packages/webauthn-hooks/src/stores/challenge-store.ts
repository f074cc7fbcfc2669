/** The two WebAuthn ceremonies (WebAuthn §7.1 registration, §7.2 authentication). */
export type Ceremony = 'registration' | 'authentication';

/** What the server remembers about a challenge it handed out. */
export interface ChallengeRecord {
  /** base64url challenge, exactly as sent in the options. */
  challenge: string;
  ceremony: Ceremony;
  /** Registration: the user being created. Authentication: the user named in the request, if any. */
  userId?: string | undefined;
  userName?: string | undefined;
  displayName?: string | undefined;
  /**
   * Who asked for it: the client address of the options request (through the
   * trusted proxies), when the caller gave its request context. A store may
   * bound how many challenges one client holds, so one client flooding the
   * unauthenticated options endpoints cannot push everyone else's out; it
   * should count an IPv6 client by its /64 (`quotaClient`), which one host
   * may fill with addresses of its own.
   */
  client?: string | undefined;
  /** Epoch milliseconds when it was issued. */
  issuedAt: number;
  /** Epoch milliseconds after which the challenge is refused. */
  expiresAt: number;
}

/**
 * Result of taking a challenge out of the store. `evicted`: the store issued
 * it but dropped it unused to stay within its bounds (see
 * `MemoryChallengeStore`), so the ceremony fails without the challenge being
 * called foreign; `record` holds at least `challenge`, `ceremony`,
 * `issuedAt`, `expiresAt` and the `userId` it was issued for.
 */
export type ChallengeTake =
  | { status: 'ok'; record: ChallengeRecord }
  | { status: 'unknown' }
  | { status: 'replayed'; record: ChallengeRecord }
  | { status: 'expired'; record: ChallengeRecord }
  | { status: 'evicted'; record: ChallengeRecord };

/**
 * Server-side challenge state. A challenge is single-use: `take` succeeds at
 * most once, and the store remembers it was used (a tombstone) long enough
 * to tell a replay from an unknown challenge. SimpleWebAuthn's reference app
 * keeps `currentChallenge` in the session and clears it after verification;
 * a Redis store implements the same with `SET challenge PX ttl` and, in one
 * Lua script, `GETDEL` plus a short-lived tombstone key that later takes
 * read with `GET` (the README's sketch).
 */
export interface ChallengeStore {
  save(record: ChallengeRecord): void | Promise<void>;
  /** Atomically marks the challenge used and reports what it was. `now` is epoch ms. */
  take(challenge: string, now: number): ChallengeTake | Promise<ChallengeTake>;
}
