import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureAudit, type AuditCapture } from '../../../../packages/webauthn-hooks/test/support/audit-capture.js';
import type { RunningExample, StartExample } from '../start.js';

/** An example app under test: its name in test titles and its own `startExample`. */
export interface ExampleUnderTest {
  framework: string;
  start: StartExample;
}

async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/**
 * The HTTP scenarios every example must pass without a browser, registered
 * as a vitest suite against the example's own app: the page and the
 * `@simplewebauthn/browser` bundle are served with a strict CSP, unknown
 * paths are 404, the WebAuthn routes answer for the example's origin, and
 * X-Forwarded-For is believed only from a configured trusted proxy.
 */
export function describeServiceScenarios(example: ExampleUnderTest): void {
  describe(`${example.framework} example service (no browser)`, () => {
    let capture: AuditCapture;
    let running: RunningExample;
    let trusting: RunningExample;
    beforeAll(async () => {
      capture = captureAudit();
      running = await example.start({ audit: capture.audit, port: 0 });
      trusting = await example.start({ audit: capture.audit, port: 0, trustedProxies: ['loopback'] });
    });
    afterAll(async () => {
      await running?.close();
      await trusting?.close();
      await capture?.close();
    });

    it('serves the page, its script and the @simplewebauthn/browser bundle with a strict CSP', async () => {
      expect(running.origin).toBe(`http://localhost:${running.port}`);
      const base = `http://127.0.0.1:${running.port}`;
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toBe("default-src 'self'; frame-ancestors 'none'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await page.text()).toContain('/vendor/simplewebauthn-browser.umd.min.js');
      const bundle = await fetch(`${base}/vendor/simplewebauthn-browser.umd.min.js`);
      expect(bundle.status).toBe(200);
      expect(await bundle.text()).toContain('SimpleWebAuthnBrowser');
      for (const path of ['/app.js', '/style.css']) expect((await fetch(`${base}${path}`)).status).toBe(200);
      for (const path of ['/nope.js', '/vendor/../src/config.ts', '/public/index.html']) expect((await fetch(`${base}${path}`)).status).toBe(404);
    });

    it('answers the WebAuthn routes for its own origin and RP ID', async () => {
      const options = await postJson(`http://127.0.0.1:${running.port}/webauthn/registration/options`, JSON.stringify({ username: 'alice' }));
      expect(options.status).toBe(200);
      expect(((await options.json()) as { rp: { id: string } }).rp.id).toBe('localhost');
    });

    it('ignores a client-sent X-Forwarded-For unless the peer is a trusted proxy', async () => {
      capture.take();
      const spoof = { 'x-forwarded-for': '198.51.100.20' };
      expect((await postJson(`http://127.0.0.1:${running.port}/webauthn/authentication/verify`, '{}', spoof)).status).toBe(401);
      const [untrusted, ...restUntrusted] = capture.take().events;
      expect(restUntrusted).toEqual([]);
      expect(untrusted).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', client_ip: '127.0.0.1', client_ip_source: 'socket', peer_ip: '127.0.0.1' });

      expect((await postJson(`http://127.0.0.1:${trusting.port}/webauthn/authentication/verify`, '{}', spoof)).status).toBe(401);
      const [trusted, ...restTrusted] = capture.take().events;
      expect(restTrusted).toEqual([]);
      expect(trusted).toMatchObject({
        event_type: 'WEBAUTHN_AUTH_FAILURE',
        client_ip: '198.51.100.20',
        client_ip_source: 'x-forwarded-for',
        peer_ip: '127.0.0.1',
        producer: { service: 'webauthn-hooks-test' },
      });
    });
  });
}
