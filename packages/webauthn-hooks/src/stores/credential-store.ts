import type { AuthenticatorTransport, CredentialDeviceType } from '@simplewebauthn/server';

/** A registered public-key credential (WebAuthn §7.1 step 27 "credential record"). */
export interface StoredCredential {
  /** base64url credential id. */
  id: string;
  userId: string;
  /** COSE public key bytes. Never logged. */
  publicKey: Uint8Array;
  /** Last signature counter accepted (WebAuthn §6.1.1). */
  counter: number;
  transports?: AuthenticatorTransport[];
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
  /** Records the counter of an accepted assertion. */
  updateCounter(id: string, counter: number): void | Promise<void>;
}
