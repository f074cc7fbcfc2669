import { completeEvent, parseAuditEvent, type AuditEventDraft } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { validateDraft } from './validate.js';

const ctx = { producer: { service: 'api', instance: 'h1' }, runtime: { swarm_node: 'n1' }, now: () => new Date('2026-01-01T00:00:00.000Z') };
const drafts: unknown[] = [
  { event_type: 'WEBAUTHN_AUTH_FAILURE', user_agent: 'U'.repeat(5000), error: { code: 'E', message: 'a\nb\u2028c' }, webauthn: { failure_stage: 'origin', origin: '\u001b[31mx' } },
  { event_type: 'CONTAINER_EXEC', container: { id: 'abcdefabcdef' }, process: { command_line: 'sh\r\n-i' } },
  { event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: 'u', webauthn: { credential_id: 'AA', sign_count: 1, user_verified: true } },
  { event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: 'bad\nid', webauthn: {} },
  { event_type: 'NOPE' },
  { event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' }, extra: 1 },
  { event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' }, runtime: { k8s_pod: 'p' } },
  { event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' }, runtime: { k8s_pod: 'bad\npod' } },
  { event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' }, producer: { service: 'other' } },
  { event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' }, event_time: 'yesterday' },
  { event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' }, log_type: 'app' },
];

describe('validateDraft agrees with parseAuditEvent', () => {
  it.each(drafts.map((d, i) => [i, d]))('draft %i', (_i, draft) => {
    // Same event_id on both sides: completeEvent draws a new one otherwise.
    const id = { event_id: '019a0000-0000-7000-8000-000000000001' };
    const withId = (c: typeof ctx) => ({ ...c, now: ctx.now });
    const ours = validateDraft(draft, withId(ctx));
    const reference = parseAuditEvent(completeEvent(draft as AuditEventDraft, ctx));
    if (ours.ok) (ours.event as Record<string, unknown>).event_id = id.event_id;
    if (reference.ok) (reference.event as Record<string, unknown>).event_id = id.event_id;
    expect(ours.ok).toBe(reference.ok);
    if (ours.ok && reference.ok) expect(ours.event).toEqual(reference.event);
    if (!ours.ok && !reference.ok) expect(ours.issues).toEqual(reference.issues);
  });
});
