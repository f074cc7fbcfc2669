import { describe, expect, it } from 'vitest';
import { completeEvent, type AuditEventDraft } from './draft.js';
import { parseAuditEvent } from './parse.js';

// A draft's `runtime` that is no object used to be merged as one: a string
// was spread into `runtime.0`, `runtime.1`... (one "unknown field" per
// character), and a number, a boolean or a null beside the context's runtime
// vanished, so the event passed with the producer's value silently dropped.
// It is now left as given, for validation to refuse with its type.

const draft = {
  event_type: 'WEBAUTHN_AUTH_FAILURE',
  error: { code: 'WEBAUTHN_SIGNATURE_INVALID', message: 'bad signature' },
  webauthn: { failure_stage: 'signature' },
} as const;

describe('completeEvent with a draft runtime that is no object', () => {
  const cases: [string, unknown][] = [
    ['a string', 'node-a'],
    ['an array', ['node-a']],
    ['a number', 42],
    ['a boolean', true],
    ['null', null],
  ];
  for (const ctxRuntime of [undefined, { host: 'h' }]) {
    it.each(cases)(`refuses %s as runtime (context runtime ${JSON.stringify(ctxRuntime)})`, (_name, runtime) => {
      const event = completeEvent({ ...draft, runtime } as unknown as AuditEventDraft, { producer: { service: 'api' }, runtime: ctxRuntime });
      const result = parseAuditEvent(event);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues).toHaveLength(1);
      expect(result.issues[0]).toMatchObject({ path: 'runtime', message: expect.stringMatching(/^Invalid input: expected object, received /) });
    });
  }

  it('still merges an object runtime over the context', () => {
    const event = completeEvent({ ...draft, runtime: { swarm_node: 'n1' } }, { producer: { service: 'api' }, runtime: { host: 'h' } });
    expect(event.runtime).toEqual({ host: 'h', swarm_node: 'n1' });
  });
});
