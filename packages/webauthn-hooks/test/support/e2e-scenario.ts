import type { AuditEvent } from '@audit-trail/schema';
import { expect } from 'vitest';
import type { AuditCapture } from './audit-capture.js';
import { clickAndWait, type PasskeyBrowser } from './browser.js';

const LOOPBACK = ['127.0.0.1', '::1'];

/**
 * What the browser posted to the verify routes: every response value
 * (clientDataJSON, attestationObject, authenticatorData, signature, public
 * key) and the challenge inside clientDataJSON. None may reach a line.
 */
function secretsPosted(bodies: readonly string[]): string[] {
  const out: string[] = [];
  for (const body of bodies) {
    const r = JSON.parse(body) as { response: Record<string, unknown> };
    for (const [key, value] of Object.entries(r.response)) {
      if (typeof value === 'string' && key !== 'userHandle' && value.length >= 16) out.push(value);
    }
    const cd = JSON.parse(Buffer.from(r.response.clientDataJSON as string, 'base64url').toString()) as { challenge: string };
    out.push(cd.challenge);
  }
  return out;
}

function expectCleanLines(lines: readonly string[], posted: string[]): void {
  const secrets = secretsPosted(posted.splice(0));
  expect(secrets.length).toBeGreaterThan(2);
  for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
}

/**
 * The browser scenario both example apps must pass: register a passkey,
 * sign in with it, then sign in with a bogus signature
 * (`WebAuthn.setResponseOverrideBits`), asserting the audit line of each.
 */
export async function runPasskeyScenario(b: PasskeyBrowser, origin: string, capture: AuditCapture): Promise<AuditEvent[]> {
  const posted: string[] = [];
  b.page.on('request', (req) => {
    if (req.method() === 'POST' && /\/verify$/.test(req.url())) posted.push(req.postData() ?? '');
  });
  await b.page.goto(origin);
  await b.page.fill('#username', 'alice');

  expect(await clickAndWait(b.page, '#register')).toBe('registered');
  let taken = capture.take();
  expect(taken.events).toHaveLength(1);
  const reg = taken.events[0]!;
  expect(reg).toMatchObject({
    event_type: 'WEBAUTHN_REG_SUCCESS',
    client_ip_source: 'socket',
    webauthn: { origin, rp_id: 'localhost', attestation_fmt: 'none', user_verified: true },
  });
  expect(LOOPBACK).toContain(reg.client_ip);
  expect(reg.peer_ip).toBe(reg.client_ip);
  expect(reg.user_agent).toMatch(/Chrome/);
  const { credentials } = (await b.cdp.send('WebAuthn.getCredentials', { authenticatorId: b.authenticatorId })) as {
    credentials: Array<{ credentialId: string }>;
  };
  expect(credentials).toHaveLength(1);
  const credentialId = (reg as { webauthn: { credential_id: string } }).webauthn.credential_id;
  // CDP reports the id in base64 (with padding/standard alphabet); compare the bytes.
  expect(Buffer.from(credentials[0]!.credentialId, 'base64').equals(Buffer.from(credentialId, 'base64url'))).toBe(true);
  expectCleanLines(taken.lines, posted);

  expect(await clickAndWait(b.page, '#signin')).toBe('signed-in');
  taken = capture.take();
  expect(taken.events).toHaveLength(1);
  expect(taken.events[0]).toMatchObject({
    event_type: 'WEBAUTHN_AUTH_SUCCESS',
    user_id: reg.user_id,
    webauthn: { credential_id: credentialId, signature_valid: true, user_verified: true, origin },
  });
  expectCleanLines(taken.lines, posted);

  await b.cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId: b.authenticatorId, isBogusSignature: true });
  expect(await clickAndWait(b.page, '#signin')).toBe('failed:WEBAUTHN_SIGNATURE_INVALID');
  taken = capture.take();
  expect(taken.events).toHaveLength(1);
  expect(taken.events[0]).toMatchObject({
    event_type: 'WEBAUTHN_AUTH_FAILURE',
    outcome: 'failure',
    user_id: reg.user_id,
    error: { code: 'WEBAUTHN_SIGNATURE_INVALID' },
    webauthn: { failure_stage: 'signature', signature_valid: false, credential_id: credentialId },
  });
  expectCleanLines(taken.lines, posted);
  return capture.ceremonyEvents();
}
