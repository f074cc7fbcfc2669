import type { ReceiverLogEntry } from '@audit-trail/ingest-sink';
import type { CommandIo } from '../command.js';

/** Values of `AUDIT_TRAIL_DEBUG` that mean "off", compared case-insensitively. */
const OFF = new Set(['', '0', 'false', 'no', 'off']);

/**
 * Whether `AUDIT_TRAIL_DEBUG` asks for debug lines. Unset, empty, `0`, `false`, `no` and `off` are
 * off, anything else on: an operator who writes `AUDIT_TRAIL_DEBUG=0` in a compose file means off,
 * and debug lines (one per peer reset) can flood a log pipeline.
 */
export function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  const v = env.AUDIT_TRAIL_DEBUG;
  return v !== undefined && !OFF.has(v.trim().toLowerCase());
}

/**
 * Writes one JSON log line (the aggregator's own operation) to stderr; debug
 * lines only when {@link debugEnabled}. A stderr that fails (its reader gone:
 * `serve 2>&1 | logger` with the logger restarted, a log pipeline that exits)
 * ends the log, not the aggregator: Node ignores SIGPIPE and reports EPIPE as
 * an 'error' event, which unhandled exited the process at its next log line
 * (found by a probe), leaving the agents' requests unacked. The events' path
 * does not depend on the log.
 */
export function jsonLogger(io: CommandIo): (e: ReceiverLogEntry) => void {
  const debug = debugEnabled(io.env);
  let gone = false;
  io.stderr.on('error', () => {
    gone = true;
  });
  return (e) => {
    if (gone || (e.level === 'debug' && !debug)) return;
    io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  };
}
