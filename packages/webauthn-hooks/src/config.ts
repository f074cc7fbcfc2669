import type { AuditEmitter } from './audit/emitter.js';
import { trustedProxies, type TrustedProxies } from './request/client-ip.js';
import type { CounterRegressionPolicy } from './ceremony/counter-policy.js';
import { checkedClock } from './clock.js';
import { checkEnum, checkInteger, configError, describeValue, isObject, optionalFunction, orDefault, refuseUnknownKeys } from './config-checks.js';
import { USER_VERIFICATION_REQUIREMENTS, type UserVerificationRequirement } from './ceremony/user-verification.js';
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
  /** Exact origin(s) pages are served from, e.g. `https://example.com`; a readonly list (`as const`) too. */
  origin: string | readonly string[];
  /** Addresses (IPs, CIDRs, `loopback`, `private`) of reverse proxies allowed to set X-Forwarded-For. Default: none. */
  trustedProxies?: readonly string[] | undefined;
  /**
   * WebAuthn user verification (L3 §5.8.6). `required` (default) rejects
   * responses without the UV flag; `preferred` and `discouraged` accept them.
   * Any other value is refused.
   */
  userVerification?: UserVerificationRequirement | undefined;
  /** What a validly signed, non-increasing counter does. Default `reject` (WebAuthn §7.2 step 21 leaves it to the RP). */
  counterRegression?: CounterRegressionPolicy | undefined;
  /** Challenge lifetime in ms, an integer from 1 000 to 3 600 000; also sent as the ceremony `timeout`. Default 5 minutes. */
  challengeTtlMs?: number | undefined;
  challengeStore?: ChallengeStore | undefined;
  userStore?: UserStore | undefined;
  credentialStore?: CredentialStore | undefined;
  /** Clock (epoch ms as a finite number, checked at every reading), for tests. */
  now?: (() => number) | undefined;
}

/** Options with defaults applied and checked (frozen). */
export interface ResolvedOptions {
  readonly audit: AuditEmitter;
  readonly rpName: string;
  readonly rpID: string;
  readonly origins: string[];
  readonly proxies: TrustedProxies;
  readonly userVerification: UserVerificationRequirement;
  readonly counterRegression: CounterRegressionPolicy;
  readonly challengeTtlMs: number;
  readonly challenges: ChallengeStore;
  readonly users: UserStore;
  readonly credentials: CredentialStore;
  readonly now: () => number;
}

/**
 * Every option of {@link WebAuthnHooksOptions}. `satisfies` makes the
 * compiler fail when an option is added to the interface but not here, so a
 * documented option can never be refused as unknown.
 */
export const HOOKS_OPTION_KEYS = {
  audit: true,
  rpName: true,
  rpID: true,
  origin: true,
  trustedProxies: true,
  userVerification: true,
  counterRegression: true,
  challengeTtlMs: true,
  challengeStore: true,
  userStore: true,
  credentialStore: true,
  now: true,
} as const satisfies Record<keyof WebAuthnHooksOptions, true>;

/** Default {@link WebAuthnHooksOptions.challengeTtlMs}: 5 minutes, WebAuthn L3's recommended default ceremony timeout. */
export const DEFAULT_CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * Bounds of {@link WebAuthnHooksOptions.challengeTtlMs}, which is also the
 * `timeout` the browser is sent. WebAuthn L3 (§5.1.3, §5.1.4.1) recommends
 * 300 000 to 600 000 ms; up to an hour leaves room for users who need more
 * time (the spec's note on cognitive guidelines) while bounding how long an
 * unused challenge stays valid. Below a second no one can answer, and it is
 * most likely seconds given where milliseconds are meant.
 */
export const CHALLENGE_TTL_BOUNDS_MS = { min: 1_000, max: 60 * 60_000 } as const;

const COUNTER_POLICIES: readonly CounterRegressionPolicy[] = ['reject', 'allow'];

/** The store methods the hooks call, checked at creation rather than failing mid-ceremony. */
const STORE_METHODS = {
  challengeStore: ['save', 'take'],
  userStore: ['findById', 'findByName', 'create'],
  credentialStore: ['findById', 'listByUser', 'add', 'updateCounter'],
} as const;

function checkStore<T>(value: T | undefined, name: keyof typeof STORE_METHODS, fallback: () => T): T {
  if (value === undefined) return fallback();
  if (typeof value !== 'object' || value === null) throw configError(`options.${name} must be an object, got ${describeValue(value)}`);
  for (const method of STORE_METHODS[name]) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') throw configError(`options.${name} must have a ${method}() method`);
  }
  return value;
}

