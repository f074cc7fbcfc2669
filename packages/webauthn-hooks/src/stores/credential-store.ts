import type { AuthenticatorTransport, CredentialDeviceType } from '@simplewebauthn/server';

/** A registered public-key credential (WebAuthn §7.1 step 27 "credential record"). */
export interface StoredCredential {
  /** base64url credential id. */
  id: string;
  userId: string;
  /** COSE public key bytes. Never logged. */
  publicKey: Uint8Array;
  /** Last signature counter accepted (WebAuthn §6.1.1): a number from 0 to 2^32 - 1, never a string (checked at every sign-in). */
  counter: number;
  transports?: AuthenticatorTransport[] | undefined;
  deviceType: CredentialDeviceType;
  backedUp: boolean;
  /** RFC 3339 creation time. */
  createdAt: string;
}

/** Where credentials live. Implement it over your own table. */
export interface CredentialStore {
  findById(id: string): StoredCredential | undefined | Promise<StoredCredential | undefined>;
  listByUser(userId: string): StoredCredential[] | Promise<StoredCredential[]>;
  /** Stores a new credential; must reject (throw) when the id is already registered. */
  add(credential: StoredCredential): void | Promise<void>;
  /**
   * Stores `counter` as the credential's signature counter only if it is
   * greater than the stored one, in one atomic step, and says whether it
   * did. Two sign-ins verified at once (an authenticator and its clone, both
   * at the same counter) both read the old counter; only this step can tell
   * which came second, which is then a counter regression (WebAuthn §7.2
   * step 21). In SQL: `UPDATE credentials SET counter = $2 WHERE id = $1 AND
   * counter < $2`, true when it changed a row.
   */
  updateCounter(id: string, counter: number): boolean | Promise<boolean>;
}
