/** Stable codes of {@link WebAuthnHooksError}. */
export type WebAuthnHooksErrorCode =
  | 'WEBAUTHN_HOOKS_CONFIG'
  | 'WEBAUTHN_HOOKS_BAD_REQUEST'
  | 'WEBAUTHN_HOOKS_USERNAME_TAKEN'
  | 'WEBAUTHN_HOOKS_INVALID_PROXY';

/**
 * A usage or configuration mistake, with a stable `code`. Ceremony failures
 * are not thrown: they are audited and returned as results.
 */
export class WebAuthnHooksError extends Error {
  override readonly name = 'WebAuthnHooksError';
  constructor(
    readonly code: WebAuthnHooksErrorCode,
    message: string,
  ) {
    super(message);
  }
}
