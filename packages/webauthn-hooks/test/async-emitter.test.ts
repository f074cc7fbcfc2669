import type { AuditEventDraft } from '@audit-trail/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleRoute, MemoryUserStore } from '../src/index.js';
import { SoftAuthenticator } from '../src/testing/index.js';
import { CLIENT_IP, harness, ORIGIN, type Harness } from './support/harness.js';

/**
 * An emitter that writes asynchronously, as one wrapping a database insert
 * or a queue producer would (`emit: (draft) => pool.query(...)`): it fits
 * the AuditEmitter type, whose `emit` may return anything.
 */
function asyncEmitter(fails: boolean) {
  const written: AuditEventDraft[] = [];
  let calls = 0;
  return {
    written,
    calls: () => calls,
    audit: {
      emit: async (draft: AuditEventDraft) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (fails) throw Object.assign(new Error('insert failed'), { code: 'ECONNRESET' });
        written.push(draft);
      },
    },
  };
}

let h: Harness;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  // Rejections of emits nobody awaited surface a few ticks later.
  await new Promise((resolve) => setTimeout(resolve, 30));
  process.off('unhandledRejection', onUnhandled);
  await h?.capture.close();
});

describe('an audit emitter whose emit() returns a promise (found by a probe)', () => {
  it('that rejects makes a registration fail closed: the error reaches the caller, nothing is stored, no unhandled rejection', async () => {
    const emitter = asyncEmitter(true);
    const users = new MemoryUserStore();
    h = harness({ audit: emitter.audit, userStore: users });
    const options = await h.hooks.registrationOptions({ username: 'judy' });
    const response = new SoftAuthenticator().register(ORIGIN, options);
    // Before: verified, the account stored unaudited, and the rejection left unhandled (which ends a Node process).
    await expect(h.hooks.verifyRegistration(h.ctx, response)).rejects.toThrow('insert failed');
    expect(emitter.calls()).toBe(1);
    expect(users.findByName('judy')).toBeUndefined();
    expect(await h.hooks.options.credentials.findById(response.id)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(unhandled).toEqual([]);
  });

  it('that rejects makes a sign-in fail closed: no unaudited sign-in', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    const options = await h.hooks.registrationOptions({ username: 'alice' });
    expect(await h.hooks.verifyRegistration(h.ctx, auth.register(ORIGIN, options))).toMatchObject({ verified: true });
    const emitter = asyncEmitter(true);
    const signIn = harness({ audit: emitter.audit, userStore: h.hooks.options.users, credentialStore: h.hooks.options.credentials });
    const assertion = await signIn.signIn(auth, 'alice');
    await expect(signIn.hooks.verifyAuthentication(signIn.ctx, assertion)).rejects.toThrow('insert failed');
    expect(emitter.calls()).toBe(1);
    await signIn.capture.close();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(unhandled).toEqual([]);
  });

  it('that resolves later has written the event by the time the verification returns', async () => {
    const emitter = asyncEmitter(false);
    h = harness({ audit: emitter.audit });
    const auth = new SoftAuthenticator();
    const options = await h.hooks.registrationOptions({ username: 'bob' });
    await h.hooks.verifyRegistration(h.ctx, auth.register(ORIGIN, options));
    expect(emitter.written.map((d) => d.event_type)).toEqual(['WEBAUTHN_REG_SUCCESS']);
    await h.hooks.verifyAuthentication(h.ctx, {});
    expect(emitter.written.map((d) => d.event_type)).toEqual(['WEBAUTHN_REG_SUCCESS', 'WEBAUTHN_AUTH_FAILURE']);
  });

  it('that rejects on a refused request (cross-site) makes the route throw, for the adapter to answer 500, not leave the rejection unhandled', async () => {
    const emitter = asyncEmitter(true);
    h = harness({ audit: emitter.audit });
    const req = { peer: CLIENT_IP, headers: { 'content-type': 'application/json', origin: 'https://evil.example' } };
    await expect(handleRoute(h.hooks, 'authenticationVerify', req, {})).rejects.toThrow('insert failed');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(unhandled).toEqual([]);
  });
});
