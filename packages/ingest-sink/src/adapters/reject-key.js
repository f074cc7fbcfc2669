// @ts-check
// Plain JavaScript so that the SQLite worker (sqlite-core.js) shares it. Types: reject-key.d.ts.
import { createHash } from 'node:crypto';

/**
 * The idempotency key of a reject row (`security_audit_rejects.reject_key`):
 * SHA-256 over its source, reason and raw payload, base64url without padding
 * (43 characters). The same refusal, replayed from the spool after a crash,
 * resent by a forward-protocol client whose ack was lost, or ingested again
 * from the same file, is then stored once, as resent events are by event_id.
 *
 * Source and reason are length-prefixed (UTF-16 code units) so that no two
 * different triples hash the same bytes; the payload, last, needs no prefix.
 * @param {string} source
 * @param {string} reason
 * @param {string} raw
 * @returns {string}
 */
export function rejectKey(source, reason, raw) {
  return createHash('sha256').update(`${source.length}:${source}${reason.length}:${reason}`).update(raw).digest('base64url');
}
