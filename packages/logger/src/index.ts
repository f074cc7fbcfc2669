export { createAuditLogger, SDK_VERSION, type AuditLoggerOptions } from './logger/create.js';
export { AuditLogger, type BoundFields, type BoundKeys, type DraftOf, type FieldsOf, type ProducerDraft } from './logger/audit-logger.js';
export type { AuditBindings } from './logger/bindings.js';
export type { DestinationOption, LineStream } from './logger/destination.js';
export { runtimeFromEnv, type RuntimeFields } from './logger/runtime-env.js';
export { ALWAYS_REDACTED, CENSOR, REDACTED_NAME_PARTS } from './logger/redact.js';
export { AuditClosedError, AuditConfigError, AuditDestinationError, AuditError, AuditTimeoutError, AuditValidationError } from './errors.js';
export {
  signingFromEnv,
  SIGNING_DEFAULTS,
  type SealedSigningOptions,
  type SharedSigningOptions,
  type SigningOptions,
  type SigningTiming,
} from './signing/config.js';
export { generateSealingKeyPair } from './signing/seal.js';
export { mayBeSecret, readKeyFile } from './signing/keys.js';
export { MAC_PREFIX } from './signing/canonical.js';
export { defaultAsOf, verifyChain, verifyChainStream, verifyChainTwoPass } from './verify/verify-chain.js';
export { addVerifyKey, keysFromEnv, loadKeyringFile } from './verify/keyring.js';
export { iterateNdjson, ndjsonRecords, streamNdjson } from './verify/ndjson.js';
export { byteLines, MAX_LINE_BYTES, type ByteLine } from './verify/byte-lines.js';
export {
  FINDING_CODES,
  type ChainSummary,
  type Finding,
  type FindingCode,
  type VerifyKey,
  type VerifyKeys,
  type VerifyOptions,
  type VerifyRecord,
  type VerifyReport,
} from './verify/types.js';
