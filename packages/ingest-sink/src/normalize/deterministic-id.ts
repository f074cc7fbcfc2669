import { createHash } from 'node:crypto';

/**
 * A UUIDv7-shaped id (RFC 9562 §5.7 layout: 48-bit Unix ms, version 7,
 * variant 10) whose random bits are a SHA-256 of the source record. Events
 * derived from Docker events or Falco alerts carry no id of their own; a
 * deterministic one makes a resent source record a duplicate the sink ignores
 * instead of a second event.
 */
export function deterministicEventId(unixMs: number, source: string): string {
  const h = createHash('sha256').update(source).digest();
  const ms = Math.max(0, Math.min(Math.floor(unixMs), 2 ** 48 - 1));
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(ms, 0, 6);
  h.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
