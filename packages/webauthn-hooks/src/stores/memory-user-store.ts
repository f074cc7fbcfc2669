import { WebAuthnHooksError } from '../errors.js';
import type { UserStore, WebAuthnUser } from './user-store.js';

/** In-memory {@link UserStore} for examples and tests. */
export class MemoryUserStore implements UserStore {
  readonly #byId = new Map<string, WebAuthnUser>();
  readonly #byName = new Map<string, WebAuthnUser>();

  findById(id: string): WebAuthnUser | undefined {
    return this.#byId.get(id);
  }

  findByName(name: string): WebAuthnUser | undefined {
    return this.#byName.get(name);
  }

  create(user: WebAuthnUser): void {
    if (this.#byName.has(user.name) || this.#byId.has(user.id)) {
      throw new WebAuthnHooksError('WEBAUTHN_HOOKS_USERNAME_TAKEN', 'user name is already registered');
    }
    const copy = { ...user };
    this.#byId.set(user.id, copy);
    this.#byName.set(user.name, copy);
  }

  remove(id: string): void {
    const user = this.#byId.get(id);
    if (!user) return;
    this.#byId.delete(id);
    this.#byName.delete(user.name);
  }
}
