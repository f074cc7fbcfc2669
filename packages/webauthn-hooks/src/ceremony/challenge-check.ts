import { failure, type CeremonyFailure } from './failure-stage.js';
import type { Ceremony, ChallengeRecord, ChallengeStore } from '../stores/challenge-store.js';

// Our challenges are 32 random bytes in base64url (43 characters); anything
// much longer is not ours and is not worth a store lookup.
const MAX_CHALLENGE_LENGTH = 128;

/**
 * Takes the challenge the client signed out of the store. This is the
 * challenge check of WebAuthn §7.1 step 8 / §7.2 step 12: a challenge this
 * server did not issue, issued for the other ceremony, already used, or
 * expired (or evicted by the store's bounds) is refused, each with its own
 * stage.
 */
export async function takeChallenge(
  store: ChallengeStore,
  challenge: string | undefined,
  ceremony: Ceremony,
  now: number,
): Promise<{ ok: true; record: ChallengeRecord } | { ok: false; failure: CeremonyFailure; record?: ChallengeRecord }> {
  if (!challenge || challenge.length > MAX_CHALLENGE_LENGTH) {
    return { ok: false, failure: failure('challenge', 'challenge was not issued by this server') };
  }
  const taken = await store.take(challenge, now);
  switch (taken.status) {
    case 'unknown':
      return { ok: false, failure: failure('challenge', 'challenge was not issued by this server') };
    case 'replayed':
      return { ok: false, record: taken.record, failure: failure('challenge_replayed', 'challenge was already used') };
    case 'expired':
      return { ok: false, record: taken.record, failure: failure('challenge_expired', 'challenge expired before it was used') };
    case 'evicted':
      // Issued here, so never "not issued": the store dropped it early to
      // stay within its bounds, which for the user is an early expiry (the
      // schema has no stage of its own for it; the message tells them apart).
      return { ok: false, record: taken.record, failure: failure('challenge_expired', "challenge was issued but evicted by the store's bounds before it was used") };
    case 'ok':
      if (taken.record.ceremony !== ceremony) {
        return { ok: false, record: taken.record, failure: failure('challenge', `challenge was issued for ${taken.record.ceremony}`) };
      }
      return { ok: true, record: taken.record };
  }
}
