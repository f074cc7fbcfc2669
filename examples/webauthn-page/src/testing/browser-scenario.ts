import type { AuditEvent } from '@audit-trail/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureAudit, type AuditCapture } from '../../../../packages/webauthn-hooks/test/support/audit-capture.js';
import { launchPasskeyBrowser, type PasskeyBrowser } from '../../../../packages/webauthn-hooks/test/support/browser.js';
import { runPasskeyScenario } from '../../../../packages/webauthn-hooks/test/support/e2e-scenario.js';
import type { RunningExample } from '../start.js';
import type { ExampleUnderTest } from './service-scenarios.js';

/** A browser run of one example, with what only that framework adds to the lines. */
export interface BrowserExampleUnderTest extends ExampleUnderTest {
  /** Extra assertions on the three ceremony events (e.g. Fastify's request id). */
  checkEvents?: (events: AuditEvent[]) => void;
}

/**
 * The real-browser scenario every example must pass, registered as a vitest
 * suite against the example's own app: Debian's chromium with a CDP virtual
 * authenticator registers a passkey, signs in, then signs in with a bogus
 * signature; the signed audit lines must be REG_SUCCESS, AUTH_SUCCESS and
 * AUTH_FAILURE (stage `signature`), with no secret the browser posted.
 */
export function describeBrowserScenario(example: BrowserExampleUnderTest): void {
  describe(`${example.framework} example in Debian chromium with a CDP virtual authenticator`, () => {
    let browser: PasskeyBrowser | undefined;
    let capture: AuditCapture;
    let running: RunningExample;

    beforeAll(async () => {
      capture = captureAudit({ signed: true });
      running = await example.start({ audit: capture.audit, port: 0 });
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
      example.checkEvents?.(events);
    });
  });
}
