export * from './constants.js';
export * from './fields/text.js';
export * from './fields/ip-text.js';
export * from './fields/formats.js';
export * from './fields/rfc3339.js';
export * from './envelope.js';
export * from './events/counter-status.js';
export * from './events/webauthn.js';
export * from './events/container.js';
export * from './events/chain.js';
export * from './audit-event.js';
export * from './parse.js';
export { duplicateName } from './json/duplicate-names.js';
export { loneSurrogateEscape, wellFormedJson } from './json/lone-surrogates.js';
export { nonIntegerLiteral } from './json/number-literals.js';
export { setOwnMember } from './json/own-member.js';
export * from './event-id.js';
export * from './table/columns.js';
export * from './table/ddl.js';
export * from './table/drift.js';
export { TableSqlError, type TableSqlErrorCode } from './table/table-sql-error.js';
export * from './draft.js';
export * from './draft-error.js';
export * from './examples.js';
export * from './table/queries.js';
export * from './table/query-params.js';
export * from './mappers/ocsf.js';
export * from './mappers/ecs.js';
export { OCSF_VERSION } from './mappers/ocsf-classes.js';
export * from './bounded-file.js';
export { fileErrorReason } from './file-error-reason.js';
export { mayBeSecret } from './may-be-secret.js';
/**
 * Types compiled from the published JSON Schema by json-schema-to-typescript,
 * for code that validates with JSON Schema rather than zod:
 * `import type { Json } from '@audit-trail/schema'; const e: Json.AuditEvent`.
 */
export type * as Json from './generated/audit-event.js';
