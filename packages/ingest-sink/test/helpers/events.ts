import { completeEvent, newEventId, type AuditEventDraft } from '@audit-trail/schema';

/** A valid WEBAUTHN_AUTH_FAILURE event (fresh UUIDv7 id) with optional overrides. */
export function makeEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const draft = {
    event_type: 'WEBAUTHN_AUTH_FAILURE',
    user_id: 'user-1',
    client_ip: '192.0.2.10',
    error: { code: 'SIGNATURE_INVALID', message: 'assertion signature did not verify' },
    webauthn: { failure_stage: 'signature', sign_count: 7 },
  } as unknown as AuditEventDraft;
  return { ...(completeEvent(draft, { producer: { service: 'sink-test' } }) as Record<string, unknown>), ...overrides };
}

/** `n` valid events. */
export function makeEvents(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown>[] {
  return Array.from({ length: n }, () => makeEvent(overrides));
}

/** An event claiming position `seq` of chain `chainId` (integrity block shaped per docs/integrity.md; the MAC is not checked by the sink). */
export function chainEvent(chainId: string, seq: number, eventId = newEventId()): Record<string, unknown> {
  return makeEvent({
    event_id: eventId,
    integrity: { v: 1, alg: 'HMAC-SHA256', chain_id: chainId, seq, epoch: 0, kid: 'k1', prev: seq === 1 ? '' : 'B'.repeat(43), mac: 'A'.repeat(43) },
  });
}
