import type { AuditEvent } from '@audit-trail/schema';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { expect } from 'vitest';
import { createWebAuthnHooks, type RequestContext, type WebAuthnHooks, type WebAuthnHooksOptions } from '../../src/index.js';
import { captureAudit, type AuditCapture } from './audit-capture.js';
import { SoftAuthenticator } from '../../src/testing/index.js';

export const ORIGIN = 'http://localhost:3000';
export const RP_ID = 'localhost';

/** A test clock: starts at a fixed instant and only moves when told. */
export class TestClock {
  constructor(public ms = Date.UTC(2026, 10, 22, 9, 0, 0)) {}
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Hooks wired to a real logger writing into memory, a test clock and a request context from a fixed client. */
export interface Harness {
  hooks: WebAuthnHooks;
  capture: AuditCapture;
  clock: TestClock;
  ctx: RequestContext;
  register(auth: SoftAuthenticator, username: string): Promise<{ userId: string; credentialId: string; response: RegistrationResponseJSON }>;
  signIn(auth: SoftAuthenticator, username?: string, origin?: string): Promise<AuthenticationResponseJSON>;
}

export function harness(overrides: Partial<WebAuthnHooksOptions> = {}): Harness {
  const capture = captureAudit();
  const clock = new TestClock();
  const hooks = createWebAuthnHooks({
    audit: capture.audit,
    rpName: 'Audit Trail Test',
    rpID: RP_ID,
    origin: ORIGIN,
    now: clock.now,
    ...overrides,
  });
  const ctx = hooks.requestContext({ peer: CLIENT_IP, headers: { 'user-agent': 'Mozilla/5.0 (test)' } });
  const origin = Array.isArray(overrides.origin) ? overrides.origin[0]! : (overrides.origin ?? ORIGIN);
  return {
    hooks,
    capture,
    clock,
    ctx,
    async register(auth, username) {
      const options = await hooks.registrationOptions({ username });
      const response = auth.register(origin, options);
      const result = await hooks.verifyRegistration(ctx, response);
      if (!result.verified) throw new Error(`registration failed: ${result.failure.code}`);
      capture.take();
      return { userId: result.user.id, credentialId: result.credentialId, response };
    },
    async signIn(auth, username, signOrigin = origin) {
      const options = await hooks.authenticationOptions(username === undefined ? {} : { username });
      return auth.signIn(signOrigin, options);
    },
  };
}

/** Collects every string value of a response (ids excluded): none of them may appear in an audit line. */
export function secretsOf(response: RegistrationResponseJSON | AuthenticationResponseJSON, challenge?: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(response.response)) {
    if (typeof value === 'string' && key !== 'userHandle' && value.length >= 16) out.push(value);
  }
  if (challenge) out.push(challenge);
  return out;
}

/** The client every harness request comes from. */
export const CLIENT_IP = '203.0.113.7';

/**
 * Asserts that exactly one ceremony event was written since the last take,
 * that it names the client (`client_ip` and `peer_ip`), and that none of
 * `secrets` appears in its line; returns it.
 */
export function onlyEvent(capture: AuditCapture, secrets: readonly string[] = [], clientIp: string = CLIENT_IP): AuditEvent {
  const { events, lines } = capture.take();
  expect(events.map((e) => e.event_type)).toHaveLength(1);
  expect(events[0]).toMatchObject({ client_ip: clientIp, client_ip_source: 'socket', peer_ip: clientIp });
  for (const secret of secrets) expect(lines[0]).not.toContain(secret);
  return events[0]!;
}

/** The challenge inside a response's clientDataJSON. */
export function challengeOf(response: { response: { clientDataJSON: string } }): string {
  return (JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString()) as { challenge: string }).challenge;
}
