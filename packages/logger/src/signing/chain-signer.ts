import { randomBytes } from 'node:crypto';
import { newEventId } from '@audit-trail/schema';
import type { ResolvedSigning } from './config.js';
import { MAC_PREFIX } from './canonical.js';
import { signCanonical } from './fast-jcs.js';
import { evolveKey, hmacPieces, sharedRootKey } from './kdf.js';
import { wrapRootKey, type WrappedKey } from './seal.js';

/** The `chain` detail of AUDIT_CHAIN_OPEN: parameters binding for the whole chain. */
export interface ChainOpenDetail {
  mode: 'shared' | 'sealed';
  checkpoint_interval_ms: number;
  epoch_interval_ms: number;
  epoch_max_events: number;
  wrapped_key?: WrappedKey;
}

/**
 * The producer side of one signed chain (docs/integrity.md, format v1): a UUIDv7
 * chain id, gap-free `seq` from 1, `prev` linking each record to the last,
 * and an epoch key that evolves by time or record count, the old key
 * buffer overwritten so a later compromise cannot re-sign past epochs.
 */
export class ChainSigner {
  /** UUIDv7 drawn at start. */
  readonly chainId = newEventId();
  readonly kid: string;
  /** What AUDIT_CHAIN_OPEN states about this chain. */
  readonly openDetail: ChainOpenDetail;
  /** seq of the last record signed (0 before the first). */
  seq = 0;
  epoch = 0;
  private prev = '';
  // Key material in #private fields: util.inspect and console.log show
  // ordinary properties, even `private` ones, so a logger dumped in an app's
  // log would print the epoch key and the shared secret.
  #key: Buffer;
  private epochStartedAt: number;
  private epochRecords = 0;
  /** Stands in for the mac while the event is serialised once (signCanonical); random, so input cannot contain it by chance. */
  readonly #placeholder = randomBytes(32).toString('base64url');
  readonly #cfg: ResolvedSigning;

  constructor(
    cfg: ResolvedSigning,
    private readonly now: () => number,
  ) {
    this.#cfg = cfg;
    this.kid = cfg.kid;
    this.openDetail = {
      mode: cfg.mode,
      checkpoint_interval_ms: cfg.checkpointIntervalMs,
      epoch_interval_ms: cfg.epochIntervalMs,
      epoch_max_events: cfg.epochMaxEvents,
    };
    if (cfg.mode === 'shared') {
      this.#key = sharedRootKey(cfg.secret!, this.chainId);
    } else {
      this.#key = randomBytes(32);
      this.openDetail.wrapped_key = wrapRootKey(this.#key, cfg.publicKey!, this.chainId);
    }
    this.epochStartedAt = now();
  }

  /** Moves to the next epoch when its time or record budget is spent (also called by an idle timer). */
  evolveIfDue(): void {
    const elapsed = this.now() - this.epochStartedAt;
    if (this.epochRecords >= this.#cfg.epochMaxEvents || elapsed >= this.#cfg.epochIntervalMs) this.evolve();
  }

  /** Milliseconds until the current epoch's time is up: 0 when due, at most one interval (a clock stepped back). */
  msUntilDue(): number {
    const interval = this.#cfg.epochIntervalMs;
    return Math.min(interval, Math.max(0, this.epochStartedAt + interval - this.now()));
  }

  private evolve(): void {
    const next = evolveKey(this.#key, this.chainId, this.epoch + 1);
    this.#key.fill(0);
    this.#key = next;
    this.epoch += 1;
    this.epochRecords = 0;
    this.epochStartedAt = this.now();
  }

  /**
   * Adds `integrity` (with its mac) to a validated event and returns the
   * line to write: the signed event in RFC 8785 canonical form (see
   * `signCanonical`). Throws AUDIT_NOT_SIGNABLE (before consuming a seq, the
   * event left without integrity) when the event holds a non-integer number.
   */
  sign(event: Record<string, unknown>): string {
    // The OPEN (seq 1) is always epoch 0, which the verifier holds it to:
    // with a 1 ms interval the key used to evolve between the constructor and it.
    if (this.seq > 0) this.evolveIfDue();
    const integrity: Record<string, unknown> = {
      v: 1,
      alg: 'HMAC-SHA256',
      chain_id: this.chainId,
      seq: this.seq + 1,
      epoch: this.epoch,
      kid: this.kid,
      prev: this.prev,
    };
    // integrity has no mac yet, so the event itself is event' (no copies).
    event.integrity = integrity;
    let line: string;
    try {
      line = signCanonical(event, integrity, this.#placeholder, (pieces) => hmacPieces(this.#key, MAC_PREFIX, pieces));
    } catch (err) {
      delete event.integrity;
      throw err;
    }
    this.seq += 1;
    this.prev = integrity.mac as string;
    this.epochRecords += 1;
    return line;
  }

  /** Overwrites the current key; the signer is unusable afterwards. */
  destroy(): void {
    this.#key.fill(0);
  }
}
