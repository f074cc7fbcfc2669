import { generateRegistrationOptions } from '@simplewebauthn/server';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCredentialStore, MemoryUserStore, WebAuthnHooksError, type UserStore } from '../src/index.js';
import { rewriteClientData, SoftAuthenticator } from '../src/testing/index.js';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { challengeOf, harness, onlyEvent, ORIGIN, secretsOf, type Harness } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.capture.close();
});

describe('registration (WebAuthn §7.1), one audit event per verification', () => {
  it('a new passkey yields WEBAUTHN_REG_SUCCESS with the facts and no secrets', async () => {
    h = harness();
    const options = await h.hooks.registrationOptions({ username: 'alice' });
    const response = new SoftAuthenticator().register(ORIGIN, options);
    const result = await h.hooks.verifyRegistration(h.ctx, response);
    expect(result.verified).toBe(true);
    if (!result.verified) return;

    const event = onlyEvent(h.capture, secretsOf(response, options.challenge));
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_REG_SUCCESS',
      outcome: 'success',
      user_id: result.user.id,
      client_ip: '203.0.113.7',
      client_ip_source: 'socket',
      peer_ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (test)',
      webauthn: {
        credential_id: response.id,
        rp_id: 'localhost',
        origin: ORIGIN,
        attestation_fmt: 'none',
        user_verified: true,
        sign_count: 0,
        cose_alg: -7,
        transports: ['usb'],
        credential_device_type: 'multiDevice',
        credential_backed_up: true,
      },
    });
    expect(event.user_id).toBe(options.user.id);
    expect(event.user_id).not.toContain('alice');
    expect((event as { webauthn: { aaguid?: string } }).webauthn.aaguid).toMatch(/^[0-9a-f]{8}-/);
    expect(await h.hooks.options.credentials.findById(response.id)).toMatchObject({ userId: result.user.id, counter: 0 });
  });

  it('a response signed over a challenge this server never issued fails at stage "challenge"', async () => {
    h = harness();
    await h.hooks.registrationOptions({ username: 'bob' });
    const forged = await generateRegistrationOptions({ rpName: 'x', rpID: 'localhost', userName: 'bob', attestationType: 'none' });
    const response = new SoftAuthenticator().register(ORIGIN, forged);
    const result = await h.hooks.verifyRegistration(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'challenge', code: 'WEBAUTHN_CHALLENGE_MISMATCH' } });
    const event = onlyEvent(h.capture, secretsOf(response, forged.challenge));
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_REG_FAILURE',
      outcome: 'failure',
      client_ip: '203.0.113.7',
      error: { code: 'WEBAUTHN_CHALLENGE_MISMATCH' },
      webauthn: { failure_stage: 'challenge', credential_id: response.id },
    });
    expect(event.user_id).toBeUndefined();
  });

  it('a page on another origin fails at stage "origin" (thrown by SimpleWebAuthn), with the user of the challenge', async () => {
    h = harness();
    const options = await h.hooks.registrationOptions({ username: 'carol' });
    const response = new SoftAuthenticator().register('http://evil.localhost:3000', options);
    const result = await h.hooks.verifyRegistration(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'origin' } });
    const event = onlyEvent(h.capture, secretsOf(response, options.challenge));
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_REG_FAILURE',
      user_id: options.user.id,
      error: { code: 'WEBAUTHN_ORIGIN_MISMATCH', message: 'Unexpected registration response origin', type: 'Error' },
      webauthn: { failure_stage: 'origin', origin: 'http://evil.localhost:3000' },
    });
    // The message never echoes what the client sent.
    expect(JSON.stringify(event.error)).not.toContain('evil');
    expect(await h.hooks.options.users.findByName('carol')).toBeUndefined();
  });

  it('a response from a frame in another site\'s page (crossOrigin with a topOrigin) fails at stage "top_origin" and stores nothing (WebAuthn L3 §7.1 step 10; SimpleWebAuthn checks it for authentication only)', async () => {
    h = harness();
    const options = await h.hooks.registrationOptions({ username: 'erin' });
    // "none" attestation signs nothing over clientDataJSON, so the page's frame is what the client says it is.
    const framed = rewriteClientData(new SoftAuthenticator().register(ORIGIN, options) as never, { crossOrigin: true, topOrigin: 'https://evil.example' }) as unknown as RegistrationResponseJSON;
    const result = await h.hooks.verifyRegistration(h.ctx, framed);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'top_origin' } });
    const event = onlyEvent(h.capture, secretsOf(framed, options.challenge));
    expect(event).toMatchObject({
      event_type: 'WEBAUTHN_REG_FAILURE',
      user_id: options.user.id,
      error: { code: 'WEBAUTHN_TOP_ORIGIN_MISMATCH' },
      webauthn: { failure_stage: 'top_origin', origin: ORIGIN, cross_origin: true, top_origin: 'https://evil.example' },
    });
    expect(JSON.stringify(event.error)).not.toContain('evil');
    expect(await h.hooks.options.users.findByName('erin')).toBeUndefined();
    expect(await h.hooks.options.credentials.findById(framed.id)).toBeUndefined();
    // Same-origin (crossOrigin false, as browsers send it) registers, and the event says so.
    const options2 = await h.hooks.registrationOptions({ username: 'erin' });
    const plain = rewriteClientData(new SoftAuthenticator().register(ORIGIN, options2) as never, { crossOrigin: false }) as unknown as RegistrationResponseJSON;
    expect(await h.hooks.verifyRegistration(h.ctx, plain)).toMatchObject({ verified: true });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_REG_SUCCESS', webauthn: { cross_origin: false } });
  });

  it('a topOrigin without crossOrigin true also fails at stage "top_origin", as it does for authentication (WebAuthn L3 §7.1 step 10: topOrigin present, crossOrigin must be true)', async () => {
    h = harness();
    for (const [name, patch] of [
      ['frank', { crossOrigin: false, topOrigin: 'https://evil.example' }],
      ['grace', { topOrigin: 'https://evil.example' }],
      ['heidi', { crossOrigin: 'true', topOrigin: 'https://evil.example' }],
    ] as const) {
      const options = await h.hooks.registrationOptions({ username: name });
      const response = rewriteClientData(new SoftAuthenticator().register(ORIGIN, options) as never, patch) as unknown as RegistrationResponseJSON;
      expect(await h.hooks.verifyRegistration(h.ctx, response)).toMatchObject({ verified: false, failure: { stage: 'top_origin' } });
      expect(onlyEvent(h.capture, secretsOf(response, options.challenge))).toMatchObject({
        event_type: 'WEBAUTHN_REG_FAILURE',
        error: { code: 'WEBAUTHN_TOP_ORIGIN_MISMATCH' },
        webauthn: { failure_stage: 'top_origin', top_origin: 'https://evil.example' },
      });
      expect(await h.hooks.options.users.findByName(name)).toBeUndefined();
    }
  });

  it('a credential scoped to another RP ID fails at stage "rp_id"', async () => {
    h = harness({ rpID: 'login.localhost', origin: 'http://login.localhost:3000' });
    const options = await h.hooks.registrationOptions({ username: 'dave' });
    // The page asks the authenticator for rp.id "localhost" (allowed for this origin) instead of ours.
    const response = new SoftAuthenticator().register('http://login.localhost:3000', { ...options, rp: { ...options.rp, id: 'localhost' } });
    const result = await h.hooks.verifyRegistration(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'rp_id', code: 'WEBAUTHN_RP_ID_MISMATCH' } });
    const event = onlyEvent(h.capture, secretsOf(response, options.challenge));
    expect(event).toMatchObject({ event_type: 'WEBAUTHN_REG_FAILURE', user_id: options.user.id, error: { type: 'UnexpectedRPIDHash' } });
  });

  it('an authenticator that cannot verify the user fails at stage "user_verification"', async () => {
    h = harness();
    const options = await h.hooks.registrationOptions({ username: 'erin' });
    const response = new SoftAuthenticator({ userVerified: false }).register(ORIGIN, options);
    const result = await h.hooks.verifyRegistration(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'user_verification', code: 'WEBAUTHN_USER_NOT_VERIFIED' } });
    expect(onlyEvent(h.capture).event_type).toBe('WEBAUTHN_REG_FAILURE');
  });

  it('a replayed registration response fails at stage "challenge_replayed" and registers nothing twice', async () => {
    h = harness();
    const options = await h.hooks.registrationOptions({ username: 'frank' });
    const response = new SoftAuthenticator().register(ORIGIN, options);
    expect((await h.hooks.verifyRegistration(h.ctx, response)).verified).toBe(true);
    onlyEvent(h.capture);
    const again = await h.hooks.verifyRegistration(h.ctx, response);
    expect(again).toMatchObject({ verified: false, failure: { stage: 'challenge_replayed', code: 'WEBAUTHN_CHALLENGE_REPLAYED' } });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_REG_FAILURE', user_id: options.user.id });
  });

  it('a response after the challenge TTL fails at stage "challenge_expired"', async () => {
    h = harness({ challengeTtlMs: 60_000 });
    const options = await h.hooks.registrationOptions({ username: 'grace' });
    expect(options.timeout).toBe(60_000);
    const response = new SoftAuthenticator().register(ORIGIN, options);
    h.clock.advance(60_001);
    const result = await h.hooks.verifyRegistration(h.ctx, response);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'challenge_expired' } });
    expect(onlyEvent(h.capture)).toMatchObject({ webauthn: { failure_stage: 'challenge_expired' }, user_id: options.user.id });
  });

  it('a credential id registered before fails at stage "credential_exists" (WebAuthn §7.1 step 26)', async () => {
    h = harness();
    const first = await h.register(new SoftAuthenticator(), 'heidi');
    // "none" attestation signs nothing: an attacker can wrap someone else's attested
    // credential (id and public key) in a clientDataJSON for a fresh challenge of their own.
    const options = await h.hooks.registrationOptions({ username: 'mallory' });
    const own = new SoftAuthenticator().register(ORIGIN, options);
    const stolen = { ...first.response, response: { ...first.response.response, clientDataJSON: own.response.clientDataJSON } };
    const result = await h.hooks.verifyRegistration(h.ctx, stolen);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'credential_exists', code: 'WEBAUTHN_CREDENTIAL_EXISTS' } });
    expect(onlyEvent(h.capture)).toMatchObject({
      event_type: 'WEBAUTHN_REG_FAILURE',
      user_id: options.user.id,
      webauthn: { failure_stage: 'credential_exists', credential_id: first.credentialId },
    });
    expect(await h.hooks.options.users.findByName('mallory')).toBeUndefined();
  });

  it('a JSON id that differs from the attested credential id fails at stage "malformed_response"', async () => {
    h = harness();
    const options = await h.hooks.registrationOptions({ username: 'oscar' });
    const response = new SoftAuthenticator().register(ORIGIN, options);
    const renamed = { ...response, id: 'AAAAAAAAAAAAAAAAAAAAAA', rawId: 'AAAAAAAAAAAAAAAAAAAAAA' };
    const result = await h.hooks.verifyRegistration(h.ctx, renamed);
    expect(result).toMatchObject({ verified: false, failure: { stage: 'malformed_response' } });
    expect(onlyEvent(h.capture).event_type).toBe('WEBAUTHN_REG_FAILURE');
  });

  it('a name that is taken is refused before any ceremony (409 in HTTP), without an event', async () => {
    h = harness();
    await h.register(new SoftAuthenticator(), 'ivan');
    await expect(h.hooks.registrationOptions({ username: 'ivan' })).rejects.toMatchObject({ code: 'WEBAUTHN_HOOKS_USERNAME_TAKEN' });
    for (const username of ['bad\nname', 'a\u001b[31m', 'lone\ud800', 'x'.repeat(65), '   ', 42, undefined]) {
      await expect(h.hooks.registrationOptions({ username: username as string })).rejects.toMatchObject({
        name: 'WebAuthnHooksError',
        code: 'WEBAUTHN_HOOKS_BAD_REQUEST',
      });
    }
    await expect(h.hooks.registrationOptions({ username: 'ok', displayName: 'two\nlines' })).rejects.toBeInstanceOf(WebAuthnHooksError);
    expect(h.capture.take().events).toHaveLength(0);
  });

  it('a name another registration took after this one began fails at stage "username_taken", not "internal" (found by a probe)', async () => {
    h = harness();
    const first = await h.hooks.registrationOptions({ username: 'zoe' });
    const second = await h.hooks.registrationOptions({ username: 'zoe' });
    expect((await h.hooks.verifyRegistration(h.ctx, new SoftAuthenticator().register(ORIGIN, first))).verified).toBe(true);
    h.capture.take();
    const late = await h.hooks.verifyRegistration(h.ctx, new SoftAuthenticator().register(ORIGIN, second));
    expect(late).toMatchObject({ verified: false, failure: { stage: 'username_taken', code: 'WEBAUTHN_USERNAME_TAKEN' } });
    expect(onlyEvent(h.capture)).toMatchObject({ event_type: 'WEBAUTHN_REG_FAILURE', error: { code: 'WEBAUTHN_USERNAME_TAKEN' }, webauthn: { failure_stage: 'username_taken' } });
  });

  it('two registrations racing for one name through stores that answer asynchronously (a database): one success, one username_taken, one account (found by a probe)', async () => {
    // Every store call waits 20 ms, as a database round trip does; before, both passed the name check and both were audited as successes.
    const slow = <T extends object>(store: T): T =>
      new Proxy(store, {
        get(target, key) {
          const value = Reflect.get(target, key) as unknown;
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            await new Promise((r) => setTimeout(r, 20));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    const users = new MemoryUserStore();
    h = harness({ userStore: slow(users), credentialStore: slow(new MemoryCredentialStore()) });
    const options = [await h.hooks.registrationOptions({ username: 'zed' }), await h.hooks.registrationOptions({ username: 'zed' })];
    const results = await Promise.all(options.map((o) => h.hooks.verifyRegistration(h.ctx, new SoftAuthenticator().register(ORIGIN, o))));
    expect(results.filter((r) => r.verified)).toHaveLength(1);
    expect(results.find((r) => !r.verified)).toMatchObject({ failure: { stage: 'username_taken' } });
    const events = h.capture.take().events as { event_type: string }[];
    expect(events.map((e) => e.event_type).sort()).toEqual(['WEBAUTHN_REG_FAILURE', 'WEBAUTHN_REG_SUCCESS']);
    expect(await users.findByName('zed')).toMatchObject({ id: (results.find((r) => r.verified) as { user: { id: string } }).user.id });
  });

  it('two replicas racing for one name: the loser\'s audited success is followed by a username_taken failure for the same credential, and it answers as a failure', async () => {
    // Two hook instances (two processes' locks) over one database: each reads the name as free
    // before either inserts it (the barrier makes the interleaving certain), both write a success,
    // and the store's unique constraint refuses the second insert.
    const users = new MemoryUserStore();
    let armed = false;
    let checked = 0;
    let release!: () => void;
    const bothChecked = new Promise<void>((resolve) => (release = resolve));
    // One store object per replica, as each process has its own (the lock is per store object).
    const racingUsers = (): UserStore => ({
      findById: (id) => users.findById(id),
      async findByName(name) {
        const found = users.findByName(name);
        if (armed && ++checked === 2) release();
        if (armed) await bothChecked;
        return found;
      },
      create: async (user) => users.create(user),
    });
    const credentials = new MemoryCredentialStore();
    const replicas = [harness({ userStore: racingUsers(), credentialStore: credentials }), harness({ userStore: racingUsers(), credentialStore: credentials })];
    h = replicas[0]!;
    try {
      const options = await Promise.all(replicas.map((r) => r.hooks.registrationOptions({ username: 'ray' })));
      armed = true;
      const responses = options.map((o) => new SoftAuthenticator().register(ORIGIN, o));
      const results = await Promise.all(replicas.map((r, i) => r.hooks.verifyRegistration(r.ctx, responses[i])));
      const winner = results.findIndex((r) => r.verified);
      const loser = 1 - winner;
      expect(winner).toBeGreaterThanOrEqual(0);
      expect(results[loser]).toMatchObject({ verified: false, failure: { stage: 'username_taken', code: 'WEBAUTHN_USERNAME_TAKEN' } });
      expect(await users.findByName('ray')).toMatchObject({ id: (results[winner] as { user: { id: string } }).user.id });
      expect((replicas[winner]!.capture.take().events as { event_type: string }[]).map((e) => e.event_type)).toEqual(['WEBAUTHN_REG_SUCCESS']);
      // The loser's trail: its success, then the failure saying it did not stand, both naming its credential and user.
      const [success, retraction] = replicas[loser]!.capture.take().events as { event_type: string; user_id: string; webauthn: { credential_id: string }; error?: { message: string } }[];
      expect([success?.event_type, retraction?.event_type]).toEqual(['WEBAUTHN_REG_SUCCESS', 'WEBAUTHN_REG_FAILURE']);
      expect(retraction).toMatchObject({ user_id: success!.user_id, webauthn: { credential_id: responses[loser]!.id, failure_stage: 'username_taken' } });
      expect(retraction!.error!.message).toContain('that success did not stand');
    } finally {
      await replicas[1]!.capture.close();
    }
  });

  it('a store that refuses an audited registration for a reason the stores do not explain: an internal failure follows the success, and the error reaches the caller', async () => {
    const credentials = new MemoryCredentialStore();
    const refusing = new Proxy(credentials, {
      get(target, key) {
        if (key === 'add') return () => Promise.reject(Object.assign(new Error('connection reset; password=hunter2'), { code: 'ECONNRESET' }));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    h = harness({ credentialStore: refusing });
    const options = await h.hooks.registrationOptions({ username: 'uma' });
    await expect(h.hooks.verifyRegistration(h.ctx, new SoftAuthenticator().register(ORIGIN, options))).rejects.toThrow('connection reset');
    const events = h.capture.take().events as { event_type: string; webauthn: { failure_stage?: string }; error?: { message: string } }[];
    expect(events.map((e) => [e.event_type, e.webauthn.failure_stage])).toEqual([
      ['WEBAUTHN_REG_SUCCESS', undefined],
      ['WEBAUTHN_REG_FAILURE', 'internal'],
    ]);
    // The store's text (which may hold a connection string) is not logged: its class and code only.
    expect(events[1]!.error!.message).toBe('Error (ECONNRESET) in a store or the audit emitter; see the application\'s logs');
    // The account made for it is removed again: left, it would hold the name with no credential.
    expect(await h.hooks.options.users.findByName('uma')).toBeUndefined();
    const retry = await h.hooks.registrationOptions({ username: 'uma' });
    expect(retry.user.name).toBe('uma');
  });

  it('the account of a registration whose credential cannot be stored stays only with a user store that cannot remove it (remove is optional); one whose remove fails does not hide the store\'s error', async () => {
    const refusing = { findById: async () => undefined, listByUser: async () => [], add: async () => Promise.reject(new Error('credential table gone')), updateCounter: async () => undefined };
    for (const [name, removeThrows] of [['vic', undefined], ['wes', true]] as const) {
      const users = new MemoryUserStore();
      const store: UserStore = {
        findById: (id) => users.findById(id),
        findByName: (n) => users.findByName(n),
        create: (u) => users.create(u),
        ...(removeThrows ? { remove: () => { throw new Error('remove failed too'); } } : {}),
      };
      h = harness({ userStore: store, credentialStore: refusing as never });
      const options = await h.hooks.registrationOptions({ username: name });
      await expect(h.hooks.verifyRegistration(h.ctx, new SoftAuthenticator().register(ORIGIN, options))).rejects.toThrow('credential table gone');
      expect(users.findByName(name)).toMatchObject({ name });
      await h.capture.close();
    }
  });

  it('a user name with a format character (zero-width, bidi override, BOM, tag) is refused: it would look like another account (found by a probe)', async () => {
    h = harness();
    // And the other invisible characters, and blanks that are not the space (found by a review).
    for (const username of ['ali\u200bce', 'bob\u202enimda', 'al\ufeffice', 'alice\u2066', 'alice\u{e0041}', 'ali\u200dce', 'alice\u3164', 'alice\uffa0', 'alice\ufe0f', 'ali\u034fce', 'alice\u2800', 'ali\u3000ce', 'ali\u00a0ce', 'ali\tce']) {
      await expect(h.hooks.registrationOptions({ username }), JSON.stringify(username)).rejects.toMatchObject({ code: 'WEBAUTHN_HOOKS_BAD_REQUEST', message: 'username must be 1 to 64 printable characters' });
      await expect(h.hooks.authenticationOptions({ username }), JSON.stringify(username)).rejects.toMatchObject({ code: 'WEBAUTHN_HOOKS_BAD_REQUEST' });
    }
    await expect(h.hooks.registrationOptions({ username: 'ok', displayName: '\u202eAdmin' })).rejects.toMatchObject({ message: 'displayName must be 1 to 64 printable characters' });
    // Letters of every script stay allowed, and a display name keeps its joiners (an emoji sequence).
    for (const username of ['alice', 'аlice', 'محمد', 'José', '李雷', 'Mary Ann']) expect((await h.hooks.registrationOptions({ username })).user.name).toBe(username);
    expect((await h.hooks.registrationOptions({ username: 'dev', displayName: 'Dev \u{1f469}\u200d\u{1f4bb}' })).user.displayName).toBe('Dev \u{1f469}\u200d\u{1f4bb}');
  });

  it('when the audit logger throws, the ceremony fails closed: nothing is stored and the emitter is called once', async () => {
    let calls = 0;
    const users = new MemoryUserStore();
    const failing = {
      emit: () => {
        calls++;
        throw new Error('disk full');
      },
    };
    h = harness({ audit: failing, userStore: users });
    const options = await h.hooks.registrationOptions({ username: 'judy' });
    const response = new SoftAuthenticator().register(ORIGIN, options);
    expect(challengeOf(response)).toBe(options.challenge);
    await expect(h.hooks.verifyRegistration(h.ctx, response)).rejects.toThrow('disk full');
    expect(calls).toBe(1);
    expect(users.findByName('judy')).toBeUndefined();
    expect(await h.hooks.options.credentials.findById(response.id)).toBeUndefined();
  });
});
