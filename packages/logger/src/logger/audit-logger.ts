import {
  assignDefined,
  unreadableInputIssue,
  type AuditEvent,
  type AuditEventDraft,
  type AuditIssue,
  type CHAIN_EVENT_TYPES,
  type EventOf,
} from '@audit-trail/schema';
import { AuditValidationError } from '../errors.js';
import { mergeBindings, type AuditBindings } from './bindings.js';
import type { LoggerCore } from './core.js';
import { checkTimeout } from './options.js';
import { removePaths, type RedactPath } from './redact.js';
import { activeTraceId } from './trace-context.js';
import { validateDraft, type DraftResult } from './validate.js';
import { violationDraft } from './violation.js';

/** A draft of any event type a producer may write: every type but the chain records. */
export type ProducerDraft = Exclude<AuditEventDraft, { event_type: (typeof CHAIN_EVENT_TYPES)[number] }>;

/** The draft of one event type, e.g. `DraftOf<'WEBAUTHN_AUTH_FAILURE'>`. */
export type DraftOf<T extends AuditEventDraft['event_type']> = Extract<AuditEventDraft, { event_type: T }>;
/** What a typed helper takes: the draft without `event_type`. */
export type FieldsOf<T extends AuditEventDraft['event_type']> = Omit<DraftOf<T>, 'event_type'>;

/**
 * Draft fields `F` with those a child logger binds (`B`) made optional: the
 * bound value fills them in, and a value given in the draft wins.
 * Distributes over unions, so each event type keeps its own fields.
 */
export type BoundFields<F, B extends keyof AuditBindings> = [B] extends [never] ? F : F extends unknown ? Omit<F, B> & Partial<Pick<F, Extract<B, keyof F>>> : never;

/** The keys of bindings `C` that certainly hold a value (an optional or undefined one binds nothing). */
export type BoundKeys<C extends AuditBindings> = Extract<{ [K in keyof C]-?: undefined extends C[K] ? never : K }[keyof C], keyof AuditBindings>;

/** Settings shared by a logger and its children. */
export interface LoggerSettings {
  onInvalid: 'record' | 'throw';
  redact: readonly RedactPath[];
  traceContext: boolean;
  flushTimeoutMs: number;
  closeTimeoutMs: number;
}

/**
 * Writes validated security audit events, one JSON line each. Create with
 * `createAuditLogger()`; `child()` derives a logger with bound context that
 * shares the destination and the signed chain. `B` names the fields its
 * bindings fill in, which its drafts may then leave out.
 */
export class AuditLogger<B extends keyof AuditBindings = never> {
  /** @internal use createAuditLogger() */
  constructor(
    private readonly core: LoggerCore,
    private readonly settings: LoggerSettings,
    /** Context bound to every event of this logger. */
    readonly bindings: Readonly<AuditBindings> = {},
  ) {
    this.unbound = Object.keys(bindings).length === 0;
  }

  /** No bindings: events need no merge. */
  private readonly unbound: boolean;

  /** Id of the signed chain this logger writes to, or undefined when unsigned. */
  get chainId(): string | undefined {
    return this.core.signer?.chainId;
  }

  /**
   * Completes, validates, signs (when configured) and writes one event, and
   * returns what was written. Invalid input becomes an AUDIT_SCHEMA_VIOLATION
   * record (returned), or an {@link AuditValidationError} with
   * `onInvalid: 'throw'`. The chain records (AUDIT_CHAIN_OPEN,
   * AUDIT_CHECKPOINT, AUDIT_CHAIN_CLOSE) are the logger's own: their types
   * are not accepted here, and validateDraft refuses them at run time.
   */
  emit(draft: BoundFields<ProducerDraft, B>): AuditEvent {
    return this.emitDraft(draft as AuditEventDraft, false);
  }

  /** `fresh`: the draft is a new plain object literal of the typed helpers, so prepare() need not copy it. */
  private emitDraft(draft: AuditEventDraft, fresh: boolean): AuditEvent {
    this.core.assertOpen();
    let result: DraftResult;
    try {
      const prepared = this.prepare(draft, fresh);
      // prepare() returns the helper's own literal or a copy it made: either way a fresh object.
      result = validateDraft(prepared, this.core.ctx, fresh || prepared !== draft, !this.core.signer);
    } catch (err) {
      // A draft that throws when read (a getter, a revoked Proxy, an ownKeys
      // trap) is invalid input like any other: it becomes a violation record,
      // as parseAuditEvent makes it an issue, never an exception out of a
      // login handler (found by a probe: emit() threw and wrote nothing).
      result = { ok: false, issues: [unreadableInputIssue(err)] };
    }
    if (result.ok) return this.core.write(result.event, result.line);
    return this.refuse(draft, result.issues, result.eventType);
  }

