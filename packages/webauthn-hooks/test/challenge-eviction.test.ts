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

describe.each(ADAPTERS)('%s adapter: a challenge pushed out by the per-client quota', (_name, start) => {
  let server: RunningServer | undefined;
  let capture: AuditCapture;
  afterEach(async () => {
    await server?.close();
    await capture?.close();
  });

  it('is audited as evicted, attributed to its user, never as "not issued by this server" (found by a probe)', async () => {
    capture = captureAudit();
    // No trusted proxy: every request is 127.0.0.1, as behind a proxy missing from trustedProxies.
    const s = (server = await start({ audit: capture.audit, rpName: 'Eviction Test', rpID: RP_ID, origin: ORIGIN }));
    const alice = new SoftAuthenticator();
    const ro = await post(`${s.base}/registration/options`, { username: 'alice' });
    const reg = await post(`${s.base}/registration/verify`, alice.register(ORIGIN, ro.body));
    capture.take();
    const ao = await post(`${s.base}/authentication/options`, { username: 'alice' });
    const assertion = alice.signIn(ORIGIN, ao.body);
    // Another user behind the same address asks for options 32 times (MemoryChallengeStore's default quota).
    for (let i = 0; i < 32; i++) expect((await post(`${s.base}/authentication/options`, {})).status).toBe(200);
    expect(await post(`${s.base}/authentication/verify`, assertion)).toEqual({ status: 401, body: { verified: false, error: 'WEBAUTHN_CHALLENGE_EXPIRED' } });
    const { events } = capture.take();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event_type: 'WEBAUTHN_AUTH_FAILURE',
      user_id: reg.body.user.id,
      error: { code: 'WEBAUTHN_CHALLENGE_EXPIRED', message: "challenge was issued but evicted by the store's bounds before it was used" },
      webauthn: { failure_stage: 'challenge_expired' },
    });
  });
});

describe.each(ADAPTERS)('%s adapter: one IPv6 host rotating its addresses', (_name, start) => {
  let server: RunningServer | undefined;
  let capture: AuditCapture;
  afterEach(async () => {
    await server?.close();
    await capture?.close();
  });

  it('through a trusted proxy, cannot push out another user\'s pending sign-in with a new address of its /64 per request (found by a probe)', async () => {
    capture = captureAudit();
    // A small store so that filling it takes few requests; the bound is the same at 10 000.
    const s = (server = await start({
      audit: capture.audit,
      rpName: 'Eviction Test',
      rpID: RP_ID,
      origin: ORIGIN,
      trustedProxies: ['loopback'],
      challengeStore: new MemoryChallengeStore({ maxEntries: 100 }),
    }));
    const victim = { 'x-forwarded-for': '198.51.100.23' };
    const alice = new SoftAuthenticator();
    const ro = await post(`${s.base}/registration/options`, { username: 'alice' }, victim);
    expect((await post(`${s.base}/registration/verify`, alice.register(ORIGIN, ro.body), victim)).status).toBe(200);
    const assertion = alice.signIn(ORIGIN, (await post(`${s.base}/authentication/options`, { username: 'alice' }, victim)).body);
    for (let i = 1; i <= 100; i++) {
      expect((await post(`${s.base}/authentication/options`, {}, { 'x-forwarded-for': `2001:db8:bad:1::${i.toString(16)}` })).status).toBe(200);
    }
    capture.take();
    expect((await post(`${s.base}/authentication/verify`, assertion, victim)).body).toMatchObject({ verified: true });
    expect(capture.take().events[0]).toMatchObject({ event_type: 'WEBAUTHN_AUTH_SUCCESS', client_ip: '198.51.100.23' });
  });
});
