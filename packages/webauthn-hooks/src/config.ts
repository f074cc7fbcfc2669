import type { AuditEmitter } from './audit/emitter.js';
import { trustedProxies, type TrustedProxies } from './request/client-ip.js';
import type { CounterRegressionPolicy } from './ceremony/counter-policy.js';
import { WebAuthnHooksError } from './errors.js';
import type { ChallengeStore } from './stores/challenge-store.js';
import type { CredentialStore } from './stores/credential-store.js';
import { MemoryChallengeStore } from './stores/memory-challenge-store.js';
import { MemoryCredentialStore } from './stores/memory-credential-store.js';
import { MemoryUserStore } from './stores/memory-user-store.js';
import type { UserStore } from './stores/user-store.js';

/** Options of {@link createWebAuthnHooks} (and of the Express router and Fastify plugin). */
export interface WebAuthnHooksOptions {
  /** Where audit events go: `createAuditLogger()` or any {@link AuditEmitter}. */
  audit: AuditEmitter;
  /** Relying party name shown by authenticators. */
  rpName: string;
  /** RP ID (WebAuthn §5.1.2): the site's registrable domain, e.g. `example.com` or `localhost`. */
  rpID: string;
  /** Exact origin(s) pages are served from, e.g. `https://example.com`. */
  origin: string | string[];
  /** Addresses (IPs, CIDRs, `loopback`, `private`) of reverse proxies allowed to set X-Forwarded-For. Default: none. */
  trustedProxies?: readonly string[];
  /** WebAuthn user verification. `required` (default) rejects assertions without the UV flag. */
  userVerification?: 'required' | 'preferred' | 'discouraged';
  /** What a validly signed, non-increasing counter does. Default `reject` (WebAuthn §7.2 step 21 leaves it to the RP). */
  counterRegression?: CounterRegressionPolicy;
  /** Challenge lifetime in ms; also sent as the ceremony `timeout`. Default 5 minutes. */
  challengeTtlMs?: number;
  challengeStore?: ChallengeStore;
  userStore?: UserStore;
  credentialStore?: CredentialStore;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

/** Options with defaults applied and checked. */
export interface ResolvedOptions {
  audit: AuditEmitter;
  rpName: string;
  rpID: string;
  origins: string[];
  proxies: TrustedProxies;
  userVerification: 'required' | 'preferred' | 'discouraged';
  counterRegression: CounterRegressionPolicy;
  challengeTtlMs: number;
  challenges: ChallengeStore;
  users: UserStore;
  credentials: CredentialStore;
  now: () => number;
}

function configError(message: string): WebAuthnHooksError {
  return new WebAuthnHooksError('WEBAUTHN_HOOKS_CONFIG', message);
}

/** Applies defaults and rejects unusable configuration early, with a typed error. */
export function resolveOptions(o: WebAuthnHooksOptions): ResolvedOptions {
  if (!o || typeof o.audit?.emit !== 'function') throw configError('options.audit must have an emit(draft) method');
  if (!o.rpName) throw configError('options.rpName is required');
  if (!o.rpID || /[/:\s]/.test(o.rpID)) throw configError('options.rpID must be a bare domain such as "example.com"');
  const origins = Array.isArray(o.origin) ? [...o.origin] : [o.origin];
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw configError(`options.origin "${String(origin)}" is not a URL`);
    }
    if (url.origin !== origin) throw configError(`options.origin "${origin}" must be an origin (scheme://host[:port]), got a URL`);
  }
  if (origins.length === 0) throw configError('options.origin is required');
  const ttl = o.challengeTtlMs ?? 5 * 60_000;
  if (!Number.isInteger(ttl) || ttl <= 0) throw configError('options.challengeTtlMs must be a positive integer');
  const policy = o.counterRegression ?? 'reject';
  if (policy !== 'reject' && policy !== 'allow') throw configError('options.counterRegression must be "reject" or "allow"');
  return {
    audit: o.audit,
    rpName: o.rpName,
    rpID: o.rpID,
    origins,
    proxies: trustedProxies(o.trustedProxies ?? []),
    userVerification: o.userVerification ?? 'required',
    counterRegression: policy,
    challengeTtlMs: ttl,
    challenges: o.challengeStore ?? new MemoryChallengeStore(),
    users: o.userStore ?? new MemoryUserStore(),
    credentials: o.credentialStore ?? new MemoryCredentialStore(),
    now: o.now ?? Date.now,
  };
}
