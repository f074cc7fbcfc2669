import { assignDefined, producerSchema, runtimeSchema } from '@audit-trail/schema';
import { describeValue } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';
import { resolveSigning, signingFromEnv, type SigningOptions } from '../signing/config.js';
import { AuditLogger } from './audit-logger.js';
import { LoggerCore } from './core.js';
import { DEFAULT_MAX_BUFFERED_BYTES, openDestination, type DestinationOption } from './destination.js';
import { checkOptions } from './options.js';
import { parseRedactPaths, removePaths } from './redact.js';
import { producerFromEnv, runtimeFromEnv, type RuntimeFields } from './runtime-env.js';

/** Version written to `producer.sdk_version`. */
export const SDK_VERSION = '0.1.0';

/** Options of {@link createAuditLogger}. Everything but `service` has a default. */
export interface AuditLoggerOptions {
  /** `producer.service`; else `AUDIT_TRAIL_SERVICE` or `OTEL_SERVICE_NAME`. Required one way or the other. */
  service?: string | undefined;
  /** `producer.version`; else `AUDIT_TRAIL_SERVICE_VERSION`. */
  version?: string | undefined;
  /** `producer.instance`; else `HOSTNAME` or os.hostname(). */
  instance?: string | undefined;
  /** Runtime fields, merged over those found in the environment; `false` reads none from the environment. */
  runtime?: RuntimeFields | false | undefined;
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Where lines go (default `'stdout'`). */
  destination?: DestinationOption | undefined;
  /** Synchronous writes for destinations the logger opens (default true: an emitted event survives a crash). */
  sync?: boolean | undefined;
  /**
   * Most bytes a destination may hold unwritten, from 64 KiB (default 64
   * MiB): one the logger opens (with the disk full, every later line was
   * kept for a retry, without bound), or a Node Writable you passed in (its
   * `writableLength`: a stalled socket kept every line). Lines beyond it are
   * dropped and counted, and the destination's failure says so (`onError`,
   * `flush()`, `close()`).
   */
  maxBufferedBytes?: number | undefined;
  /** End a destination you passed in on `close()` (default false; destinations the logger opened are always closed). */
  closeDestination?: boolean | undefined;
  /** Invalid input: `'record'` writes AUDIT_SCHEMA_VIOLATION (default), `'throw'` throws AuditValidationError. */
  onInvalid?: 'record' | 'throw' | undefined;
  /** Extra dotted paths removed from every event and censored in violation originals. */
  redact?: string[] | undefined;
  /** Chain signing (docs/integrity.md). Default: from `AUDIT_TRAIL_SIGNING` etc., else off. `false` forces off. */
  signing?: SigningOptions | false | undefined;
  /** Use the active OpenTelemetry span's trace id when none is bound (default true). */
  traceContext?: boolean | undefined;
  /** Bound of `flush()` in ms, 0 to 2^31 - 1 (default 5000). 0 waits for no I/O: see `AuditLogger.flush()`. */
  flushTimeoutMs?: number | undefined;
  /** Bound of `close()` in ms, 0 to 2^31 - 1 (default 5000). 0 waits for no I/O: see `AuditLogger.close()`. */
  closeTimeoutMs?: number | undefined;
  /** Errors from background checkpoints and the first failure of the destination, an AuditDestinationError (default: process.emitWarning). */
  onError?: ((err: Error) => void) | undefined;
  /** Clock (tests); must return a valid Date, checked once at creation and at every reading. */
  now?: (() => Date) | undefined;
}

function configIssues(what: string, issues: { path: PropertyKey[]; message: string }[]): AuditConfigError {
  return new AuditConfigError(`${what}: ${issues.map((i) => `${i.path.map(String).join('.') || '(root)'} ${i.message}`).join('; ')}`);
}

/**
 * The `now` option, checked at every reading: an Invalid Date (or a value
 * that is no Date) would otherwise surface as a RangeError from deep inside
 * `emit()` or the signer.
 */
function checkedClock(now: () => Date): () => Date {
  return () => {
    const d: unknown = now();
    if (d instanceof Date && !Number.isNaN(d.getTime())) return d;
    throw new AuditConfigError(`options.now returned ${describeValue(d)}; it must return a valid Date`);
  };
}

/**
 * Creates an audit logger on a pino destination. Writes one validated JSON
 * line per event (no pino keys), synchronously by default; signs a chain
 * when configured, starting with AUDIT_CHAIN_OPEN. Throws AuditConfigError
 * on unusable options (unknown keys and mistyped values included: a typo
 * must not silently fall back to a default), environment or keys.
 */
export function createAuditLogger(options: AuditLoggerOptions = {}): AuditLogger {
  checkOptions(options);
  const env = options.env ?? process.env;
  const redact = parseRedactPaths(options.redact);
  // A field given as undefined is not given (as everywhere in the options):
  // `runtime: { host: process.env.NODE_HOST }` without that variable must
  // leave AUDIT_TRAIL_HOST's value, not erase it (found by a probe).
  const found = options.runtime === false ? {} : assignDefined(runtimeFromEnv(env), options.runtime);
  // Redact paths apply to the producer and runtime the logger adds, not
  // only to drafts: `redact: ['producer.instance']` or `['runtime.host']`
  // left the host name in every event (found by a probe). Removed once
  // here, so the fast path's trusted envelope is already without them.
  const added = { producer: producerFromEnv(env, options, SDK_VERSION) as unknown, runtime: found as unknown };
  const own = redact.length ? removePaths(added, redact) : added;
  const afterRedact = redact.length ? ' (after the redact paths)' : '';
  const producer = producerSchema.safeParse(own.producer);
  if (!producer.success) throw configIssues(`producer (service, version, instance)${afterRedact}`, producer.error.issues);
  const runtime = runtimeSchema.safeParse(own.runtime ?? {});
  if (!runtime.success) throw configIssues(`runtime fields (options or environment)${afterRedact}`, runtime.error.issues);
  const signingOpts = options.signing === false ? undefined : (options.signing ?? signingFromEnv(env));
  const signing = signingOpts ? resolveSigning(signingOpts) : undefined;
  const now = options.now ? checkedClock(options.now) : undefined;
  // Read once now: a clock that is wrong from the start is refused here, not at the first emit().
  now?.();
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const dest = openDestination(options.destination, options.sync ?? true, maxBufferedBytes);
  // Frozen: validated here once, so the hot path may trust them (trusted-envelope.ts).
  const ctx = {
    producer: Object.freeze(producer.data),
    ...(Object.keys(runtime.data).length ? { runtime: Object.freeze(runtime.data) } : {}),
    ...(now ? { now } : {}),
  };
  const onError = options.onError ?? ((err: Error) => process.emitWarning(err.message, { code: 'AUDIT_TRAIL_BACKGROUND' }));
  const core = new LoggerCore(dest, ctx, signing, options.closeDestination ?? false, onError, maxBufferedBytes);
  return new AuditLogger(core, {
    onInvalid: options.onInvalid ?? 'record',
    redact,
    traceContext: options.traceContext ?? true,
    flushTimeoutMs: options.flushTimeoutMs ?? 5000,
    closeTimeoutMs: options.closeTimeoutMs ?? 5000,
  });
}
