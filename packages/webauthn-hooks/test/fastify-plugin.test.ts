import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { webauthnPlugin } from '../src/fastify.js';
import { captureAudit, type AuditCapture } from './support/audit-capture.js';
import { ORIGIN, RP_ID } from './support/harness.js';

describe('Fastify plugin specifics', () => {
  let capture: AuditCapture;
  afterEach(async () => {
    await capture?.close();
  });

  async function app(options: { routePrefix?: string; trustedProxies?: string[] } = {}) {
    capture = captureAudit();
    const fastify = Fastify();
    fastify.post('/echo', async (request) => ({ got: request.body }));
    await fastify.register(webauthnPlugin, { audit: capture.audit, rpName: 'x', rpID: RP_ID, origin: ORIGIN, ...options });
    return fastify;
  }

  it('decorates the app with the core, honours routePrefix, and leaves the app\'s own JSON parsing alone', async () => {
    const fastify = await app({ routePrefix: '/auth/passkeys' });
    expect(typeof fastify.webauthn.verifyAuthentication).toBe('function');
    const options = await fastify.inject({ method: 'POST', url: '/auth/passkeys/authentication/options', payload: {} });
    expect(options.statusCode).toBe(200);
    expect(options.json()).toHaveProperty('challenge');
    expect((await fastify.inject({ method: 'POST', url: '/webauthn/authentication/options', payload: {} })).statusCode).toBe(404);
    const echo = await fastify.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(echo.json()).toEqual({ got: { a: 1 } });
    // Outside the plugin an invalid JSON body is still Fastify's 400.
    const bad = await fastify.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{' });
    expect(bad.statusCode).toBe(400);
    await fastify.close();
  });

  it('reads X-Forwarded-For only from a trusted peer (light-my-request remoteAddress)', async () => {
    const fastify = await app({ trustedProxies: ['10.0.0.0/8'] });
    const send = (remoteAddress: string) =>
      fastify.inject({ method: 'POST', url: '/webauthn/authentication/verify', remoteAddress, headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' }, payload: {} });
    await send('203.0.113.7');
    await send('10.1.2.3');
    const [direct, proxied] = capture.ceremonyEvents();
    expect(direct).toMatchObject({ client_ip: '203.0.113.7', client_ip_source: 'socket', peer_ip: '203.0.113.7' });
    expect(proxied).toMatchObject({ client_ip: '198.51.100.9', client_ip_source: 'x-forwarded-for', peer_ip: '10.1.2.3' });
    await fastify.close();
  });
});

describe('Fastify plugin: errors the app throws reach its own error handler', () => {
  it('passes on an error whose code is not a string (a gRPC status), as Express does', async () => {
    const { SoftAuthenticator } = await import('../src/testing/index.js');
    const capture = captureAudit();
    const fastify = Fastify();
    const seen: unknown[] = [];
    fastify.setErrorHandler((err, _request, reply) => {
      seen.push(err);
      return reply.code(500).send({ app: 'handled' });
    });
    const appError = Object.assign(new Error('session store unavailable'), { code: 14 });
    await fastify.register(webauthnPlugin, {
      audit: capture.audit,
      rpName: 'x',
      rpID: RP_ID,
      origin: ORIGIN,
      onVerified: () => {
        throw appError;
      },
    });
    const options = await fastify.inject({ method: 'POST', url: '/webauthn/registration/options', payload: { username: 'alice' } });
    const response = new SoftAuthenticator().register(ORIGIN, options.json());
    const verify = await fastify.inject({ method: 'POST', url: '/webauthn/registration/verify', payload: response });
    expect(verify.json()).toEqual({ app: 'handled' });
    expect(seen).toEqual([appError]);
    await fastify.close();
    await capture.close();
  });
});
