import { WebAuthnHooksError } from '../errors.js';
import type { CredentialStore, StoredCredential } from './credential-store.js';

/** In-memory {@link CredentialStore} for examples and tests. */
export class MemoryCredentialStore implements CredentialStore {
  readonly #byId = new Map<string, StoredCredential>();

  findById(id: string): StoredCredential | undefined {
    const found = this.#byId.get(id);
    return found ? { ...found } : undefined;
  }

  listByUser(userId: string): StoredCredential[] {
    return [...this.#byId.values()].filter((c) => c.userId === userId).map((c) => ({ ...c }));
  }

  add(credential: StoredCredential): void {
    if (this.#byId.has(credential.id)) {
      throw new WebAuthnHooksError('WEBAUTHN_HOOKS_BAD_REQUEST', 'credential id is already registered');
    }
    this.#byId.set(credential.id, { ...credential });
  }

  updateCounter(id: string, counter: number): boolean {
    const found = this.#byId.get(id);
    if (!found || counter <= found.counter) return false;
    found.counter = counter;
    return true;
  }
}
