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
  .datetime({ offset: false })
  .regex(/^(?!0000)/, { message: 'year 0000 cannot be stored (SQL date types start at 0001-01-01)' })
  .meta({ format: 'date-time' });

/** An IPv4 or IPv6 address in text form (no port, no zone id). */
export const ipAddress = z.union([z.ipv4(), z.ipv6()], {
  // Without this the union reports zod's bare "Invalid input".
  error: 'must be an IPv4 or IPv6 address in text form (no port, no zone id)',
});

/**
 * WebAuthn credential id, base64url without padding. WebAuthn §7.1 step 19:
 * "Verify that the credentialId is ≤ 1023 bytes"; 1023 bytes are 1364 chars.
 */
export const credentialId = z
  .string()
  .min(1)
  .max(1364, { message: 'credential id longer than 1023 bytes (WebAuthn §7.1)' })
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be base64url without padding' });

/** An unsigned 32-bit integer (WebAuthn signCount is uint32; stored as BIGINT). */
export const uint32 = z.int().min(0).max(4_294_967_295);

/** base64url without padding (MACs, key material). */
export const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, { message: 'must be base64url without padding' });
