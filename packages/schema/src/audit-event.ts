import { z } from 'zod';
import type { EventType } from './constants.js';
import { chainCloseSchema, chainOpenSchema, checkpointSchema, schemaViolationSchema } from './events/chain.js';
import {
  containerExecSchema,
  containerPrivilegedSchema,
  containerStartSchema,
  containerStopSchema,
} from './events/container.js';
import {
  webauthnAuthFailureSchema,
  webauthnAuthSuccessSchema,
  webauthnCounterRegressionSchema,
  webauthnRegFailureSchema,
  webauthnRegSuccessSchema,
} from './events/webauthn.js';

/** The schema of each event type, keyed by its `event_type`. */
export const eventSchemas = {
  WEBAUTHN_REG_SUCCESS: webauthnRegSuccessSchema,
  WEBAUTHN_REG_FAILURE: webauthnRegFailureSchema,
  WEBAUTHN_AUTH_SUCCESS: webauthnAuthSuccessSchema,
  WEBAUTHN_AUTH_FAILURE: webauthnAuthFailureSchema,
  WEBAUTHN_COUNTER_REGRESSION: webauthnCounterRegressionSchema,
  CONTAINER_EXEC: containerExecSchema,
  CONTAINER_START: containerStartSchema,
  CONTAINER_STOP: containerStopSchema,
  CONTAINER_PRIVILEGED: containerPrivilegedSchema,
  AUDIT_CHAIN_OPEN: chainOpenSchema,
  AUDIT_CHECKPOINT: checkpointSchema,
  AUDIT_CHAIN_CLOSE: chainCloseSchema,
  AUDIT_SCHEMA_VIOLATION: schemaViolationSchema,
} as const satisfies Record<EventType, z.ZodType>;

/** Every audit event: a discriminated union on `event_type`. */
export const auditEventSchema = z
  .discriminatedUnion('event_type', [
    webauthnRegSuccessSchema,
    webauthnRegFailureSchema,
    webauthnAuthSuccessSchema,
    webauthnAuthFailureSchema,
    webauthnCounterRegressionSchema,
    containerExecSchema,
    containerStartSchema,
    containerStopSchema,
    containerPrivilegedSchema,
    chainOpenSchema,
    checkpointSchema,
    chainCloseSchema,
    schemaViolationSchema,
  ])
  .meta({ id: 'AuditEvent', description: 'A security audit event (any type)' });

/** A validated audit event. */
export type AuditEvent = z.output<typeof auditEventSchema>;

/** What a producer may pass in (before free-text fields are sanitised). */
export type AuditEventInput = z.input<typeof auditEventSchema>;

/** The validated event of one type, e.g. `EventOf<'WEBAUTHN_AUTH_FAILURE'>`. */
export type EventOf<T extends EventType> = z.output<(typeof eventSchemas)[T]>;

/** The input shape of one event type. */
export type EventInputOf<T extends EventType> = z.input<(typeof eventSchemas)[T]>;
