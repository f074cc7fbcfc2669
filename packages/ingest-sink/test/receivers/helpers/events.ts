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