/**
 * The RP ID must be one a browser accepts on every configured origin, else
 * every ceremony fails in the browser (a SecurityError, nothing audited).
 * WebAuthn L3 §5.1.3 and §5.1.4.1: the RP ID must be "a registrable domain
 * suffix of or is equal to" the origin's effective domain (HTML), which is
 * the URL's host, lowercase ASCII. Without the public suffix list that
 * reduces to `host === rpID || host.endsWith('.' + rpID)`, which agrees with
 * the spec for every usable config; the one case it lets through is an RP
 * ID that is itself a public suffix (`co.uk`, `github.io`), which browsers
 * refuse and which would take a public-suffix-list dependency to detect.
 * An upper-case RP ID is refused: the host is always lowercase, so
 * `LOCALHOST` matched no origin in a browser.
 */
function checkRpIdFitsOrigins(rpID: string, origins: readonly string[]): void {
  const shown = JSON.stringify(rpID.slice(0, 253));
  if (rpID !== rpID.toLowerCase()) throw configError(`options.rpID ${shown} must be lowercase, as browsers compare it with the origin's host`);
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    if (host !== rpID && !host.endsWith(`.${rpID}`)) {
      throw configError(`options.rpID ${shown} must equal the host of options.origin "${origin.slice(0, 200)}" or be a domain it is under (WebAuthn L3 §5.1.3)`);
    }
  }
}

/**
 * Applies defaults and rejects unusable configuration early, with a typed
 * error (`WEBAUTHN_HOOKS_CONFIG`, `WEBAUTHN_HOOKS_INVALID_PROXY`): unknown
 * keys, and every value of the wrong type or outside its range. Only
 * `undefined` means "not given". The result is frozen, so what was checked
 * here is what the ceremonies use.
 */
export function resolveOptions(options: WebAuthnHooksOptions): ResolvedOptions {
  if (!isObject(options)) throw configError(`options must be an object, got ${describeValue(options)}`);
  refuseUnknownKeys(options, HOOKS_OPTION_KEYS, 'option');
  const o = options;
  if (typeof (o.audit as { emit?: unknown } | null | undefined)?.emit !== 'function') throw configError('options.audit must have an emit(draft) method');
  if (typeof o.rpName !== 'string' || o.rpName.trim() === '') throw configError('options.rpName is required (a non-empty string)');
  if (typeof o.rpID !== 'string' || o.rpID === '' || /[/:\s]/.test(o.rpID)) throw configError('options.rpID must be a bare domain such as "example.com"');
  const origins = Array.isArray(o.origin) ? [...(o.origin as unknown[])] : [o.origin];
  for (const origin of origins) {
    if (typeof origin !== 'string') throw configError(`options.origin must be a string or a list of strings, got ${describeValue(origin)}`);
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw configError(`options.origin "${origin.slice(0, 200)}" is not a URL`);
    }
    if (url.origin !== origin) throw configError(`options.origin "${origin.slice(0, 200)}" must be an origin (scheme://host[:port]), got a URL`);
  }
  if (origins.length === 0) throw configError('options.origin is required');
  checkRpIdFitsOrigins(o.rpID, origins as string[]);
  const { min, max } = CHALLENGE_TTL_BOUNDS_MS;
  const ttl = checkInteger(orDefault(o.challengeTtlMs, DEFAULT_CHALLENGE_TTL_MS), min, max, 'options.challengeTtlMs', ' (milliseconds)');
  optionalFunction(o.now, 'options.now');
  const now = checkedClock(orDefault(o.now, Date.now));
  // Read once now: a clock that is wrong from the start is refused here, not at the first ceremony.
  now();
  return Object.freeze({
    audit: o.audit,
    rpName: o.rpName,
    rpID: o.rpID,
    origins: origins as string[],
    proxies: trustedProxies(orDefault(o.trustedProxies, [])),
    userVerification: checkEnum(orDefault<unknown>(o.userVerification, 'required'), USER_VERIFICATION_REQUIREMENTS, 'options.userVerification'),
    counterRegression: checkEnum(orDefault<unknown>(o.counterRegression, 'reject'), COUNTER_POLICIES, 'options.counterRegression'),
    challengeTtlMs: ttl,
    challenges: checkStore(o.challengeStore, 'challengeStore', () => new MemoryChallengeStore()),
    users: checkStore(o.userStore, 'userStore', () => new MemoryUserStore()),
    credentials: checkStore(o.credentialStore, 'credentialStore', () => new MemoryCredentialStore()),
    now,
  });
}
