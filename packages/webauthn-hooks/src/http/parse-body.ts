/** Default body limit of the four endpoints: attestation objects with certificate chains fit easily. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

/**
 * Parses a request body read as text. Invalid JSON is not an HTTP error
 * here: it becomes `undefined`, so a garbage verification request is still a
 * verification that fails (`malformed_response`) and is audited. A body
 * some earlier middleware already parsed is taken as it is. A leading byte
 * order mark is ignored (RFC 8259 §8.1 allows a parser to): Express's text
 * reader drops it and Fastify's does not, so the same body succeeded on one
 * and failed on the other.
 */
export function parseJsonBody(text: unknown): unknown {
  // An app-wide JSON parser (`app.use(express.json())`) may have run first.
  if (typeof text === 'object' && text !== null && !Buffer.isBuffer(text)) return text;
  if (typeof text !== 'string' || text.length === 0) return undefined;
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch {
    return undefined;
  }
}
