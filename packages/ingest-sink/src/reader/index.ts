export type { AuditReader, ReadQuery, Row } from './reader.js';
export { openReader, type ReaderOptions } from './open-reader.js';
export { missingColumn } from './missing-column.js';
export { readStoredEvents, newestStoredTimes, type StoredEvent, type StoredOrder } from './stored-events.js';
export { openVerifySource, type StoredVerifyRecord, type VerifySource } from './verify-records.js';
