export type { AuditReader, ReadQuery, Row } from './reader.js';
export { openReader } from './open-reader.js';
export { readStoredEvents, newestStoredTimes, type StoredEvent, type StoredOrder } from './stored-events.js';
export { storedVerifyTimes, streamVerifyRecords, type StoredVerifyRecord } from './verify-records.js';
