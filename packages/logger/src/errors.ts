import type { AuditIssue } from '@audit-trail/schema';

/** Base class of every error this package throws; `code` is stable, `message` is for humans. */
export class AuditError extends Error {
  override name = 'AuditError';
  constructor(
    /** Stable machine-readable code, e.g. `AUDIT_VALIDATION`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An event (or child binding) failed the schema. Thrown by `emit()` and the
 * typed helpers when the logger was created with `onInvalid: 'throw'`.
 */
export class AuditValidationError extends AuditError {
  override name = 'AuditValidationError';
  constructor(
    /** Every reason the input was refused, with dotted paths. */
    readonly issues: AuditIssue[],
    /** The `event_type` the caller tried to write, when it was a string. */
    readonly eventType?: string,
  ) {
    super(
      'AUDIT_VALIDATION',
      `invalid audit event${eventType ? ` ${JSON.stringify(eventType.slice(0, 64))}` : ''}: ` +
        issues
          .slice(0, 5)
          .map((i) => `${i.path || '(root)'}: ${i.message}`)
          .join('; '),
    );
  }
}

/** Logger options, environment variables or key material are unusable. */
export class AuditConfigError extends AuditError {
  override name = 'AuditConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('AUDIT_CONFIG', message, options);
  }
}

/**
 * The destination failed (a file that could not be opened, a full disk, a
 * closed pipe): lines written from then on may be lost. Passed to `onError`
 * when it happens, and the reason `flush()` and `close()` reject. `cause` is
 * the system error.
 */
export class AuditDestinationError extends AuditError {
  override name = 'AuditDestinationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('AUDIT_DESTINATION', message, options);
  }
}

/** `emit()` after `close()`: the chain is closed, nothing more can be written to it. */
export class AuditClosedError extends AuditError {
  override name = 'AuditClosedError';
  constructor() {
    super('AUDIT_LOGGER_CLOSED', 'the audit logger is closed');
  }
}

/** `flush()` or `close()` did not finish within its time bound. */
export class AuditTimeoutError extends AuditError {
  override name = 'AuditTimeoutError';
  constructor(what: string, ms: number) {
    super('AUDIT_TIMEOUT', `${what} did not finish within ${ms} ms; buffered audit lines may be lost`);
  }
}
