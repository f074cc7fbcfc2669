import { describe, expect, it } from 'vitest';
import { exampleEvents } from '../examples.js';
import { parseAuditEvent } from '../parse.js';

// An event_time with a UTC offset is what most non-JavaScript producers
// write (Python's datetime.isoformat() gives "+00:00", Go's RFC3339 "+02:00"
// for local time): the issue said only "Invalid ISO datetime", which did not
// tell them the time must be UTC written with Z, nor that a leap second is
// refused. It now says what the field takes.

const MESSAGE = 'must be an RFC 3339 UTC time ending in Z, e.g. 2026-01-01T00:00:00.000Z (no UTC offset, no leap second)';

describe('event_time issue', () => {
  it.each([
    '2026-11-20T09:00:00.123456+00:00',
    '2026-11-20T11:00:00+02:00',
    '2026-11-20T09:00:00',
    '2016-12-31T23:59:60Z',
    '2026-11-20 09:00:00Z',
    'yesterday',
  ])('says what %s should be', (t) => {
    expect(parseAuditEvent({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_time: t })).toEqual({
      ok: false,
      issues: [{ path: 'event_time', message: MESSAGE }],
    });
  });
});