  /**
   * A typed helper's event: its fields with the helper's event_type. The
   * copy reads the fields, so a getter or Proxy trap that throws is invalid
   * input here as in emit(), recorded (or thrown as AuditValidationError),
   * never its own exception out of a login handler (found by a probe).
   */
  private emitFields(type: AuditEventDraft['event_type'], fields: unknown): AuditEvent {
    this.core.assertOpen();
    let draft: AuditEventDraft;
    try {
      draft = { ...(fields as object), event_type: type } as AuditEventDraft;
    } catch (err) {
      return this.refuse(fields, [unreadableInputIssue(err)], type);
    }
    return this.emitDraft(draft, true);
  }

  /** Invalid input: AuditValidationError with `onInvalid: 'throw'`, else an AUDIT_SCHEMA_VIOLATION record of it. */
  private refuse(input: unknown, issues: AuditIssue[], eventType: string | undefined): AuditEvent {
    if (this.settings.onInvalid === 'throw') throw new AuditValidationError(issues, eventType);
    // The bound context goes through the redact paths too: a deployment that
    // removes client_ip from every event must not log it in a violation record.
    const context = this.settings.redact.length ? removePaths(this.context(), this.settings.redact) : this.context();
    const fallback = validateDraft(violationDraft(input, issues, this.settings.redact, context, eventType), this.core.ctx);
    if (!fallback.ok) throw new AuditValidationError(issues, eventType);
    return this.core.write(fallback.event);
  }

  /** Bound context as draft fields, with the active OpenTelemetry trace id when none is bound. */
  private context(): Record<string, unknown> {
    const ctx: Record<string, unknown> = { ...this.bindings };
    if (this.settings.traceContext && !this.bindings.correlation?.trace_id) {
      const traceId = activeTraceId();
      if (traceId) ctx.correlation = { ...this.bindings.correlation, trace_id: traceId };
    }
    return ctx;
  }

  private prepare(draft: AuditEventDraft, fresh: boolean): unknown {
    if (typeof draft !== 'object' || draft === null || Array.isArray(draft)) return draft;
    // Nothing to merge or remove: a helper's fresh literal is already what
    // the copy below would make (own enumerable keys of a plain object).
    if (fresh && this.unbound && !this.settings.redact.length && !(this.settings.traceContext && activeTraceId())) return draft;
    return this.merge(draft);
  }

  private merge(draft: AuditEventDraft): Record<string, unknown> {
    const ctx = this.context();
    const d = draft as Record<string, unknown>;
    // A draft's `undefined` is no value: `{ client_ip: req.ip }` with no
    // address, or `{ user_id: session?.user }`, erased the bound client_ip
    // or user_id with a spread (found by a probe).
    const merged = assignDefined({ ...ctx }, d);
    if (ctx.correlation && d.correlation && typeof d.correlation === 'object') merged.correlation = assignDefined({ ...(ctx.correlation as object) }, d.correlation);
    if (ctx.runtime && d.runtime && typeof d.runtime === 'object') merged.runtime = assignDefined({ ...(ctx.runtime as object) }, d.runtime);
    return this.settings.redact.length ? removePaths(merged, this.settings.redact) : merged;
  }

  /**
   * A logger whose events carry `bindings` (validated now; throws
   * {@link AuditValidationError}, and AuditClosedError once `close()` has
   * begun). Same destination and chain. Its drafts may leave out the fields
   * bound here or by its parent.
   */
  child<C extends AuditBindings>(bindings: C): AuditLogger<B | BoundKeys<C>> {
    // A child of a closed logger could write nothing: say so where it is made.
    this.core.assertOpen();
    return new AuditLogger<B | BoundKeys<C>>(this.core, this.settings, mergeBindings(this.bindings, bindings));
  }

