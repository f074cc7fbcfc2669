import { describe, expect, it } from 'vitest';
import { requiresUserVerification, USER_VERIFICATION_REQUIREMENTS } from './user-verification.js';

describe('requiresUserVerification (WebAuthn L3 §7.1 / §7.2 UV check)', () => {
  it('only "preferred" and "discouraged" relax the check; anything else fails closed', () => {
    expect(USER_VERIFICATION_REQUIREMENTS.map(requiresUserVerification)).toEqual([true, false, false]);
    for (const unknown of ['require', 'Required', 'PREFERRED', '', 'none']) expect(requiresUserVerification(unknown), unknown).toBe(true);
  });
});
