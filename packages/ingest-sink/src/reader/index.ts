export type { AuditReader, ReadQuery, Row } from './reader.js';
export { openReader } from './open-reader.js';
export { readStoredEvents, type StoredEvent } from './stored-events.js';
export { streamVerifyRecords, type StoredVerifyRecord } from './verify-records.js';
