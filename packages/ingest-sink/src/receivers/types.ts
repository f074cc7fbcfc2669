import type { TransportMeta } from '@audit-trail/schema';

/** One item handed to the sink: the event line exactly as received, plus what the transport knows. */
export interface SinkItem {
  line: string;
  meta?: Omit<TransportMeta, 'raw'>;
  source?: string;
  /** Store the line as a reject with this reason, unvalidated (see the sink's WriteItem). */
  reject?: string;
}

/** What the sink reports for one write: events stored, and inputs recorded as rejects. */
export interface SinkReceipt {
  accepted: number;
  rejected: number;
}

/**
 * The part of the sink the receivers use (contract in the team preamble):
 * `write` resolves only when every item is durable (spool fsync or database
 * commit, rejects recorded) and rejects otherwise. Receivers ack after it
 * resolves and never before.
 */
export interface EventSink {
  write(items: SinkItem[]): Promise<SinkReceipt>;
}

/** A structured log entry of the aggregator's own operation (written as one JSON line). */
export interface ReceiverLogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  [key: string]: unknown;
}

/** Where receivers report what they do. Never given payload bytes or secrets. */
export type ReceiverLog = (entry: ReceiverLogEntry) => void;

/** A log function that drops everything. */
export const silentLog: ReceiverLog = () => {};
