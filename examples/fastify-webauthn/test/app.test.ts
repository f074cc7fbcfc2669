import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureAudit, type AuditCapture } from '../../../packages/webauthn-hooks/test/support/audit-capture.js';
import { startExample, type RunningExample } from '../src/start.js';

describe('Fastify example service (no browser)', () => {
  let capture: AuditCapture;
  let running: RunningExample;
  beforeAll(async () => {
    capture = captureAudit();
    running = await startExample({ audit: capture.audit, port: 0, trustedProxies: ['loopback'] });
  });
  afterAll(async () => {
    await running?.close();
    await capture?.close();
  });

  it('serves the page, its script and the @simplewebauthn/browser bundle with a strict CSP', async () => {
    const page = await fetch(`${running.origin.replace('localhost', '127.0.0.1')}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'; frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('/vendor/simplewebauthn-browser.umd.min.js');
    const bundle = await fetch(`http://127.0.0.1:${running.port}/vendor/simplewebauthn-browser.umd.min.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toContain('SimpleWebAuthnBrowser');
    expect((await fetch(`http://127.0.0.1:${running.port}/app.js`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${running.port}/nope.js`)).status).toBe(404);
  });

  it('answers the WebAuthn routes for its own origin and audits through the trusted proxy setting', async () => {
    const base = `http://127.0.0.1:${running.port}/webauthn`;
    const options = await fetch(`${base}/registration/options`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice' }),
    });
    expect(options.status).toBe(200);
    expect(((await options.json()) as { rp: { id: string } }).rp.id).toBe('localhost');
    const verify = await fetch(`${base}/authentication/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.20' },
      body: '{}',
    });
    expect(verify.status).toBe(401);
    const [event] = capture.ceremonyEvents();
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      client_ip: '198.51.100.20',
      client_ip_source: 'x-forwarded-for',
      peer_ip: '127.0.0.1',
      producer: { service: 'webauthn-hooks-test' },
    });
  });
});
