import { afterEach, describe, expect, it } from 'vitest';
import { parseAuditEvent } from '@audit-trail/schema';
import { SoftAuthenticator } from '../src/testing/index.js';
import { prngInt } from '../../../test/support/prng.js';
import { harness, onlyEvent, ORIGIN, type Harness } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.capture.close();
});

const ODD: unknown[] = [undefined, null, 0, -1, 1.5, true, '', 'x', '\u0000', 'a'.repeat(70_000), '\ud800', '!!!', 'AA', '__proto__', [], {}, { a: 1 }, ['x'], 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0'];

/** A copy of `value` with one random change at a random depth: a field deleted, replaced by an odd value, or one of its characters changed. */
function mutate(value: unknown, rand: (n: number) => number): unknown {
  if (typeof value === 'string') {
    if (value.length === 0 || rand(2) === 0) return ODD[rand(ODD.length)];
    const at = rand(value.length);
    return value.slice(0, at) + String.fromCharCode(0x20 + rand(95)) + value.slice(at + 1);
  }
  if (typeof value !== 'object' || value === null) return ODD[rand(ODD.length)];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || rand(6) === 0) return ODD[rand(ODD.length)];
  const k = keys[rand(keys.length)]!;
  const r = rand(4);
  if (r === 0) delete copy[k];
  else if (r === 1) copy[k] = ODD[rand(ODD.length)];
  else copy[k] = mutate(copy[k], rand);
  return copy;
}

/** Whatever it is given, a ceremony answers with a result, never a throw, and writes one valid single-line event. */
function expectOneFailureEvent(h: Harness, type: string, label: string) {
  const { lines } = h.capture.take();
  expect(lines, label).toHaveLength(1);
  expect(lines[0]!.includes('\n'), label).toBe(false);
  const parsed = parseAuditEvent(lines[0]!);
  expect(parsed.ok, `${label}: ${JSON.stringify(parsed.ok ? '' : parsed.issues)}`).toBe(true);
  if (parsed.ok) expect(parsed.event.event_type, label).toBe(type);
}

describe('ceremonies given randomly mutated responses (seeded)', () => {
  it('authentication: 300 mutations of a genuine assertion each fail as one valid audit event, never a throw', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    await h.register(auth, 'alice');
    const rand = prngInt(4242);
    for (let i = 0; i < 300; i++) {
      const genuine = await h.signIn(auth, 'alice');
      h.capture.take();
      let body = mutate(genuine, rand);
      if (rand(3) === 0) body = mutate(body, rand);
      const label = `mutation ${i}`;
      const result = await h.hooks.verifyAuthentication(h.ctx, body);
      // A mutation can leave the assertion intact (an unknown field, say): then it verifies.
      if (result.verified) {
        onlyEvent(h.capture);
        continue;
      }
      expect(result.failure.code, label).toMatch(/^WEBAUTHN_/);
      expectOneFailureEvent(h, 'WEBAUTHN_AUTH_FAILURE', label);
    }
  });

  it('registration: 300 mutations of a genuine attestation each fail as one valid audit event, never a throw', async () => {
    h = harness();
    const rand = prngInt(2424);
    for (let i = 0; i < 300; i++) {
      const auth = new SoftAuthenticator();
      const options = await h.hooks.registrationOptions({ username: `user-${i}` });
      const genuine = auth.register(ORIGIN, options);
      let body = mutate(genuine, rand);
      if (rand(3) === 0) body = mutate(body, rand);
      const label = `mutation ${i}`;
      const result = await h.hooks.verifyRegistration(h.ctx, body);
      if (result.verified) {
        onlyEvent(h.capture);
        continue;
      }
      expect(result.failure.code, label).toMatch(/^WEBAUTHN_/);
      expectOneFailureEvent(h, 'WEBAUTHN_REG_FAILURE', label);
    }
  });
});
