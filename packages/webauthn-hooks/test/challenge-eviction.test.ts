import { afterEach, describe, expect, it } from 'vitest';
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
