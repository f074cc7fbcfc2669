import type { KeyObject } from 'node:crypto';
import { describeValue, isObject, refuseUnknownKeys } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';
import { MAX_TIMEOUT_MS } from '../logger/options.js';
import { checkKid, keyFromEnv, parsePublicKey, parseSecret, refuseKidAsSecret, refusePathAsSecret } from './keys.js';

/** Cadence of a chain (docs/integrity.md defaults: 60 s checkpoints, 60 s or 10 000-record epochs). */
export interface SigningTiming {
  /** AUDIT_CHECKPOINT every this many ms, even when idle. Default 60 000. */
  checkpointIntervalMs?: number | undefined;
  /** The epoch key evolves after this many ms. Default 60 000. */
  epochIntervalMs?: number | undefined;
  /** ...or after this many records, whichever comes first. Default 10 000. */
  epochMaxEvents?: number | undefined;
}

/** Shared mode: a configured secret (>= 32 bytes) named by `kid`. */
export interface SharedSigningOptions extends SigningTiming {
  mode: 'shared';
  kid: string;
  /** Base64/base64url text or raw bytes; at least 32 bytes. */
  secret: string | Buffer;
}

/** Sealed (forward-secure) mode: a random root key per chain, wrapped to the verifier's X25519 public key. */
export interface SealedSigningOptions extends SigningTiming {
  mode: 'sealed';
  /** Names the verifier's key pair. */
  kid: string;
  /** PEM, raw base64/base64url, or a KeyObject. */
  publicKey: string | KeyObject;
}

/** How a logger signs its chain. */
export type SigningOptions = SharedSigningOptions | SealedSigningOptions;

/** {@link SigningOptions} after parsing keys and applying defaults. */
export interface ResolvedSigning {
  mode: 'shared' | 'sealed';
  kid: string;
  secret?: Buffer;
  publicKey?: KeyObject;
  checkpointIntervalMs: number;
  epochIntervalMs: number;
  epochMaxEvents: number;
}

/** Defaults from docs/integrity.md. */
export const SIGNING_DEFAULTS = { checkpointIntervalMs: 60_000, epochIntervalMs: 60_000, epochMaxEvents: 10_000 } as const;

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new AuditConfigError(`${name} must be a positive integer, got ${describeValue(value)}`);
  return v;
}

/**
 * A timer's interval: also at most MAX_TIMEOUT_MS. Node runs a longer
 * setInterval/setTimeout after 1 ms (TimeoutOverflowWarning), so a checkpoint
 * interval meant as "about never" wrote a checkpoint every millisecond, and
 * such an epoch interval woke the process every millisecond (found by a probe).
 */
function intervalMs(value: number | undefined, fallback: number, name: string): number {
  const v = positiveInt(value, fallback, name);
  if (v > MAX_TIMEOUT_MS) throw new AuditConfigError(`${name} must be at most ${MAX_TIMEOUT_MS} ms (about 24.8 days, the longest timer Node keeps), got ${v}`);
  return v;
}

/**
 * A mode that is none of the modes, as an error shows it: quoted when short
 * (a typo such as "hmac"), else only its length. A longer value is no typo
 * but another variable's value, often the secret itself (values swapped),
 * and its first characters reached the error, and so CI and container logs
 * (found by a probe). No shared secret (>= 32 bytes, 43 characters of
 * base64) is that short.
 */
function modeShown(mode: string): string {
  return mode.length <= 20 ? JSON.stringify(mode) : `a value of ${mode.length} characters (not shown: it may be a key)`;
}

/** The options of each mode; `satisfies` keeps them in step with the interfaces, so no documented option is refused. */
const TIMING_KEYS = { checkpointIntervalMs: true, epochIntervalMs: true, epochMaxEvents: true } as const satisfies Record<keyof SigningTiming, true>;
const MODE_KEYS = {
  shared: { ...TIMING_KEYS, mode: true, kid: true, secret: true } satisfies Record<keyof SharedSigningOptions, true>,
  sealed: { ...TIMING_KEYS, mode: true, kid: true, publicKey: true } satisfies Record<keyof SealedSigningOptions, true>,
} as const;

/**
 * Validates signing options and parses their keys. Throws
 * {@link AuditConfigError}: the mode first (it decides which options
 * exist), then any option the mode does not have (a misspelt
 * `checkpointIntervalMS` must not leave the default in force), then the
 * values.
 */
