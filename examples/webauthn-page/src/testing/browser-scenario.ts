import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEvent } from '@audit-trail/schema';
import { SoftAuthenticator } from '@audit-trail/webauthn-hooks/testing';
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
 * Then a page of another site posts an attacker's assertion as a form
 * (login CSRF): refused and audited, never a sign-in.
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

    it('a page of another site auto-submitting a text/plain form with an attacker\'s valid assertion signs no one in (login CSRF, found by a probe)', async () => {
      browser ??= await launchPasskeyBrowser();
      capture.take();
      // The attacker, from his own machine: registers and signs an assertion on a challenge he fetched.
      // JSON as the server sends it; the options are handed to the authenticator as they came.
      const postJson = async (path: string, body: unknown) => {
        const res = await fetch(`http://127.0.0.1:${running.port}/webauthn${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(res.status).toBe(200);
        return (await res.json()) as never;
      };
      const mallory = new SoftAuthenticator();
      await postJson('/registration/verify', mallory.register(running.origin, await postJson('/registration/options', { username: 'mallory' })));
      const assertion = mallory.signIn(running.origin, await postJson('/authentication/options', {}));
      capture.take();
      // His page on another site (127.0.0.1 is not localhost's site): one input whose name=value is the assertion's JSON.
      const json = JSON.stringify(assertion);
      const evil = createServer((_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(`<!doctype html><body><script>
          const f = document.createElement('form');
          f.method = 'POST'; f.enctype = 'text/plain'; f.action = ${JSON.stringify(`${running.origin}/webauthn/authentication/verify`)};
          const i = document.createElement('input');
          i.name = ${JSON.stringify(`${json.slice(0, -1)},"pad":"`)}; i.value = '"}';
          f.appendChild(i); document.body.appendChild(f); f.submit();
        </script></body>`);
      });
      await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
      try {
        await browser.page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
        await browser.page.waitForURL(/\/webauthn\/authentication\/verify$/);
        expect(JSON.parse((await browser.page.textContent('body')) ?? '')).toEqual({ verified: false, error: 'WEBAUTHN_CROSS_SITE_REQUEST' });
      } finally {
        evil.close();
      }
      const { events } = capture.take();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        event_type: 'WEBAUTHN_AUTH_FAILURE',
        error: { code: 'WEBAUTHN_CROSS_SITE_REQUEST' },
        webauthn: { failure_stage: 'origin', credential_id: assertion.id },
      });
    });
  });
}
