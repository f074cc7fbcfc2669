import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebAuthnRouter } from '../src/express.js';
import { webauthnPlugin } from '../src/fastify.js';
import {
  createWebAuthnHooks,
  MemoryChallengeStore,
  MemoryCredentialStore,
  MemoryUserStore,
  WebAuthnHooksError,
  type WebAuthnHooksOptions,
} from '../src/index.js';
import { SoftAuthenticator } from '../src/testing/index.js';
import { captureAudit, type AuditCapture } from './support/audit-capture.js';
import { CLIENT_IP, ORIGIN, RP_ID, TestClock } from './support/harness.js';

const base: WebAuthnHooksOptions = { audit: { emit: () => undefined }, rpName: 'x', rpID: RP_ID, origin: ORIGIN };

/** The typed configuration error with exactly this message. */
const configError = (message: string) => expect.objectContaining({ name: 'WebAuthnHooksError', code: 'WEBAUTHN_HOOKS_CONFIG', message });

/** What each entry point does with an options object. */
const ENTRIES = {
  createWebAuthnHooks: async (o: object) => void createWebAuthnHooks(o as WebAuthnHooksOptions),
  createWebAuthnRouter: async (o: object) => void createWebAuthnRouter(o as WebAuthnHooksOptions),
  webauthnPlugin: async (o: object) => {
    const app = Fastify();
    try {
      await app.register(webauthnPlugin, o as WebAuthnHooksOptions);
      await app.ready();
    } finally {
      await app.close();
    }
  },
};

let capture: AuditCapture | undefined;
afterEach(async () => {
  await capture?.close();
  capture = undefined;
});

describe('userVerification is one of the WebAuthn L3 §5.8.6 values, or creation fails', () => {
  it.each(Object.entries(ENTRIES))('%s refuses "require", "Required", "" and non-strings, naming the value', async (_name, create) => {
    const allowed = 'options.userVerification must be "required", "preferred" or "discouraged", got';
    for (const [value, shown] of [
      ['require', '"require"'],
      ['Required', '"Required"'],
      ['required ', '"required "'],
      ['', '""'],
      [true, 'a boolean'],
      [null, 'null'],
    ] as const) {
      await expect(create({ ...base, userVerification: value })).rejects.toThrow(configError(`${allowed} ${shown}`));
    }
  });

  it.each(['required', 'preferred', 'discouraged'] as const)(
    'with %s, a registration without the UV flag is refused exactly when UV is required',
    async (userVerification) => {
      capture = captureAudit();
      const hooks = createWebAuthnHooks({ ...base, audit: capture.audit, userVerification });
      const options = await hooks.registrationOptions({ username: 'alice' });
      expect(options.authenticatorSelection?.userVerification).toBe(userVerification);
      const response = new SoftAuthenticator({ userVerified: false }).register(ORIGIN, options);
      const result = await hooks.verifyRegistration(hooks.requestContext({ peer: CLIENT_IP, headers: {} }), response);
      if (userVerification === 'required') {
        expect(result).toMatchObject({ verified: false, failure: { stage: 'user_verification', code: 'WEBAUTHN_USER_NOT_VERIFIED' } });
      } else {
        expect(result).toMatchObject({ verified: true });
      }
    },
  );

  it('the resolved options are frozen: what was checked is what the ceremonies use', () => {
    const hooks = createWebAuthnHooks(base);
    expect(() => {
      (hooks.options as { userVerification: string }).userVerification = 'require';
    }).toThrow(TypeError);
    expect(hooks.options.userVerification).toBe('required');
  });
});

