import { isUtf8 } from 'node:buffer';

/**
 * A header value as the text its sender wrote. Node's HTTP parser hands a
 * header over one character per byte (latin1): RFC 9110 §5.5 leaves bytes
 * outside ASCII (obs-text) opaque. A User-Agent a client sent as UTF-8
 * (`Mozilla/5.0 (日本語)`) so read as mojibake, and sanitizeText then dropped
 * the characters of its bytes 0x80-0x9F (C1 controls as latin1): stored
 * garbled beyond recovery (found by a probe). Decoded as UTF-8 when its bytes
 * are valid UTF-8, which a non-ASCII header nearly always means; otherwise
 * left as latin1. A value with a character above U+00FF did not come from
 * the parser's bytes (an app building the request itself) and is kept.
 */
export function headerText(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : value;
}
