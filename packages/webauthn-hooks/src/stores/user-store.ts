/** A WebAuthn account holder. `id` is opaque and stable; it is also the WebAuthn user handle (base64url). */
export interface WebAuthnUser {
  /** base64url of the user handle bytes (WebAuthn §5.4.3: at most 64 bytes, no personal data). */
  id: string;
  /** Login name shown by the authenticator. */
  name: string;
  displayName: string;
}

/** Where accounts live. Implement it over your own user table. */
export interface UserStore {
  findById(id: string): WebAuthnUser | undefined | Promise<WebAuthnUser | undefined>;
  findByName(name: string): WebAuthnUser | undefined | Promise<WebAuthnUser | undefined>;
  /** Creates the account; must reject (throw) when the name is already taken. */
  create(user: WebAuthnUser): void | Promise<void>;
  /**
   * Optional: deletes the account `create` just made for a registration whose
   * credential could not be stored (`CredentialStore.add` threw: a replica
   * stored the same credential id, the database went away). Without it that
   * account stays with no credential, and its name stays taken: its owner
   * cannot sign in and cannot register the name again. Stores that create the
   * account and the credential in one transaction do not need it.
   */
  remove?(id: string): void | Promise<void>;
}
