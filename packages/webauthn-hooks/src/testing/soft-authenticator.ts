import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

// nid-webauthn-emulator is CommonJS; Node detects these named exports.
import { AuthenticatorEmulator, PasskeysCredentialsMemoryRepository, WebAuthnEmulator } from 'nid-webauthn-emulator';

/** How the simulated user behaves at the authenticator. */
export interface SoftAuthenticatorOptions {
  /** Whether the user verifies (PIN/biometric); default true. */
  userVerified?: boolean | undefined;
  /**
   * False: an authenticator without a signature counter, which signs 0 on
   * every assertion (WebAuthn L3 §6.1.1); default true (it counts up by 1).
   */
  signCounter?: boolean | undefined;
}

/**
/**
 * A software authenticator with real P-256 keys and real signatures
 * (nid-webauthn-emulator), each with its own credential repository: the
 * package's default repository is a static shared by every instance.
 */
export class SoftAuthenticator {
  readonly repository: InstanceType<typeof PasskeysCredentialsMemoryRepository>;
  readonly #emulator: InstanceType<typeof WebAuthnEmulator>;

  constructor(options: SoftAuthenticatorOptions = {}, repository = new PasskeysCredentialsMemoryRepository()) {
    this.repository = repository;
    const uv = options.userVerified ?? true;
    const interaction = (user: unknown) => ({ user, options: { uv, up: true } });
    this.#emulator = new WebAuthnEmulator(
      new AuthenticatorEmulator({
        credentialsRepository: repository,
        verifications: { userPresent: true, userVerified: uv },
        ...(options.signCounter === false ? { signCounterIncrement: 0 } : {}),
        userMakeCredentialInteraction: interaction as never,
        userGetAssertionInteraction: interaction as never,
      }),
    );
  }

  register(origin: string, options: PublicKeyCredentialCreationOptionsJSON, relatedOrigins?: string[]): RegistrationResponseJSON {
    return this.#emulator.createJSON(origin, options as never, relatedOrigins) as unknown as RegistrationResponseJSON;
  }

  signIn(origin: string, options: PublicKeyCredentialRequestOptionsJSON): AuthenticationResponseJSON {
    return this.#emulator.getJSON(origin, options as never) as unknown as AuthenticationResponseJSON;
  }

  /** A second device holding a copy of every key and counter as they are now: a cloned authenticator. */
  clone(options: SoftAuthenticatorOptions = {}): SoftAuthenticator {
    const copy = new PasskeysCredentialsMemoryRepository();
    for (const credential of this.repository.loadCredentials()) copy.saveCredential(credential);
    return new SoftAuthenticator(options, copy);
  }
}