describe('every other option is checked when the hooks, router or plugin are created', () => {
  it.each(Object.entries(ENTRIES))('%s refuses an unknown key instead of falling back to a default', async (_name, create) => {
    await expect(create({ ...base, userverification: 'required' })).rejects.toThrow(configError('unknown option "userverification": did you mean "userVerification"?'));
    await expect(create({ ...base, trustedProxy: ['10.0.0.0/8'] })).rejects.toThrow(
      expect.objectContaining({ code: 'WEBAUTHN_HOOKS_CONFIG', message: expect.stringMatching(/^unknown option "trustedProxy": expected one of audit, rpName, .*trustedProxies/) }),
    );
    await expect(create({ ...base, userVerification: null })).rejects.toThrow(
      configError('options.userVerification must be "required", "preferred" or "discouraged", got null'),
    );
  });

  it('createWebAuthnHooks and the router refuse options that are not an object (Fastify passes {} for none)', async () => {
    await expect(ENTRIES.createWebAuthnHooks(undefined as never)).rejects.toThrow(configError('options must be an object, got undefined'));
    await expect(ENTRIES.createWebAuthnRouter([] as never)).rejects.toThrow(configError('options must be an object, got an array'));
  });

  it.each<[string, Partial<Record<string, unknown>>, string]>([
    ['counterRegression', { counterRegression: 'Reject' }, 'options.counterRegression must be "reject" or "allow", got "Reject"'],
    ['challengeTtlMs 1e300', { challengeTtlMs: 1e300 }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got 1e+300'],
    ['challengeTtlMs NaN', { challengeTtlMs: Number.NaN }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got NaN'],
    ['challengeTtlMs Infinity', { challengeTtlMs: Infinity }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got Infinity'],
    ['challengeTtlMs -1', { challengeTtlMs: -1 }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got -1'],
    ['challengeTtlMs 300 (seconds meant)', { challengeTtlMs: 300 }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got 300'],
    ['challengeTtlMs 1.5 s', { challengeTtlMs: 1500.5 }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got 1500.5'],
    ['challengeTtlMs over an hour', { challengeTtlMs: 3_600_001 }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got 3600001'],
    ['challengeTtlMs text', { challengeTtlMs: '300000' }, 'options.challengeTtlMs must be an integer from 1000 to 3600000 (milliseconds), got a string'],
    ['now not a function', { now: 1_700_000_000_000 }, 'options.now must be a function, got 1700000000000'],
    ['now returning text', { now: () => '1700000000000' }, 'options.now must return epoch milliseconds as a finite number, got a string'],
    ['now returning a Date', { now: () => new Date() }, 'options.now must return epoch milliseconds as a finite number, got a Date'],
    ['now returning NaN', { now: () => Number.NaN }, 'options.now must return epoch milliseconds as a finite number, got NaN'],
    ['rpName', { rpName: 5 }, 'options.rpName is required (a non-empty string)'],
    ['origin', { origin: [ORIGIN, 5] }, 'options.origin must be a string or a list of strings, got 5'],
    ['challengeStore', { challengeStore: {} }, 'options.challengeStore must have a save() method'],
    ['userStore', { userStore: 'memory' }, 'options.userStore must be an object, got a string'],
    ['credentialStore', { credentialStore: { findById() {}, listByUser() {}, add() {} } }, 'options.credentialStore must have a updateCounter() method'],
  ])('refuses a bad %s with WEBAUTHN_HOOKS_CONFIG', (_name, patch, message) => {
    expect(() => createWebAuthnHooks({ ...base, ...patch } as WebAuthnHooksOptions)).toThrow(configError(message));
  });

  it('challengeTtlMs within bounds is what the browser is sent as timeout and what expiry uses', async () => {
    for (const ttl of [1_000, 600_000, 3_600_000]) {
      const hooks = createWebAuthnHooks({ ...base, challengeTtlMs: ttl });
      expect((await hooks.registrationOptions({ username: 'alice' })).timeout).toBe(ttl);
      expect((await hooks.authenticationOptions({})).timeout).toBe(ttl);
    }
  });

  it('a clock that goes bad after creation is refused at its reading, not turned into a challenge that never expires', async () => {
    const clock = new TestClock();
    let reading: unknown = clock.ms;
    capture = captureAudit();
    const hooks = createWebAuthnHooks({ ...base, audit: capture.audit, now: () => reading as number });
    const options = await hooks.registrationOptions({ username: 'alice' });
    reading = String(clock.ms);
    await expect(hooks.registrationOptions({ username: 'bob' })).rejects.toThrow(
      configError('options.now must return epoch milliseconds as a finite number, got a string'),
    );
    // A verification still owes its one event: stage internal, audited, and the error reaches the caller.
    const response = new SoftAuthenticator().register(ORIGIN, options);
    await expect(hooks.verifyRegistration(hooks.requestContext({ peer: CLIENT_IP, headers: {} }), response)).rejects.toThrow(WebAuthnHooksError);
    expect(capture.take().events).toMatchObject([{ event_type: 'WEBAUTHN_REG_FAILURE', webauthn: { failure_stage: 'internal' } }]);
  });

  it.each<[string, (o: object) => Promise<void>]>([
    ['createWebAuthnRouter', ENTRIES.createWebAuthnRouter],
    ['webauthnPlugin', ENTRIES.webauthnPlugin],
  ])('%s refuses a bodyLimit that is not a positive integer, and an onVerified that is not a function', async (_name, create) => {
    const bodyLimit = (got: string) => configError(`options.bodyLimit must be an integer from 1 to 2147483647 (bytes), got ${got}`);
    await expect(create({ ...base, bodyLimit: -1 })).rejects.toThrow(bodyLimit('-1'));
    await expect(create({ ...base, bodyLimit: 0 })).rejects.toThrow(bodyLimit('0'));
    await expect(create({ ...base, bodyLimit: 1024.5 })).rejects.toThrow(bodyLimit('1024.5'));
    await expect(create({ ...base, bodyLimit: Infinity })).rejects.toThrow(bodyLimit('Infinity'));
    await expect(create({ ...base, bodyLimit: '1mb' })).rejects.toThrow(bodyLimit('a string'));
    await expect(create({ ...base, onVerified: 'session' })).rejects.toThrow(configError('options.onVerified must be a function, got a string'));
  });

  it("the Fastify plugin refuses a routePrefix no request can reach, and register's own options that fastify-plugin ignores", async () => {
    await expect(ENTRIES.webauthnPlugin({ ...base, routePrefix: 'webauthn' })).rejects.toThrow(
      configError('options.routePrefix must be "" or a path starting with "/" (no spaces, "?", "#" or "%"), got "webauthn"'),
    );
    await expect(ENTRIES.webauthnPlugin({ ...base, prefix: '/auth' })).rejects.toThrow(
      configError('option "prefix" is not supported: fastify-plugin ignores register\'s prefix; use routePrefix'),
    );
    await expect(ENTRIES.webauthnPlugin({ ...base, logLevel: 'debug' })).rejects.toThrow(expect.objectContaining({ code: 'WEBAUTHN_HOOKS_CONFIG' }));
    // routePrefix is a plugin option, not one of the router's.
    await expect(ENTRIES.createWebAuthnRouter({ ...base, routePrefix: '/webauthn' })).rejects.toThrow(
      expect.objectContaining({ code: 'WEBAUTHN_HOOKS_CONFIG', message: expect.stringMatching(/^unknown option "routePrefix"/) }),
    );
  });

  it('an Express bodyLimit of 1024 still answers a small body and refuses a larger one (413)', async () => {
    capture = captureAudit();
    const app = express();
    app.use('/webauthn', createWebAuthnRouter({ ...base, audit: capture.audit, bodyLimit: 1024 }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/webauthn/registration/options`;
      const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect((await post(JSON.stringify({ username: 'alice' }))).status).toBe(200);
      expect((await post(JSON.stringify({ username: 'x'.repeat(2000) }))).status).toBe(413);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('MemoryChallengeStore refuses maxEntries that would loop forever or never bound, and unknown keys', () => {
    const message = (got: string) => configError(`MemoryChallengeStore maxEntries must be an integer from 1 to 2147483647, got ${got}`);
    expect(() => new MemoryChallengeStore({ maxEntries: 0 })).toThrow(message('0'));
    expect(() => new MemoryChallengeStore({ maxEntries: Number.NaN })).toThrow(message('NaN'));
    expect(() => new MemoryChallengeStore({ retainMs: -1 })).toThrow(
      configError('MemoryChallengeStore retainMs must be an integer from 0 to 2147483647 (milliseconds), got -1'),
    );
    expect(() => new MemoryChallengeStore({ maxentries: 5 } as never)).toThrow(
      configError('unknown MemoryChallengeStore option "maxentries": did you mean "maxEntries"?'),
    );
    const store = new MemoryChallengeStore({ maxEntries: 1 });
    store.save({ challenge: 'a', ceremony: 'registration', issuedAt: 0, expiresAt: 10 });
    store.save({ challenge: 'b', ceremony: 'registration', issuedAt: 0, expiresAt: 10 });
    expect(store.size).toBe(1);
  });
});

describe('every option the README documents is accepted', () => {
  const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const table = README.slice(README.indexOf('## Options'), README.indexOf('\n## ', README.indexOf('## Options') + 1));
  // First column of each row: `name`, `name` (Express, Fastify)
  const rows = [...table.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]!).filter((c) => c.includes('`'));
  const documented = rows.flatMap((cell) => [...cell.matchAll(/`(\w+)`/g)].map((m) => ({ key: m[1]!, adapters: /\(([^)]+)\)/.exec(cell)?.[1] })));

  /** A valid, non-default value for every option. */
  const valid = (): Record<string, unknown> => ({
    audit: { emit: () => undefined },
    rpName: 'Example',
    rpID: 'localhost',
    origin: [ORIGIN, 'https://localhost:3443'],
    trustedProxies: ['10.0.0.0/8', 'fc00::/7', 'loopback', 'private', '203.0.113.9'],
    userVerification: 'discouraged',
    counterRegression: 'allow',
    challengeTtlMs: 600_000,
    challengeStore: new MemoryChallengeStore({ maxEntries: 100, retainMs: 0 }),
    userStore: new MemoryUserStore(),
    credentialStore: new MemoryCredentialStore(),
    now: new TestClock().now,
    bodyLimit: 64 * 1024,
    onVerified: () => undefined,
    routePrefix: '/auth/passkeys',
  });

  it('the table lists the options this test knows values for', () => {
    expect(documented.map((d) => d.key).sort()).toEqual(Object.keys(valid()).sort());
  });

  it('createWebAuthnHooks, the Express router and the Fastify plugin accept each of theirs, all at once', async () => {
    const of = (entry: 'Express' | 'Fastify' | undefined) =>
      Object.fromEntries(documented.filter((d) => !d.adapters || (entry && d.adapters.includes(entry))).map((d) => [d.key, valid()[d.key]]));
    const core = createWebAuthnHooks(of(undefined) as never);
    expect(core.options).toMatchObject({ userVerification: 'discouraged', counterRegression: 'allow', challengeTtlMs: 600_000 });
    expect(Object.keys(of('Express'))).toEqual(expect.arrayContaining(['bodyLimit', 'onVerified']));
    await ENTRIES.createWebAuthnRouter(of('Express'));
    const app = Fastify();
    await app.register(webauthnPlugin, of('Fastify') as never);
    const res = await app.inject({ method: 'POST', url: '/auth/passkeys/authentication/options', payload: {} });
    expect(res.json()).toMatchObject({ timeout: 600_000, userVerification: 'discouraged' });
    await app.close();
  });
});
