import { EVENTS_TABLE } from '@audit-trail/schema';
import type { Connection } from '../sink/connection.js';
import { openReader } from './open-reader.js';
import type { Row } from './reader.js';
import { newestStoredTimes, readStoredEvents, type StoredOrder } from './stored-events.js';

/** A stored event in the shape `verifyChain` takes (@audit-trail/logger `VerifyRecord`). */
export interface StoredVerifyRecord {
  /** `event_json`: the event exactly as received, which the MAC covers. */
  event: string;
  /** `security_audit_events id=N`, so a finding names the row. */
  location: string;
  /** Every stored column, so projection columns can be compared with the signed JSON. */
  columns: Row;
  /** `ingested_at`: when the database stored it (the verifier's settle time judges arrival by it too). */
  storedAt?: Date | string;
}

/**
 * Every row of the events table for `verify --db`, a page at a time, as the
 * verifier takes them (`verifyChainStream`): memory holds one page, not the
 * table. The verifier checks the MAC over `event_json` and compares the
 * analyst-facing columns with it (PROJECTION_MISMATCH), so an edit of either
 * is found. With `order: "chain"` the rows come chain after chain
 * (readStoredEvents), for `verifyChainStream` with `order: "chain"`, which
 * then keeps no record once its chain is judged. The connection is closed
 * when the stream ends or is abandoned.
 */
export async function* streamVerifyRecords(target: string | Connection, options: { order?: StoredOrder } = {}): AsyncGenerator<StoredVerifyRecord> {
  const reader = await openReader(target);
  try {
    for await (const row of readStoredEvents(reader, 5000, options.order)) {
      const stored = row.columns.ingested_at;
      yield { event: row.eventJson, location: `${EVENTS_TABLE} id=${row.id}`, columns: row.columns, ...(stored instanceof Date || typeof stored === 'string' ? { storedAt: stored } : {}) };
    }
  } finally {
    await reader.close();
  }
}

/**
 * The newest `event_timestamp` and `ingested_at` in the events table: the
 * reference times (`asOf`, `storedAsOf`) a verifier reading chain after
 * chain needs before its first record. Undefined for an empty table.
 */
export async function storedVerifyTimes(target: string | Connection): Promise<{ event?: Date; stored?: Date }> {
  const reader = await openReader(target);
  try {
    return await newestStoredTimes(reader);
  } finally {
    await reader.close();
  }
}
