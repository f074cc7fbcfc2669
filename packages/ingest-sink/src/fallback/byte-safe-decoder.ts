import { Decoder } from '@msgpack/msgpack';
import type { Readable } from 'node:stream';

// ignoreBOM: a leading EF BB BF is data (16 random bytes of a nonce may start
// with it); by default TextDecoder drops it, and the digest then missed 3 bytes.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A str that is valid UTF-8 becomes a string; anything else stays bytes. */
function restore(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    try {
      return strict.decode(value);
    } catch {
      return Buffer.from(value);
    }
  }
  if (Array.isArray(value)) return value.map(restore);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, restore(v)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, restore(v)]));
  }
  return value;
}

/**
 * Decodes what a forward server sends (HELO, PONG, ack) without losing bytes.
 *
 * @fluent-org/logger 1.0.10 decodes a msgpack str as UTF-8, so a HELO nonce
 * sent as a str of 16 random bytes (Fluent Bit does this) is mangled to
 * U+FFFD and the shared_key digest `sha512_hex(salt + hostname + nonce + key)`
 * (forward protocol v1, "Handshake Messages") is computed over the wrong
 * bytes: login fails. Here every str is read raw and turned back into a
 * string only when it is valid UTF-8 — then the string's UTF-8 encoding IS
 * the original bytes, and hashing it is unchanged; otherwise the Buffer is
 * kept and `hash.update(buffer)` sees the exact bytes.
 */
export async function* decodeServerStreamByteSafe(stream: Readable): AsyncGenerator<unknown> {
  const decoder = new Decoder({ rawStrings: true });
  for await (const message of decoder.decodeStream(stream as AsyncIterable<Uint8Array>)) yield restore(message);
}
