import { z } from 'zod';
import { envelopeShape, integritySchema } from '../envelope.js';
import { base64url } from '../fields/formats.js';
import { freeText } from '../fields/text.js';

/**
 * The chain's root key wrapped to the verifier's X25519 public key (sealed
 * mode, docs/integrity.md "Keys"): ephemeral X25519 ECDH (RFC 7748), HKDF-SHA256
 * (RFC 5869), AES-256-GCM. Only the holder of the private key can unwrap.
 */
export const wrappedKeySchema = z.strictObject({
  alg: z.literal('X25519-HKDF-SHA256-A256GCM'),
  epk: base64url.length(43, { message: 'must be a 32-byte X25519 public key in base64url' }),
  iv: base64url.length(16, { message: 'must be a 12-byte IV in base64url' }),
  ct: base64url.length(43, { message: 'must be a 32-byte wrapped key in base64url' }),
  tag: base64url.length(22, { message: 'must be a 16-byte GCM tag in base64url' }),
});

/** Parameters a chain declares in its first record; binding for the whole chain. */
export const chainOpenDetailSchema = z.strictObject({
  mode: z.enum(['shared', 'sealed']),
  checkpoint_interval_ms: z.int().min(1),
  epoch_interval_ms: z.int().min(1),
  epoch_max_events: z.int().min(1),
  wrapped_key: wrappedKeySchema.optional(),
});

/** What a checkpoint or close states about the records before it. */
export const chainMarkDetailSchema = z.strictObject({
  last_seq: z.int().min(0).meta({ description: 'seq of the record written just before this one (0: none)' }),
  records: z.int().min(0).meta({ description: 'records written in this chain before this one' }),
  reason: freeText(128).optional(),
});

const signed = { ...envelopeShape, integrity: integritySchema };

/** Record 1 of every signed chain. */
export const chainOpenSchema = z
  .strictObject({ ...signed, event_type: z.literal('AUDIT_CHAIN_OPEN'), chain: chainOpenDetailSchema })
  .meta({ id: 'AuditChainOpen', description: 'First record of a signed chain' });

/** Written every checkpoint interval, even when idle, so a truncated tail shows. */
export const checkpointSchema = z
  .strictObject({ ...signed, event_type: z.literal('AUDIT_CHECKPOINT'), chain: chainMarkDetailSchema })
  .meta({ id: 'AuditCheckpoint', description: 'Periodic checkpoint of a signed chain' });

/** Written on graceful shutdown; nothing follows it in the chain. */
export const chainCloseSchema = z
  .strictObject({ ...signed, event_type: z.literal('AUDIT_CHAIN_CLOSE'), chain: chainMarkDetailSchema })
  .meta({ id: 'AuditChainClose', description: 'Last record of a signed chain' });

/** One problem found in an event that did not pass the schema. */
export const violationIssueSchema = z.strictObject({
  path: freeText(256),
  message: freeText(256),
});

/**
 * Stands in for an event the producer tried to log but that failed the
 * schema: nothing disappears, the issues and the redacted original are kept.
 */
export const schemaViolationSchema = z
  .strictObject({
    ...envelopeShape,
    event_type: z.literal('AUDIT_SCHEMA_VIOLATION'),
    violation: z.strictObject({
      attempted_event_type: freeText(64).optional(),
      issues: z.array(violationIssueSchema).max(50),
      original: freeText(16_384, 'The redacted original as JSON text'),
    }),
  })
  .meta({ id: 'AuditSchemaViolation', description: 'A producer tried to log an event that failed validation' });