export function resolveSigning(opts: SigningOptions): ResolvedSigning {
  if (!isObject(opts)) throw new AuditConfigError(`signing must be an object of signing options, got ${describeValue(opts)}`);
  const mode: unknown = opts.mode;
  if (mode !== 'shared' && mode !== 'sealed') {
    throw new AuditConfigError(`signing mode must be "shared" or "sealed", got ${typeof mode === 'string' ? modeShown(mode) : describeValue(mode)}`);
  }
  refuseUnknownKeys(opts, MODE_KEYS[mode], `signing option (${mode} mode)`);
  const kid = checkKid(opts.kid);
  const timing = {
    checkpointIntervalMs: intervalMs(opts.checkpointIntervalMs, SIGNING_DEFAULTS.checkpointIntervalMs, 'checkpointIntervalMs'),
    epochIntervalMs: intervalMs(opts.epochIntervalMs, SIGNING_DEFAULTS.epochIntervalMs, 'epochIntervalMs'),
    epochMaxEvents: positiveInt(opts.epochMaxEvents, SIGNING_DEFAULTS.epochMaxEvents, 'epochMaxEvents'),
  };
  if (opts.mode === 'shared') {
    // Before parseSecret: a short path, or one with a `.`, got only "has 12 bytes" or "must be base64".
    refusePathAsSecret(kid, opts.secret);
    const secret = parseSecret(opts.secret, kid);
    refuseKidAsSecret(kid, opts.secret, secret);
    return { mode: 'shared', kid, secret, ...timing };
  }
  return { mode: 'sealed', kid, publicKey: parsePublicKey((opts as SealedSigningOptions).publicKey), ...timing };
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new AuditConfigError(`${name} must be a positive integer`);
  return Number(raw);
}

/**
 * Signing options from the environment, or undefined when
 * `AUDIT_TRAIL_SIGNING` is unset or `off`:
 *
 * - `AUDIT_TRAIL_SIGNING` = `shared` | `sealed` | `off`
 * - `AUDIT_TRAIL_KID` key id (rotate by giving new chains a new kid)
 * - shared: `AUDIT_TRAIL_SECRET` or `AUDIT_TRAIL_SECRET_FILE` (base64, >= 32 bytes;
 *   prefer the file, e.g. a Docker/Kubernetes secret mount)
 * - sealed: `AUDIT_TRAIL_SEAL_PUBLIC_KEY` or `AUDIT_TRAIL_SEAL_PUBLIC_KEY_FILE`
 * - `AUDIT_TRAIL_CHECKPOINT_INTERVAL_MS`, `AUDIT_TRAIL_EPOCH_INTERVAL_MS`, `AUDIT_TRAIL_EPOCH_MAX_EVENTS`
 */
export function signingFromEnv(env: NodeJS.ProcessEnv): SigningOptions | undefined {
  const mode = env.AUDIT_TRAIL_SIGNING;
  if (!mode || mode === 'off') return undefined;
  // The mode first: a misspelt mode is the mistake to name, not the key id it has not reached yet.
  if (mode !== 'shared' && mode !== 'sealed') throw new AuditConfigError(`AUDIT_TRAIL_SIGNING must be shared, sealed or off, got ${modeShown(mode)}`);
  const kid = env.AUDIT_TRAIL_KID;
  if (!kid) throw new AuditConfigError('AUDIT_TRAIL_SIGNING is set but AUDIT_TRAIL_KID is not');
  const timing = {
    checkpointIntervalMs: envInt(env, 'AUDIT_TRAIL_CHECKPOINT_INTERVAL_MS'),
    epochIntervalMs: envInt(env, 'AUDIT_TRAIL_EPOCH_INTERVAL_MS'),
    epochMaxEvents: envInt(env, 'AUDIT_TRAIL_EPOCH_MAX_EVENTS'),
  };
  if (mode === 'shared') {
    const secret = keyFromEnv(env, 'AUDIT_TRAIL_SECRET');
    if (!secret) throw new AuditConfigError('AUDIT_TRAIL_SIGNING=shared needs AUDIT_TRAIL_SECRET_FILE or AUDIT_TRAIL_SECRET');
    return { mode, kid, secret, ...timing };
  }
  const publicKey = keyFromEnv(env, 'AUDIT_TRAIL_SEAL_PUBLIC_KEY');
  if (!publicKey) throw new AuditConfigError('AUDIT_TRAIL_SIGNING=sealed needs AUDIT_TRAIL_SEAL_PUBLIC_KEY_FILE or AUDIT_TRAIL_SEAL_PUBLIC_KEY');
  return { mode, kid, publicKey, ...timing };
}
