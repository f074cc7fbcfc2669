import { completeEvent, type AuditEventInput } from '@audit-trail/schema';

/** A valid WEBAUTHN_AUTH_SUCCESS event; `i` makes the user and counter distinct. */
export function makeEvent(i: number): AuditEventInput {
  return completeEvent(
    {
      event_type: 'WEBAUTHN_AUTH_SUCCESS',
      user_id: `user-${i}`,
      client_ip: '203.0.113.7',
      webauthn: { credential_id: 'Y3JlZGVudGlhbC1pZA', sign_count: i, user_verified: true },
    },
    { producer: { service: 'receiver-test' } },
  );
}

/** The JSON line a service writes for {@link makeEvent}. */
export function makeLine(i: number): string {
  return JSON.stringify(makeEvent(i));
}

/**
 * An audit line longer than 16 KiB (an AUDIT_SCHEMA_VIOLATION keeps up to 16 Ki
 * characters of the original), in characters of 2 to 4 UTF-8 bytes, so the
 * Docker driver's 16 KiB pieces end inside a character; `n` makes it distinct.
 */
export function longLine(n: number): { line: string; event: Record<string, unknown> } {
  const original = JSON.stringify({ n, display_name: '中文😀ß'.repeat(5000) }).slice(0, 16_000);
  const event = completeEvent(
    { event_type: 'AUDIT_SCHEMA_VIOLATION', violation: { attempted_event_type: 'WEBAUTHN_REGISTRATION_SUCCESS', issues: [{ path: 'user_id', message: 'Required' }], original } } as never,
    { producer: { service: 'receiver-test' } },
  ) as unknown as Record<string, unknown>;
  return { line: JSON.stringify(event), event };
}
