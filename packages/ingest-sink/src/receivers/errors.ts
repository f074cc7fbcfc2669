/**
 * Why a receiver refused input. Every refusal closes the offending connection
 * (forward) or drops the frame (syslog) with this code in the log line and in
 * the `badFrames` counter, so nothing is refused silently.
 */
export type ReceiverErrorCode =
  | 'MSGPACK_INVALID'
  | 'MSGPACK_TOO_DEEP'
  | 'MSGPACK_TOO_LARGE'
  | 'REQUEST_TOO_LARGE'
  | 'REQUEST_TRUNCATED'
  | 'DECOMPRESSED_TOO_LARGE'
  | 'TOO_MANY_ENTRIES'
  | 'BAD_REQUEST'
  | 'BAD_COMPRESSION'
  | 'AUTH_FAILED'
  | 'HANDSHAKE_INVALID'
  | 'HANDSHAKE_TIMEOUT'
  | 'SYSLOG_INVALID'
  | 'FRAME_TOO_LARGE'
  | 'SINK_FAILED'
  | 'TOO_MANY_CONNECTIONS'
  | 'SERVER_BUSY';

/** A typed receiver error: `code` names the rule, `message` is safe to log (no payload bytes). */
export class ReceiverError extends Error {
  override name = 'ReceiverError';
  constructor(
    readonly code: ReceiverErrorCode,
    message: string,
  ) {
    super(message);
  }
}
