import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureAudit, type AuditCapture } from '../../../packages/webauthn-hooks/test/support/audit-capture.js';
import { launchPasskeyBrowser, type PasskeyBrowser } from '../../../packages/webauthn-hooks/test/support/browser.js';
import { runPasskeyScenario } from '../../../packages/webauthn-hooks/test/support/e2e-scenario.js';
import { startExample, type RunningExample } from '../src/start.js';

describe('Fastify example in Debian chromium with a CDP virtual authenticator', () => {
  let browser: PasskeyBrowser | undefined;
  let capture: AuditCapture;
  let running: RunningExample;

  beforeAll(async () => {
    capture = captureAudit({ signed: true });
    running = await startExample({ audit: capture.audit, port: 0 });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await capture?.close();
  });

  it('registers, signs in, and audits a bogus signature as WEBAUTHN_AUTH_FAILURE', async () => {
    // Launched here, not in beforeAll: a missing chromium must show as a failed test, not a skipped one.
    browser = await launchPasskeyBrowser();
    expect(running.origin).toBe(`http://localhost:${running.port}`);
    const events = await runPasskeyScenario(browser, running.origin, capture);
    expect(events.map((e) => e.event_type)).toEqual(['WEBAUTHN_REG_SUCCESS', 'WEBAUTHN_AUTH_SUCCESS', 'WEBAUTHN_AUTH_FAILURE']);
    // Fastify adds its request id as correlation.request_id.
    expect(events.every((e) => typeof e.correlation?.request_id === 'string')).toBe(true);
  });
});
