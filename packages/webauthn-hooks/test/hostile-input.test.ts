import { afterEach, describe, expect, it } from 'vitest';
import type { AuthenticatorTransport } from '@simplewebauthn/server';
import { MemoryCredentialStore, type CredentialStore } from '../src/index.js';
import { SoftAuthenticator } from '../src/testing/index.js';
import { harness, onlyEvent, ORIGIN, type Harness } from './support/harness.js';
import { rewriteClientData } from '../src/testing/index.js';

let h: Harness;
afterEach(async () => {
  await h?.capture.close();
});

const HOSTILE_ORIGIN = 'http://evil.example\n{"event_type":"WEBAUTHN_AUTH_SUCCESS"}\u001b[31m\u2028' + 'x'.repeat(5000) + '\ud800';

describe('attacker-controlled input reaches the log bounded and sanitised, as one event', () => {
  it('garbage bodies are malformed_response failures (registration and authentication)', async () => {
    h = harness();
    for (const body of [undefined, null, 'text', [], {}, { id: 'a', rawId: 'b', type: 'public-key', response: {} }, { id: 'x\ny', rawId: 'x\ny' }]) {
      const reg = await h.hooks.verifyRegistration(h.ctx, body);
      expect(reg).toMatchObject({ verified: false, failure: { stage: 'malformed_response', code: 'WEBAUTHN_MALFORMED_RESPONSE' } });
      expect(onlyEvent(h.capture).event_type).toBe('WEBAUTHN_REG_FAILURE');
      const auth = await h.hooks.verifyAuthentication(h.ctx, body);
      expect(auth).toMatchObject({ verified: false, failure: { stage: 'malformed_response' } });
      const event = onlyEvent(h.capture);
      expect(event.event_type).toBe('WEBAUTHN_AUTH_FAILURE');
      expect(JSON.stringify(event)).not.toContain('x\ny');
    }
  });

  it('an origin with newlines, ANSI escapes, a forged JSON line, 5000 characters and a lone surrogate stays one safe line', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    await h.register(auth, 'alice');
    const response = rewriteClientData(await h.signIn(auth, 'alice'), { origin: HOSTILE_ORIGIN });
    const result = await h.hooks.verifyAuthentication(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'origin' } });
    const { events, lines } = h.capture.take();
    expect(events).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
    const origin = (events[0] as { webauthn: { origin: string } }).webauthn.origin;
    expect(origin.length).toBeLessThanOrEqual(512);
    expect(origin.startsWith('http://evil.example{"event_type"')).toBe(true);
    expect(events[0]!.error?.message).toBe('Unexpected authentication response origin');
  });

  it('client-sent transports that are not an array are stored as none: the registration completes with its one event, never a throw after it', async () => {
    h = harness();
    for (const [i, transports] of (['usb', { 0: 'usb' }, 42, null] as unknown[]).entries()) {
      const auth = new SoftAuthenticator();
      const options = await h.hooks.registrationOptions({ username: `user-${i}` });
      const response = { ...auth.register(ORIGIN, options) };
      response.response = { ...response.response, transports: transports as never };
      const result = await h.hooks.verifyRegistration(h.ctx, response);
      expect(result).toMatchObject({ verified: true });
      expect(onlyEvent(h.capture).event_type).toBe('WEBAUTHN_REG_SUCCESS');
      expect(await h.hooks.options.credentials.findById(response.id)).toMatchObject({ transports: undefined });
    }
  });

  it('client-sent transports repeated 40 000 times are stored and sent back once each, not as a 240 KB allowCredentials entry every sign-in options request for that name (found by a probe)', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    const options = await h.hooks.registrationOptions({ username: 'alice' });
    const response = { ...auth.register(ORIGIN, options) };
    response.response = { ...response.response, transports: [...Array<string>(40_000).fill('usb'), 'internal', 'usb'] as never };
    expect(await h.hooks.verifyRegistration(h.ctx, response)).toMatchObject({ verified: true });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_REG_SUCCESS', webauthn: { transports: ['usb', 'internal'] } });
    expect((await h.hooks.options.credentials.findById(response.id))?.transports).toEqual(['usb', 'internal']);
    const signIn = await h.hooks.authenticationOptions({ username: 'alice' });
    expect(signIn.allowCredentials).toEqual([{ id: response.id, type: 'public-key', transports: ['usb', 'internal'] }]);
  });

  /** A memory store whose listByUser gives every credential these stored transports: a row as an earlier version or another store left it. */
  function listingTransports(transports: AuthenticatorTransport[]): CredentialStore {
    const store = new MemoryCredentialStore();
    return {
      findById: (id) => store.findById(id),
      add: (c) => store.add(c),
      updateCounter: (id, counter) => store.updateCounter(id, counter),
      listByUser: (userId) => store.listByUser(userId).map((c) => ({ ...c, transports })),
    };
  }

  it('transports stored repeated, by a version before they were stored once each, are sent back once each: every sign-in options request for that name answered the whole list (found by a review)', async () => {
    // The row as the earlier version stored it: "usb" 40 000 times, then "internal".
    h = harness({ credentialStore: listingTransports([...Array<'usb'>(40_000).fill('usb'), 'internal', 'usb']) });
    const { credentialId } = await h.register(new SoftAuthenticator(), 'alice');
    const signIn = await h.hooks.authenticationOptions({ username: 'alice' });
    expect(signIn.allowCredentials).toEqual([{ id: credentialId, type: 'public-key', transports: ['usb', 'internal'] }]);
  });

  it('stored transports that are no array (a JSON column read back as text) are left out of the sign-in options, not spread into letters (found by a review)', async () => {
    h = harness({ credentialStore: listingTransports('["usb"]' as never) });
    const { credentialId } = await h.register(new SoftAuthenticator(), 'alice');
    const signIn = await h.hooks.authenticationOptions({ username: 'alice' });
    expect(signIn.allowCredentials).toEqual([{ id: credentialId, type: 'public-key' }]);
  });

  it('an id that is an array (String(["abc"]) is "abc") is a malformed response, logged without a credential id', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    await h.register(auth, 'alice');
    const genuine = await h.signIn(auth, 'alice');
    const result = await h.hooks.verifyAuthentication(h.ctx, { ...genuine, id: [genuine.id], rawId: [genuine.rawId] });
    expect(result).toMatchObject({ verified: false, failure: { stage: 'malformed_response' } });
    expect((onlyEvent(h.capture) as { webauthn?: object }).webauthn).not.toHaveProperty('credential_id');
  });

  it('an echoed challenge never reaches the error message', async () => {
    h = harness();
    const auth = new SoftAuthenticator();
    await h.register(auth, 'alice');
    const options = await h.hooks.authenticationOptions({ username: 'alice' });
    const response = auth.signIn('http://localhost:3000', options);
    // Valid challenge for the store, then a wrong type: the library's message would echo the type.
    const typed = rewriteClientData(response, { type: 'webauthn.get"\nSECRET' });
    await h.hooks.verifyAuthentication(h.ctx, typed);
    const { lines } = h.capture.take();
    expect(lines[0]).not.toContain('SECRET');
    expect(lines[0]).not.toContain(options.challenge);
  });

  it('a hostile User-Agent and a huge one are cleaned, cut to 1024 and flagged', async () => {
    h = harness();
    const ctx = h.hooks.requestContext({ peer: '::ffff:198.51.100.4', headers: { 'user-agent': `A\r\nB\u001b[0m${'u'.repeat(3000)}` } });
    await h.hooks.verifyAuthentication(ctx, {});
    const event = onlyEvent(h.capture, [], '198.51.100.4');
    expect(event.user_agent).toMatch(/^AB\[0mu+$/);
    expect(event.user_agent!.length).toBe(1024);
    expect(event.user_agent_truncated).toBe(true);
    expect(event.client_ip).toBe('198.51.100.4');
  });

  it('a credential id of 4k+1 characters (no bytes encode to it, RFC 4648 §5) is not logged: the event stays a ceremony event, not a schema violation', async () => {
    h = harness();
    for (const id of ['A', 'AAAAA', 'A'.repeat(1361)]) {
      const body = { id, rawId: id, type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } };
      await h.hooks.verifyAuthentication(h.ctx, body);
      const auth = onlyEvent(h.capture);
      expect([id.length, auth.event_type, (auth as { webauthn?: { credential_id?: string } }).webauthn?.credential_id]).toEqual([id.length, 'WEBAUTHN_AUTH_FAILURE', undefined]);
      await h.hooks.verifyRegistration(h.ctx, { ...body, response: { clientDataJSON: 'e30', attestationObject: 'AA' } });
      const reg = onlyEvent(h.capture);
      expect([id.length, reg.event_type, (reg as { webauthn?: { credential_id?: string } }).webauthn?.credential_id]).toEqual([id.length, 'WEBAUTHN_REG_FAILURE', undefined]);
    }
  });

  it('an over-long credential id is not logged (WebAuthn §7.1: at most 1023 bytes)', async () => {
    h = harness();
    const id = 'A'.repeat(2000);
    await h.hooks.verifyAuthentication(h.ctx, { id, rawId: id, type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } });
    const event = onlyEvent(h.capture);
    expect((event as { webauthn: { credential_id?: string } }).webauthn.credential_id).toBeUndefined();
  });
});
