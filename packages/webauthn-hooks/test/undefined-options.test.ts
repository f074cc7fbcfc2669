import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/config.js';
import { createWebAuthnRouter, type WebAuthnRouterOptions } from '../src/express.js';
import { webauthnPlugin, type WebAuthnPluginOptions } from '../src/fastify.js';
import { buildRequestContext, MemoryChallengeStore, trustedProxies, type MemoryChallengeStoreOptions, type RawRequestParts, type WebAuthnHooksOptions } from '../src/index.js';
import { SoftAuthenticator, type SoftAuthenticatorOptions } from '../src/testing/index.js';
import { captureAudit, type AuditCapture } from './support/audit-capture.js';
import { ORIGIN, RP_ID } from './support/harness.js';
import { post } from './support/servers.js';

/**
 * The option types accept `undefined` on every optional property (for
 * `exactOptionalPropertyTypes` users writing `trustedProxies: cfg.proxies`),
 * which promises that undefined is the same as leaving the key out. Each
 * list is checked against its type, so an option added later must join it.
 */
const HOOKS_UNDEFINED = {
  trustedProxies: undefined,
  userVerification: undefined,
  counterRegression: undefined,
  challengeTtlMs: undefined,
  challengeStore: undefined,
  userStore: undefined,
  credentialStore: undefined,
  now: undefined,
} satisfies Record<Exclude<keyof WebAuthnHooksOptions, 'audit' | 'rpName' | 'rpID' | 'origin'>, undefined>;
const ROUTER_UNDEFINED = { ...HOOKS_UNDEFINED, bodyLimit: undefined, onVerified: undefined } satisfies Record<Exclude<keyof WebAuthnRouterOptions, 'audit' | 'rpName' | 'rpID' | 'origin'>, undefined>;
const PLUGIN_UNDEFINED = { ...ROUTER_UNDEFINED, routePrefix: undefined } satisfies Record<Exclude<keyof WebAuthnPluginOptions, 'audit' | 'rpName' | 'rpID' | 'origin'>, undefined>;
const STORE_UNDEFINED = { maxEntries: undefined, retainMs: undefined, maxPerClient: undefined } satisfies Record<keyof MemoryChallengeStoreOptions, undefined>;

const base = { audit: { emit: () => undefined }, rpName: 'x', rpID: RP_ID, origin: ORIGIN };

/** What resolveOptions decided, without the objects it makes anew each time (stores, clock). */
function decided(o: WebAuthnHooksOptions) {
  const r = resolveOptions(o);
  return { origins: r.origins, proxies: r.proxies.entries, userVerification: r.userVerification, counterRegression: r.counterRegression, challengeTtlMs: r.challengeTtlMs, stores: [r.challenges, r.users, r.credentials].map((s) => s.constructor.name) };
}

/** How a store treats one client asking for 40 challenges: which of them are still there to take. */
function perClientOutcome(store: MemoryChallengeStore): string[] {
  for (let i = 0; i < 40; i++) store.save({ challenge: `c${i}`, ceremony: 'authentication', client: '203.0.113.7', issuedAt: 0, expiresAt: 60_000 });
  return Array.from({ length: 40 }, (_, i) => (store.take(`c${i}`, 1) as { status: string }).status);
}

let capture: AuditCapture | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await capture?.close();
});

/** Registers a new user through the four routes at `base`: both steps answered 200. */
async function registerThrough(routes: string): Promise<void> {
  const auth = new SoftAuthenticator({ userVerified: undefined, signCounter: undefined } satisfies Record<keyof SoftAuthenticatorOptions, undefined>);
  const ro = await post(`${routes}/registration/options`, { username: 'alice' });
  expect(ro.status).toBe(200);
  expect((await post(`${routes}/registration/verify`, auth.register(ORIGIN, ro.body))).status).toBe(200);
}

describe('an option given as undefined is an option not given', () => {
  it('createWebAuthnHooks: every optional option undefined resolves to the defaults', () => {
    expect(decided({ ...base, ...HOOKS_UNDEFINED })).toEqual(decided(base));
    expect(decided(base)).toMatchObject({ proxies: [], userVerification: 'required', counterRegression: 'reject', challengeTtlMs: 300_000 });
  });

  it('MemoryChallengeStore: options undefined keep the default bounds (32 challenges per client)', () => {
    const outcome = perClientOutcome(new MemoryChallengeStore());
    expect(outcome.filter((s) => s === 'ok')).toHaveLength(32);
    expect(perClientOutcome(new MemoryChallengeStore(STORE_UNDEFINED))).toEqual(outcome);
  });

  it('request parts: requestId and closed undefined build the context of parts without them', () => {
    const parts: RawRequestParts = { peer: '203.0.113.7', headers: { 'user-agent': 'test/1.0' } };
    const proxies = trustedProxies([]);
    expect(buildRequestContext({ ...parts, requestId: undefined, closed: undefined }, proxies)).toEqual(buildRequestContext(parts, proxies));
  });

  it('Express router and Fastify plugin: every optional option undefined serves the routes at their defaults', async () => {
    capture = captureAudit();
    const app = express();
    app.use('/webauthn', createWebAuthnRouter({ ...base, audit: capture.audit, ...ROUTER_UNDEFINED }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await registerThrough(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webauthn`);

    const fastify = Fastify();
    closers.push(() => fastify.close());
    // routePrefix undefined: the default /webauthn.
    await fastify.register(webauthnPlugin, { ...base, audit: capture.audit, ...PLUGIN_UNDEFINED });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    await registerThrough(`http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/webauthn`);
    expect(capture.ceremonyEvents().map((e) => e.event_type)).toEqual(['WEBAUTHN_REG_SUCCESS', 'WEBAUTHN_REG_SUCCESS']);
  });
});
