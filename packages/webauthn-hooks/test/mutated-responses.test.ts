import { afterEach, describe, expect, it } from 'vitest';
import { parseAuditEvent } from '@audit-trail/schema';
import { SoftAuthenticator } from '../src/testing/index.js';
import { prngInt } from '../../../test/support/prng.js';
import { harness, onlyEvent, ORIGIN, type Harness } from './support/harness.js';
import { mutate } from '../../../test/support/mutate.js';

let h: Harness;
afterEach(async () => {
  await h?.capture.close();
});

const ODD: unknown[] = [undefined, null, 0, -1, 1.5, true, '', 'x', '\u0000', 'a'.repeat(70_000), '\ud800', '!!!', 'AA', '__proto__', [], {}, { a: 1 }, ['x'], 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0'];

/**
 * Sends 300 mutations of genuine responses to a ceremony. Whatever it is
 * given, it answers with a result, never a throw, and writes one valid
 * single-line event: a success when the mutation left the response intact
 * (an unknown field, say), else a failure of `failureType`.
 */
async function mutations(seed: number, genuine: (i: number) => Promise<unknown>, verify: (body: unknown) => Promise<{ verified: boolean; failure?: { code: string } }>, failureType: string) {
  const rand = prngInt(seed);
  for (let i = 0; i < 300; i++) {
    const label = `mutation ${i}`;
    let body = mutate(await genuine(i), rand, ODD);
    if (rand(3) === 0) body = mutate(body, rand, ODD);
    h.capture.take();
    const result = await verify(body);
    if (result.verified) {
      onlyEvent(h.capture);
      continue;
    }
    expect(result.failure?.code, label).toMatch(/^WEBAUTHN_/);
    // The stores here never fail: whatever went wrong came from the client's bytes, not from us.
    expect(result.failure?.code, `${label}: ${JSON.stringify(result.failure)}`).not.toBe('WEBAUTHN_INTERNAL_ERROR');
    const { lines } = h.capture.take();
    expect(lines, label).toHaveLength(1);
    expect(lines[0]!.includes('\n'), label).toBe(false);
    const parsed = parseAuditEvent(lines[0]!);
    expect(parsed.ok, `${label}: ${JSON.stringify(parsed.ok ? '' : parsed.issues)}`).toBe(true);
    if (parsed.ok) expect(parsed.event.event_type, label).toBe(failureType);
  }
}

describe('ceremonies given randomly mutated responses (seeded)', () => {
  it('authentication: 300 mutations of a genuine assertion, each one valid audit event, never a throw', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    await h.register(auth, 'alice');
    await mutations(4242, () => h.signIn(auth, 'alice'), (body) => h.hooks.verifyAuthentication(h.ctx, body), 'WEBAUTHN_AUTH_FAILURE');
  });

  it('registration: 300 mutations of a genuine attestation, each one valid audit event, never a throw', async () => {
    h = harness();
    const genuine = async (i: number) => new SoftAuthenticator().register(ORIGIN, await h.hooks.registrationOptions({ username: `user-${i}` }));
    await mutations(2424, genuine, (body) => h.hooks.verifyRegistration(h.ctx, body), 'WEBAUTHN_REG_FAILURE');
  });
});
