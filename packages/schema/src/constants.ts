/** Value of `log_type` on every audit line; how collectors tell audit lines from ordinary logs. */
export const LOG_TYPE = 'security_audit' as const;

/**
 * Version of the event schema, SemVer. A breaking change bumps the major;
 * consumers accept any `1.x.y`. It is also the path segment of every JSON
 * Schema `$id`, so a stored event names the exact schema it was written against.
 *
 * 1.1.0: `container.id` optional (a Kubernetes audit event names the pod and
 * the container's name, never its id) and `impersonated_user_id` on
 * CONTAINER_EXEC. An event of 1.1.0 may fail 1.0.0's JSON Schema, so it says
 * 1.1.0; every 1.0.0 event is valid 1.1.0.
 *
 * 1.2.0: `container.target`, the container a Kubernetes ephemeral container
 * (`kubectl debug --target`) joined, and the failure stage `username_taken`;
 * every 1.1.0 event is valid 1.2.0.
 *
 * 1.3.0: `process.command_line_truncated`, set when the command line was cut
 * (MAX_COMMAND_LINE_LENGTH); every 1.2.0 event is valid 1.3.0.
 */
export const SCHEMA_VERSION = '1.3.0' as const;

/**
 * Longest `process.command_line` kept, in UTF-16 code units after control
 * characters are escaped; a longer one is cut and `command_line_truncated`
 * set (parse.ts markTruncatedText).
 */
export const MAX_COMMAND_LINE_LENGTH = 4000;

/** Base of the `$id` of the published JSON Schemas (version in the path). */
export const SCHEMA_BASE_URI = `https://audit-trail.dev/schema/security-audit/v${SCHEMA_VERSION}` as const;

/** WebAuthn ceremony outcomes (W3C WebAuthn Level 3, §7.1 registration and §7.2 authentication). */
export const WEBAUTHN_EVENT_TYPES = [
  'WEBAUTHN_REG_SUCCESS',
  'WEBAUTHN_REG_FAILURE',
  'WEBAUTHN_AUTH_SUCCESS',
  'WEBAUTHN_AUTH_FAILURE',
  'WEBAUTHN_COUNTER_REGRESSION',
] as const;

/** Container runtime events (Docker events, Falco alerts, or the application itself). */
export const CONTAINER_EVENT_TYPES = [
  'CONTAINER_EXEC',
  'CONTAINER_START',
  'CONTAINER_STOP',
  'CONTAINER_PRIVILEGED',
] as const;

/** Records of the signed chain itself (docs/integrity.md) and of rejected input. */
export const CHAIN_EVENT_TYPES = ['AUDIT_CHAIN_OPEN', 'AUDIT_CHECKPOINT', 'AUDIT_CHAIN_CLOSE'] as const;

/** Every `event_type`, in a stable order (generated files and DDL depend on it). */
export const EVENT_TYPES = [
  ...WEBAUTHN_EVENT_TYPES,
  ...CONTAINER_EVENT_TYPES,
  ...CHAIN_EVENT_TYPES,
  'AUDIT_SCHEMA_VIOLATION',
] as const;

/** Union of all event type names. */
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Keys that a transport or pino adds around an event and that are not part of
 * it: they are neither validated nor signed (docs/integrity.md, "What is signed").
 */
export const TRANSPORT_FIELDS = ['level', 'time', 'pid', 'hostname', 'msg'] as const;
