import { z } from 'zod';

/**
 * UUID version 7 (RFC 9562 §5.7): 48-bit Unix milliseconds, version nibble 7,
 * variant 10. Time-ordered, so database indexes on it stay append-only.
 */
export const uuidV7 = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, {
    message: 'must be a lowercase UUIDv7 (RFC 9562)',
  });

/** Any RFC 9562 UUID in canonical lowercase form (AAGUIDs, foreign ids). */
export const uuidAny = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'must be a lowercase UUID' });

/**
 * RFC 3339 UTC timestamp ending in `Z`, any sub-second precision, year
 * 0001 or later. RFC 3339's `date-fullyear` is any four digits, but year
 * 0000 fits neither PostgreSQL's TIMESTAMPTZ nor SQL Server's DATETIME2
 * (both start at 0001-01-01): such an event would pass validation, then be
 * refused by the database and land in the rejects with DB_REFUSED after
 * the sink's retries. The `format` is restated because a second pattern
 * makes zod's JSON Schema an `allOf` without it.
 */
export const utcTimestamp = z.iso
  // Says what the field takes: zod's own "Invalid ISO datetime" did not tell
  // a producer that writes an offset (Python's isoformat() gives "+00:00")
  // that the time must be UTC with Z.
  .datetime({ offset: false, message: 'must be an RFC 3339 UTC time ending in Z, e.g. 2026-01-01T00:00:00.000Z (no UTC offset, no leap second)' })
  // "Not 0000" spelt without a lookahead, which RE2 (Go) and Rust's regex
  // lack: the published pattern must compile there too (json-schemas.ts).
  // Exactly `^(?!0000)`: any text not starting with 0000 passes, so a value
  // that is no timestamp at all gets the datetime issue alone, not a
  // year-0000 issue too.
  .regex(/^(?:[^0]|0[^0]|00[^0]|000[^0]|0{0,3}$)/, { message: 'year 0000 cannot be stored (SQL date types start at 0001-01-01)' })
  .meta({ format: 'date-time' });

/**
 * The JSON Schema `pattern` of an IPv6 address: RFC 3986 §3.2.2's
 * `IPv6address` rule, one alternative per line of the ABNF, whose last 32
 * bits (`ls32`) may be written as a dotted IPv4 address (RFC 4291 §2.2,
 * form 3: `::ffff:192.0.2.1`, `64:ff9b::192.0.2.33`). zod's own ipv6 pattern
 * has only hex groups, yet its check (a WHATWG URL parse, zod/v4/core
 * schemas.js `isValidIPv6`) accepts the dotted tail, so the published schema
 * refused addresses zod accepts. Used for the JSON Schema only: zod's check
 * decides at runtime, and formats.test.ts asserts the two agree. `dec-octet`
 * has no leading zeros, as in RFC 3986 and the URL parser.
 */
const h16 = '[0-9a-fA-F]{1,4}';
const decOctet = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const ls32 = `(?:${h16}:${h16}|${decOctet}(?:\\.${decOctet}){3})`;
/** {@link ipAddress}'s IPv6 pattern as JSON Schema carries it (RFC 3986 §3.2.2 `IPv6address`). */
export const IPV6_PATTERN = `^(?:${[
  `(?:${h16}:){6}${ls32}`,
  `::(?:${h16}:){5}${ls32}`,
  `(?:${h16})?::(?:${h16}:){4}${ls32}`,
  `(?:(?:${h16}:){0,1}${h16})?::(?:${h16}:){3}${ls32}`,
  `(?:(?:${h16}:){0,2}${h16})?::(?:${h16}:){2}${ls32}`,
  `(?:(?:${h16}:){0,3}${h16})?::${h16}:${ls32}`,
  `(?:(?:${h16}:){0,4}${h16})?::${ls32}`,
  `(?:(?:${h16}:){0,5}${h16})?::${h16}`,
  `(?:(?:${h16}:){0,6}${h16})?::`,
].join('|')})$`;

/** An IPv4 or IPv6 address in text form (no port, no zone id). */
export const ipAddress = z.union([z.ipv4(), z.ipv6().meta({ pattern: IPV6_PATTERN })], {
  // Without this the union reports zod's bare "Invalid input".
  error: 'must be an IPv4 or IPv6 address in text form (no port, no zone id)',
});

/**
 * Base64url without padding whose length some whole number of bytes has:
 * never 4k+1 characters (RFC 4648 §4, §5: each 3 bytes are 4 characters, a
 * last 1 or 2 bytes are 2 or 3; a single last character holds 6 bits, no
 * byte). The second alternative passes text holding a character outside
 * the alphabet, which the alphabet's own pattern refuses, so such text
 * gets that one issue, not this one too; it is a plain character class,
 * so every regex dialect reads the pattern alike (json-schemas.ts).
 */
export const BASE64URL_LENGTH_PATTERN = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$|[^A-Za-z0-9_-]/;

/** The issue of a base64url text of 4k+1 characters ({@link BASE64URL_LENGTH_PATTERN}). */
export const BASE64URL_LENGTH_MESSAGE =
  'base64url of 4k+1 characters encodes no whole number of bytes (RFC 4648 §5): a character is missing or extra';

/**
 * WebAuthn credential id, base64url without padding. WebAuthn §7.1 step 19:
 * "Verify that the credentialId is ≤ 1023 bytes"; 1023 bytes are 1364 chars.
 * Its length is never 4k+1 ({@link BASE64URL_LENGTH_PATTERN}): no encoder
 * writes such an id, so it is a cut or padded one.
 */
export const credentialId = z
  .string()
  .min(1)
  .max(1364, { message: 'credential id longer than 1023 bytes (WebAuthn §7.1)' })
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be base64url without padding' })
  .regex(BASE64URL_LENGTH_PATTERN, { message: BASE64URL_LENGTH_MESSAGE });

/** Largest signature counter: authData's signCount is a 32-bit unsigned integer (WebAuthn L3 §6.1). */
export const MAX_SIGN_COUNT = 0xffff_ffff;

/** An unsigned 32-bit integer (WebAuthn signCount is uint32; stored as BIGINT). */
export const uint32 = z.int().min(0).max(MAX_SIGN_COUNT);

/**
 * base64url without padding (MACs, key material). Each use states its
 * exact length (43, 22, 16 characters), none of them 4k+1, so the
 * {@link BASE64URL_LENGTH_PATTERN} rule is not repeated here.
 */
export const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, { message: 'must be base64url without padding' });
