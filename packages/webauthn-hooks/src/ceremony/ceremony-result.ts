import type { CeremonyFailure } from './failure-stage.js';
import type { WebAuthnUser } from '../stores/user-store.js';

/** A verification that succeeded: the account and credential it proved. */
export interface CeremonySuccess {
  verified: true;
  user: WebAuthnUser;
  credentialId: string;
  /** Authentication only: the counter did not increase and the policy let the sign-in through. */
  counterRegression?: boolean;
}

/** A verification that failed; it has been audited already. */
export interface CeremonyRejection {
  verified: false;
  failure: CeremonyFailure;
}

/** Result of a verification. Failures are results, not exceptions. */
export type CeremonyResult = CeremonySuccess | CeremonyRejection;
