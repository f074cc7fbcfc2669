import { EVENTS_TABLE } from '@audit-trail/schema';
import type { Connection } from '../sink/connection.js';
import { SinkError } from '../sink/errors.js';
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

/** The stored chains, read for a verifier from one snapshot: see {@link openVerifySource}. */
export interface VerifySource {
  /**
   * The newest `event_timestamp` and `ingested_at` of the snapshot: the
   * reference times (`asOf`, `storedAsOf`) a verifier reading chain after
   * chain needs before its first record. Undefined for an empty table.
   */
  times: { event?: Date; mark?: Date; stored?: Date };
  /** Whether `times` and `records()` read one snapshot (`AuditReader.snapshot`); false on SQL Server. */
  consistent: boolean;
  /** Every row, a page at a time; once. */
  records(): AsyncGenerator<StoredVerifyRecord>;
  /** Ends the snapshot and closes the connection (also done when `records()` ends or is abandoned). */
  close(): Promise<void>;
}

/**
 * Opens the events table for `verify --db`: one connection and one snapshot
 * (PostgreSQL, SQLite), so the reference times read first and the rows read
 * after agree while producers keep writing; a row committed meanwhile is not
 * half seen (read in a later chain, newer than the as-of time). The rows come
 * a page at a time, as the verifier takes them (`verifyChainStream`): memory
 * holds one page, not the table. The verifier checks the MAC over
 * `event_json` and compares the analyst-facing columns with it
 * (PROJECTION_MISMATCH), so an edit of either is found. With `order:
 * "chain"` the rows come chain after chain (readStoredEvents), for
 * `verifyChainStream` with `order: "chain"`, which then keeps no record once
 * its chain is judged.
 */
export async function openVerifySource(target: string | Connection, options: { order?: StoredOrder | undefined; pageSize?: number | undefined } = {}): Promise<VerifySource> {
  const reader = await openReader(target, { snapshot: true });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= reader.close());
  let times: VerifySource['times'];
  try {
    times = await newestStoredTimes(reader);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  let started = false;
  return {
    times,
    consistent: reader.snapshot === true,
    async *records() {
      if (started) throw new SinkError('SINK_BAD_OPTION', 'records() of a verify source can be read once');
      started = true;
      try {
        for await (const row of readStoredEvents(reader, options.pageSize ?? 5000, options.order)) {
          const stored = row.columns.ingested_at;
          yield { event: row.eventJson, location: `${EVENTS_TABLE} id=${row.id}`, columns: row.columns, ...(stored instanceof Date || typeof stored === 'string' ? { storedAt: stored } : {}) };
        }
      } finally {
        await close();
      }
    },
    close,
  };
}