  /** A passkey was registered (WEBAUTHN_REG_SUCCESS). */
  webauthnRegSuccess(fields: BoundFields<FieldsOf<'WEBAUTHN_REG_SUCCESS'>, B>): EventOf<'WEBAUTHN_REG_SUCCESS'> {
    return this.emitFields('WEBAUTHN_REG_SUCCESS', fields) as EventOf<'WEBAUTHN_REG_SUCCESS'>;
  }
  /** A registration ceremony failed (WEBAUTHN_REG_FAILURE). */
  webauthnRegFailure(fields: BoundFields<FieldsOf<'WEBAUTHN_REG_FAILURE'>, B>): EventOf<'WEBAUTHN_REG_FAILURE'> {
    return this.emitFields('WEBAUTHN_REG_FAILURE', fields) as EventOf<'WEBAUTHN_REG_FAILURE'>;
  }
  /** A passkey sign-in succeeded (WEBAUTHN_AUTH_SUCCESS). */
  webauthnAuthSuccess(fields: BoundFields<FieldsOf<'WEBAUTHN_AUTH_SUCCESS'>, B>): EventOf<'WEBAUTHN_AUTH_SUCCESS'> {
    return this.emitFields('WEBAUTHN_AUTH_SUCCESS', fields) as EventOf<'WEBAUTHN_AUTH_SUCCESS'>;
  }
  /** A passkey sign-in failed (WEBAUTHN_AUTH_FAILURE). */
  webauthnAuthFailure(fields: BoundFields<FieldsOf<'WEBAUTHN_AUTH_FAILURE'>, B>): EventOf<'WEBAUTHN_AUTH_FAILURE'> {
    return this.emitFields('WEBAUTHN_AUTH_FAILURE', fields) as EventOf<'WEBAUTHN_AUTH_FAILURE'>;
  }
  /** The signature counter did not increase: possible cloned authenticator (WEBAUTHN_COUNTER_REGRESSION). */
  webauthnCounterRegression(fields: BoundFields<FieldsOf<'WEBAUTHN_COUNTER_REGRESSION'>, B>): EventOf<'WEBAUTHN_COUNTER_REGRESSION'> {
    return this.emitFields('WEBAUTHN_COUNTER_REGRESSION', fields) as EventOf<'WEBAUTHN_COUNTER_REGRESSION'>;
  }
  /** A process or shell ran in a container (CONTAINER_EXEC). */
  containerExec(fields: BoundFields<FieldsOf<'CONTAINER_EXEC'>, B>): EventOf<'CONTAINER_EXEC'> {
    return this.emitFields('CONTAINER_EXEC', fields) as EventOf<'CONTAINER_EXEC'>;
  }
  /** A container started (CONTAINER_START). */
  containerStart(fields: BoundFields<FieldsOf<'CONTAINER_START'>, B>): EventOf<'CONTAINER_START'> {
    return this.emitFields('CONTAINER_START', fields) as EventOf<'CONTAINER_START'>;
  }
  /** A container stopped (CONTAINER_STOP). */
  containerStop(fields: BoundFields<FieldsOf<'CONTAINER_STOP'>, B>): EventOf<'CONTAINER_STOP'> {
    return this.emitFields('CONTAINER_STOP', fields) as EventOf<'CONTAINER_STOP'>;
  }
  /** A privileged container was started (CONTAINER_PRIVILEGED). */
  containerPrivileged(fields: BoundFields<FieldsOf<'CONTAINER_PRIVILEGED'>, B>): EventOf<'CONTAINER_PRIVILEGED'> {
    return this.emitFields('CONTAINER_PRIVILEGED', fields) as EventOf<'CONTAINER_PRIVILEGED'>;
  }

  /** Writes an AUDIT_CHECKPOINT now (signed loggers; the timer also does this every interval). */
  checkpoint(): AuditEvent | undefined {
    this.core.assertOpen();
    return this.core.checkpoint('requested');
  }

  /**
   * Opens the destination's file path again, after a rename-and-create
   * rotation (logrotate's default, then `kill -HUP`): lines written until
   * the new file is open go to the renamed one, none are lost. A signed
   * logger then writes a checkpoint (reason `reopen`) into the new file;
   * `audit-trail verify old new` reads the chain across both. Rejects with
   * AuditConfigError when the destination is not a file path (stdout,
   * stderr, a descriptor, a stream you passed in), with
   * AuditDestinationError when the path cannot be opened (lines go on to the
   * file as it was), and AuditClosedError once `close()` has begun.
   *
   * @example
   * process.on('SIGHUP', () => audit.reopen().catch((err) => console.error(err.message)));
   */
  async reopen(): Promise<void> {
    return this.core.reopen();
  }

  /**
   * Waits until written lines have left the process; rejects with
   * AuditTimeoutError after `timeoutMs` (0 to 2^31 - 1 ms; 0 waits for no
   * I/O, so only a flush of a synchronous destination beats it), with
   * AuditClosedError once `close()` has begun (close() flushes: await it
   * instead), and with AuditConfigError for an unusable `timeoutMs`.
   * Async, so misuse rejects rather than throws: `flush().catch(...)` sees it.
   */
  async flush(timeoutMs: number = this.settings.flushTimeoutMs): Promise<void> {
    return this.core.flush(checkTimeout(timeoutMs, 'flush() timeoutMs'));
  }

  /**
   * Graceful shutdown: writes AUDIT_CHAIN_CLOSE (signed loggers), flushes and
   * closes a destination the logger opened. Bounded by `timeoutMs`
   * (AuditTimeoutError; 0 to 2^31 - 1 ms). 0 still closes (the CLOSE record
   * is written and the key erased at once) but waits for no I/O, so it
   * rejects with AuditTimeoutError unless nothing was left to wait for.
   * Closes the whole chain, children included; idempotent. An unusable
   * `timeoutMs` rejects with AuditConfigError before anything is closed:
   * rejects, not throws, so `close(ms).catch(...)` in a SIGTERM handler sees it.
   */
  async close(timeoutMs: number = this.settings.closeTimeoutMs): Promise<void> {
    return this.core.close(checkTimeout(timeoutMs, 'close() timeoutMs'));
  }
}
