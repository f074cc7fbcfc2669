// Here, beside readBoundedFile, so that the logger (key ids, key file names),
// the CLI (verify's KID=FILE) and the aggregator (shared key and users file
// names) judge a value put where a name belongs by one rule.

/** Base64 or base64url text, padded or not. */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Text that may be a key, or hold one, put where a key id or a file name
 * belongs: base64 of 32 bytes or more (as `openssl rand -base64 32` prints),
 * as the whole text or as any part of it between white space and JSON
 * punctuation (`openssl rand -base64 64` wraps at 64 columns, a PEM body, a
 * keyring's JSON pasted in place of its file name), or a PEM header. Error
 * messages must not repeat it, since CI logs keep them. A file name holds
 * none of those separators, so it is judged whole, as before.
 */
export function mayBeSecret(text: string): boolean {
  if (text.includes('-----BEGIN')) return true;
  return text.split(/[\s"',:;{}[\]]+/).some((t) => t.length >= 43 && BASE64.test(t));
}
