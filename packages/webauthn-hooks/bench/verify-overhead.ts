/**
 * What the audit costs per sign-in: SimpleWebAuthn's verifyAuthenticationResponse
 * alone vs the audited core (challenge store, credential lookup, counter policy,
 * one event through the real logger into memory). Same machine, same run,
 * interleaved rounds; signing by the software authenticator is done before timing.
 *
 *   npx tsx -C @audit-trail/source packages/webauthn-hooks/bench/verify-overhead.ts
 */
import { performance } from 'node:perf_hooks';
import { createAuditLogger } from '@audit-trail/logger';
import { generateAuthenticationOptions, verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { createWebAuthnHooks } from '../src/index.js';
import { SoftAuthenticator } from '../src/testing/index.js';

const N = Number(process.env.N ?? 400);
const ROUNDS = 3;
const ORIGIN = 'http://localhost:3000';

let lines = 0;
const audit = createAuditLogger({ service: 'bench', destination: { write: () => void lines++ }, env: {}, runtime: false, signing: false });
const hooks = createWebAuthnHooks({ audit, rpName: 'bench', rpID: 'localhost', origin: ORIGIN });
const ctx = hooks.requestContext({ peer: '127.0.0.1', headers: { 'user-agent': 'bench' } });

async function registered(name: string): Promise<SoftAuthenticator> {
  const auth = new SoftAuthenticator();
  const r = await hooks.verifyRegistration(ctx, auth.register(ORIGIN, await hooks.registrationOptions({ username: name })));
  if (!r.verified) throw new Error('registration failed');
  return auth;
}

async function rawRound(auth: SoftAuthenticator, credId: string): Promise<number> {
  const cred = (await hooks.options.credentials.findById(credId))!;
  const batch: Array<{ challenge: string; response: AuthenticationResponseJSON }> = [];
  for (let i = 0; i < N; i++) {
    const options = await generateAuthenticationOptions({ rpID: 'localhost' });
    batch.push({ challenge: options.challenge, response: auth.signIn(ORIGIN, options) });
  }
  const t0 = performance.now();
  for (const { challenge, response } of batch) {
    const r = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: 'localhost',
      credential: { id: cred.id, publicKey: cred.publicKey as Uint8Array<ArrayBuffer>, counter: 0 },
    });
    if (!r.verified) throw new Error('raw verify failed');
  }
  return performance.now() - t0;
}

async function auditedRound(auth: SoftAuthenticator): Promise<number> {
  const batch: AuthenticationResponseJSON[] = [];
  for (let i = 0; i < N; i++) batch.push(auth.signIn(ORIGIN, await hooks.authenticationOptions({ username: 'audited' })));
  const t0 = performance.now();
  for (const response of batch) {
    const r = await hooks.verifyAuthentication(ctx, response);
    if (!r.verified) throw new Error(`audited verify failed: ${r.failure.code}`);
  }
  return performance.now() - t0;
}

const rawAuth = await registered('raw');
const auditedAuth = await registered('audited');
const rawId = (await hooks.options.credentials.listByUser((await hooks.options.users.findByName('raw'))!.id))[0]!.id;
let raw = 0;
let audited = 0;
for (let round = 0; round < ROUNDS; round++) {
  raw += await rawRound(rawAuth, rawId);
  audited += await auditedRound(auditedAuth);
}
await audit.close();
const perOp = (ms: number) => (ms / (N * ROUNDS)) * 1000;
console.log(`sign-ins verified: ${N * ROUNDS} per side, ${lines} audit lines written`);
console.log(`SimpleWebAuthn alone : ${perOp(raw).toFixed(1)} µs/verify`);
console.log(`audited (this pkg)   : ${perOp(audited).toFixed(1)} µs/verify`);
console.log(`ratio audited/raw    : ${(audited / raw).toFixed(2)}x`);
