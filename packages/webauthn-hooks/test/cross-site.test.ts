import { afterEach, describe, expect, it } from 'vitest';
import { MemoryChallengeStore } from '../src/index.js';
import { SoftAuthenticator } from '../src/testing/index.js';
import { captureAudit, type AuditCapture } from './support/audit-capture.js';
import { ORIGIN, RP_ID } from './support/harness.js';
import { post, startExpress, startFastify, type RunningServer } from './support/servers.js';

const ADAPTERS = [
  ['express', startExpress],
  ['fastify', startFastify],
] as const;

/**
 * The body a cross-site `<form enctype="text/plain">` posts when its one
 * input is named `{"...,"pad":"` and valued `"}`: `name=value` is the JSON
 * of `assertion` with one more member. No CORS preflight is needed for it.
 */
function asTextPlainForm(assertion: unknown): string {
  const json = JSON.stringify(assertion);
  return `${json.slice(0, -1)},"pad":"="}\r\n`;
}

describe.each(ADAPTERS)('%s adapter: login CSRF (requests a page of another site can make a browser send)', (_name, start) => {
  let server: RunningServer | undefined;
  let capture: AuditCapture;
  let challenges: MemoryChallengeStore;
  afterEach(async () => {
    await server?.close();
    await capture?.close();
  });

  async function boot() {
    capture = captureAudit();
    challenges = new MemoryChallengeStore();
    server = await start({ audit: capture.audit, rpName: 'CSRF Test', rpID: RP_ID, origin: ORIGIN, challengeStore: challenges });
    return server;
  }

  /** The attacker registers an account of his own and signs an assertion on a challenge he fetched himself. */
  async function attackerAssertion(s: RunningServer) {
    const auth = new SoftAuthenticator();
    const ro = await post(`${s.base}/registration/options`, { username: 'mallory' });
    const reg = await post(`${s.base}/registration/verify`, auth.register(ORIGIN, ro.body));
    expect(reg.status).toBe(200);
    const ao = await post(`${s.base}/authentication/options`, {});
    capture.take();
    s.verified.length = 0;
    return auth.signIn(ORIGIN, ao.body);
  }

  it('a cross-site text/plain form carrying the attacker\'s valid assertion is refused (403), audited as a failure with his credential id, and starts no session (found by a probe)', async () => {
    const s = await boot();
    const assertion = await attackerAssertion(s);
    const res = await post(`${s.base}/authentication/verify`, asTextPlainForm(assertion), {
      'content-type': 'text/plain',
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    });
    expect(res).toEqual({ status: 403, body: { verified: false, error: 'WEBAUTHN_CROSS_SITE_REQUEST' } });
    expect(s.verified).toEqual([]);
    const { events } = capture.take();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      outcome: 'failure',
      error: { code: 'WEBAUTHN_CROSS_SITE_REQUEST', message: 'request refused: Origin header is not a configured origin' },
      webauthn: { failure_stage: 'origin', credential_id: assertion.id },
    });
    expect(JSON.stringify(events[0])).not.toContain('evil.example');
  });

  it('each check on its own: a non-JSON type is 415, a foreign or null Origin and Sec-Fetch-Site cross-site are 403, all audited; the same assertion then passes from the page\'s own origin', async () => {
    const s = await boot();
    const assertion = await attackerAssertion(s);
    const verify = (body: unknown, headers: Record<string, string>) => post(`${s.base}/authentication/verify`, body, headers);
    const refusals: Array<[Record<string, string>, number, string]> = [
      [{ 'content-type': 'text/plain' }, 415, 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 415, 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE'],
      [{ 'content-type': 'application/json; charset=utf-8; x=1' }, 415, 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE'],
      [{ 'content-type': 'application/jsonp' }, 415, 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE'],
      [{ origin: 'https://evil.example' }, 403, 'WEBAUTHN_CROSS_SITE_REQUEST'],
      [{ origin: 'null' }, 403, 'WEBAUTHN_CROSS_SITE_REQUEST'],
      [{ origin: `${ORIGIN}.evil.example` }, 403, 'WEBAUTHN_CROSS_SITE_REQUEST'],
      [{ 'sec-fetch-site': 'cross-site' }, 403, 'WEBAUTHN_CROSS_SITE_REQUEST'],
      [{ origin: 'https://evil.example', 'sec-fetch-site': 'same-site' }, 403, 'WEBAUTHN_CROSS_SITE_REQUEST'],
    ];
    for (const [headers, status, error] of refusals) {
      expect(await verify(assertion, headers)).toEqual({ status, body: { verified: false, error } });
    }
    const events = capture.take().events;
    expect(events.map((e) => [e.event_type, e.error?.code, 'webauthn' in e ? e.webauthn.failure_stage : undefined])).toEqual(
      refusals.map(([, status, code]) => ['WEBAUTHN_AUTH_FAILURE', code, status === 415 ? 'malformed_response' : 'origin']),
    );
    // None of them took the challenge: the same assertion, sent as the example page sends it, signs in.
    const ok = await verify(assertion, { 'content-type': 'application/json; charset=UTF-8', origin: ORIGIN, 'sec-fetch-site': 'same-origin' });
    expect(ok).toMatchObject({ status: 200, body: { verified: true, user: { name: 'mallory' } } });
    expect(s.verified.map((v) => v.user.name)).toEqual(['mallory']);
  });

  it('registration verify is guarded the same way', async () => {
    const s = await boot();
    const ro = await post(`${s.base}/registration/options`, { username: 'mallory' });
    const response = new SoftAuthenticator().register(ORIGIN, ro.body);
    expect(await post(`${s.base}/registration/verify`, asTextPlainForm(response), { 'content-type': 'text/plain', origin: 'https://evil.example' })).toEqual({
      status: 403,
      body: { verified: false, error: 'WEBAUTHN_CROSS_SITE_REQUEST' },
    });
    expect(capture.take().events).toMatchObject([{ event_type: 'WEBAUTHN_REG_FAILURE', webauthn: { failure_stage: 'origin' } }]);
    expect(await s.hooks.options.users.findByName('mallory')).toBeUndefined();
  });

  it('an options request that is not JSON, or comes from another site, is refused without a challenge being issued or an event written', async () => {
    const s = await boot();
    for (const path of ['/registration/options', '/authentication/options']) {
      expect(await post(`${s.base}${path}`, '{"username":"alice"}', { 'content-type': 'text/plain' })).toMatchObject({
        status: 415,
        body: { error: 'WEBAUTHN_UNSUPPORTED_MEDIA_TYPE' },
      });
      expect(await post(`${s.base}${path}`, { username: 'alice' }, { origin: 'https://evil.example' })).toMatchObject({
        status: 403,
        body: { error: 'WEBAUTHN_CROSS_SITE_REQUEST' },
      });
      const res = await fetch(`${s.base}${path}`, { method: 'POST' });
      expect(res.status).toBe(415);
    }
    expect(challenges.size).toBe(0);
    expect(capture.take().events).toEqual([]);
    expect((await post(`${s.base}/authentication/options`, {}, { origin: ORIGIN, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    // The app's own page calling these routes on another site of its own: its Origin is configured, so Sec-Fetch-Site does not refuse it.
    expect((await post(`${s.base}/authentication/options`, {}, { origin: ORIGIN, 'sec-fetch-site': 'cross-site' })).status).toBe(200);
    expect(challenges.size).toBe(2);
  });
});
