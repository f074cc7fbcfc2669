import type { ReceiverErrorCode } from './errors.js';

/**
 * Counters of one receiver. Every request, event and byte that arrives ends
 * in exactly one bucket: sent to the sink (accepted or rejected there), skipped
 * as non-audit or non-log (counted), buffered as a partial line, or part of a
 * bad frame (by error code). Exposed on the health endpoint.
 */
export interface ReceiverCounters {
  connections: number;
  activeConnections: number;
  refusedConnections: number;
  bytes: number;
  requests: number;
  heartbeats: number;
  ignoredValues: number;
  events: number;
  toSink: number;
  accepted: number;
  rejected: number;
  nonAudit: number;
  nonLogSignals: number;
  containerEvents: number;
  partialsBuffered: number;
  partialsReassembled: number;
  partialsExpired: number;
  /** Pieces taken back on start from the partial-line journal of an earlier run. */
  partialsRestored: number;
  /**
   * Pieces of a line already stored, sent again (the ack of the request
   * that completed it was lost); acked and not kept. They count in
   * `partialsBuffered` as they arrive, as every piece does.
   */
  partialsResent: number;
  acks: number;
  authFailures: number;
  invalidUtf8: number;
  sinkFailures: number;
  badFrames: number;
  badFramesByCode: Partial<Record<ReceiverErrorCode, number>>;
}

/** Fresh zeroed counters. */
export function newCounters(): ReceiverCounters {
  return {
    connections: 0,
    activeConnections: 0,
    refusedConnections: 0,
    bytes: 0,
    requests: 0,
    heartbeats: 0,
    ignoredValues: 0,
    events: 0,
    toSink: 0,
    accepted: 0,
    rejected: 0,
    nonAudit: 0,
    nonLogSignals: 0,
    containerEvents: 0,
    partialsBuffered: 0,
    partialsReassembled: 0,
    partialsExpired: 0,
    partialsRestored: 0,
    partialsResent: 0,
    acks: 0,
    authFailures: 0,
    invalidUtf8: 0,
    sinkFailures: 0,
    badFrames: 0,
    badFramesByCode: {},
  };
}

/** Counts one bad frame under its code. */
export function countBadFrame(c: ReceiverCounters, code: ReceiverErrorCode): void {
  c.badFrames++;
  c.badFramesByCode[code] = (c.badFramesByCode[code] ?? 0) + 1;
}
