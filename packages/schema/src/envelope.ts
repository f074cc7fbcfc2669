import { z } from 'zod';
import { LOG_TYPE } from './constants.js';
import { base64url, ipAddress, utcTimestamp, uuidV7 } from './fields/formats.js';
import { freeText, identifier } from './fields/text.js';


/** OCSF `severity_id`: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal. */
export const severitySchema = z.int().min(1).max(6).meta({
  description: 'OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal',
});

/** Result of the audited action, from the producer's point of view (ECS `event.outcome`). */
export const outcomeSchema = z.enum(['success', 'failure', 'unknown']);

/** The service that wrote the event. */
export const producerSchema = z.strictObject({
  service: identifier(128, 'Logical service name (ECS service.name)'),
  version: identifier(64).optional(),
  sdk_version: identifier(32).optional(),
  instance: identifier(256, 'Host name or replica id of the process').optional(),
});

/**
 * Where the event happened: host and orchestrator placement. For WebAuthn
 * events it is the producer's own container; for container events it is the
 * container the event is about. Swarm values come from the task's system
 * labels (`com.docker.swarm.*`), Kubernetes values from the downward API.
 */
export const runtimeSchema = z.strictObject({
  host: identifier(256).optional(),
  container_id: z
    .string()
    .regex(/^[0-9a-f]{12,64}$/, { message: 'must be 12 to 64 lowercase hex characters' })
    .optional(),
  swarm_node: identifier(256).optional(),
  swarm_service: identifier(256).optional(),
  swarm_task_id: identifier(64).optional(),
  k8s_namespace: identifier(253).optional(),
  k8s_pod: identifier(253).optional(),
  k8s_container: identifier(253).optional(),
  k8s_node: identifier(253).optional(),
});

/** Ids that tie the event to a request, a trace (W3C Trace Context) or a session. */
export const correlationSchema = z.strictObject({
  request_id: identifier(128).optional(),
  trace_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/, { message: 'must be a W3C trace id (32 lowercase hex)' })
    .optional(),
  session_id: identifier(128).optional(),
});

/** What failed, for analysts: a stable code, a sanitised message, the library's error name. */
export const errorSchema = z.strictObject({
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/, { message: 'must be an UPPER_SNAKE_CASE code of at most 64 characters' }),
  message: freeText(512),
  type: identifier(128, 'Name of the error class, e.g. "Error"').optional(),
});

/** How `client_ip` was derived: the socket peer, or a header set by a trusted proxy. */
export const clientIpSourceSchema = z.enum(['socket', 'x-forwarded-for', 'forwarded', 'x-real-ip', 'transport']);

/**
 * Per-event tamper evidence (docs/integrity.md, format v1). `mac` is
 * HMAC-SHA256 over "audit-trail/v1\n" || JCS(event without integrity.mac)
 * (RFC 8785); `prev` is the previous record's mac, '' for seq 1.
 *
 * `prev` is '' exactly when `seq` is 1: the signer (logger
 * signing/chain-signer.ts) starts every chain, a new key id included, at
 * seq 1 with prev '' and links every later record to the 43-character mac
 * before it; nothing restarts a chain at a later seq. Runtime rule, and in
 * the JSON Schema as `if`/`then`/`else`. The verifier still judges the link
 * itself (CHAIN_BREAK): a record refused here stays in its chain there.
 */
export const integritySchema = z
  .strictObject({
    v: z.literal(1),
    alg: z.literal('HMAC-SHA256'),
    chain_id: uuidV7,
    seq: z.int().min(1),
    epoch: z.int().min(0),
    kid: identifier(64),
    prev: z.string().regex(/^(?:[A-Za-z0-9_-]{43})?$/, {
      message: "must be '' (seq 1) or the previous record's mac: a 32-byte HMAC in base64url (43 characters)",
    }),
    mac: base64url.length(43, { message: 'must be a 32-byte HMAC in base64url (43 characters)' }),
  })
  .check((ctx) => {
    const { seq, prev } = ctx.value;
    // A prev of another length already has the pattern's issue.
    if (seq === 1 ? prev.length !== 43 : prev !== '') return;
    ctx.issues.push({
      code: 'custom',
      path: ['prev'],
      input: prev,
      message: seq === 1 ? "must be '' at seq 1: the first record of a chain has no previous record" : `must be the mac of seq ${seq - 1} (43 characters), not '': only seq 1 has an empty prev`,
    });
  })
  .meta({
    if: { properties: { seq: { const: 1 } } },
    then: { properties: { prev: { const: '' } } },
    // `not const` rather than minLength, which Ajv's strict mode wants a `type` beside.
    else: { properties: { prev: { not: { const: '' } } } },
  });

/** Fields every audit event carries, whatever its type. */
export const envelopeShape = {
  event_id: uuidV7.meta({ description: 'UUIDv7 drawn by the producer; the idempotency key' }),
  log_type: z.literal(LOG_TYPE),
  schema_version: z.string().regex(/^1\.\d+\.\d+$/, { message: 'must be a 1.x.y schema version' }),
  event_time: utcTimestamp.meta({ description: 'When it happened, RFC 3339 UTC' }),
  outcome: outcomeSchema,
  severity: severitySchema,
  producer: producerSchema,
  runtime: runtimeSchema.optional(),
  correlation: correlationSchema.optional(),
  user_id: identifier(
    256,
    'Stable user id: opaque in events an app writes (never an e-mail address); in Kubernetes audit events the user name the API server authenticated, often an e-mail address',
  ).optional(),
  client_ip: ipAddress.optional(),
  client_ip_source: clientIpSourceSchema.optional(),
  peer_ip: ipAddress.optional().meta({ description: 'Address of the TCP peer (a proxy, or the client itself)' }),
  user_agent: freeText(1024).optional(),
  user_agent_truncated: z.boolean().optional(),
  error: errorSchema.optional(),
  integrity: integritySchema.optional(),
} as const;

/** The envelope alone (for documentation and tests). */
export const envelopeSchema = z.strictObject(envelopeShape);
