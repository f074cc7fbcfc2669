import { describe, expect, it } from 'vitest';
import { completeEvent, type AuditEventDraft, type EventContext } from './draft.js';
import { EventDraftError } from './draft-error.js';
import { eventIdTime, newEventId } from './event-id.js';
import { parseImage, prune } from './mappers/common.js';
import { toEcs } from './mappers/ecs.js';
import { toOcsf } from './mappers/ocsf.js';
import { parseAuditEvent } from './parse.js';

const draft: AuditEventDraft = {
  event_type: 'WEBAUTHN_AUTH_FAILURE',
  user_id: 'u_1',
  client_ip: '2001:db8::1',
  error: { code: 'WEBAUTHN_SIGNATURE_INVALID', message: 'bad signature' },
  webauthn: { failure_stage: 'signature' },
  runtime: { swarm_task_id: 'task-1' },
};

describe('completeEvent', () => {
  it('fills the envelope so the event parses', () => {
    const now = new Date('2026-11-20T09:00:00.123Z');
    const event = completeEvent(draft, { producer: { service: 'api' }, runtime: { swarm_node: 'n1' }, now: () => now });
    const parsed = parseAuditEvent(event);
    expect(parsed.ok ? 'ok' : parsed.issues).toBe('ok');
    expect(event).toMatchObject({
      log_type: 'security_audit',
      schema_version: '1.3.0',
      event_time: '2026-11-20T09:00:00.123Z',
      outcome: 'failure',
      severity: 3,
      producer: { service: 'api' },
      runtime: { swarm_node: 'n1', swarm_task_id: 'task-1' },
    });
  });

  it('lets values in the draft win over defaults', () => {
    const event = completeEvent({ ...draft, severity: 5, event_id: '01a1f82f-5918-7bdb-b63d-6b7c35d8ad1d' }, { producer: { service: 'api' } });
    expect(event.severity).toBe(5);
    expect(event.event_id).toBe('01a1f82f-5918-7bdb-b63d-6b7c35d8ad1d');
  });

  it('treats a draft key whose value is undefined as absent: the default or the context value stays', () => {
    const now = new Date('2026-11-20T09:00:00.123Z');
    const loose = { ...draft, event_id: undefined, event_time: undefined, severity: undefined, runtime: { swarm_node: undefined, swarm_task_id: 'task-1' } };
    const event = completeEvent(loose as unknown as AuditEventDraft, { producer: { service: 'api' }, runtime: { swarm_node: 'n1' }, now: () => now });
    const parsed = parseAuditEvent(event);
    expect(parsed.ok ? 'ok' : parsed.issues).toBe('ok');
    expect(event.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(event).toMatchObject({ event_time: '2026-11-20T09:00:00.123Z', severity: 3, runtime: { swarm_node: 'n1', swarm_task_id: 'task-1' } });
  });
});

describe('completeEvent misuse: a typed EventDraftError, not a TypeError from inside', () => {
  const producer = { service: 'api' };
  const error = (code: string, message: string) => expect.objectContaining({ name: 'EventDraftError', code, message });

  it('refuses a missing context: it names the producer, which no default could', () => {
    expect(() => (completeEvent as (d: unknown) => unknown)(draft)).toThrow(
      error('EVENT_CONTEXT_INVALID', "completeEvent: the context must be an object such as { producer: { service: 'my-api' } }, got undefined"),
    );
    expect(() => completeEvent(draft, null as never)).toThrow(EventDraftError);
  });

  it('refuses a context whose parts are unusable, naming the part', () => {
    const cases: [Partial<Record<keyof EventContext, unknown>>, string][] = [
      [{ producer, now: Date.now }, 'completeEvent: ctx.now() must be a valid Date, got a number'],
      [{ producer, now: () => new Date('nope') }, 'completeEvent: ctx.now() must be a valid Date, got an Invalid Date'],
      [{ producer, now: new Date() }, 'completeEvent: ctx.now must be a function returning a Date, got a Date'],
      [{ producer, runtime: 'node-a' }, 'completeEvent: ctx.runtime must be an object of runtime fields, got a string'],
      [{ producer: 'api' }, "completeEvent: ctx.producer must be an object such as { service: 'my-api' }, got a string"],
    ];
    for (const [ctx, message] of cases) expect(() => completeEvent(draft, ctx as EventContext)).toThrow(error('EVENT_CONTEXT_INVALID', message));
  });

  it('refuses a draft that is not an object', () => {
    for (const [bad, kind] of [[undefined, 'undefined'], [null, 'null'], ['{}', 'a string'], [[draft], 'an array']] as const) {
      expect(() => completeEvent(bad as never, { producer })).toThrow(error('EVENT_DRAFT_INVALID', `completeEvent: the draft must be an event object, got ${kind}`));
    }
  });

  it('a context without producer still completes: the draft may carry its own, and parseAuditEvent judges the rest', () => {
    const event = completeEvent({ ...draft, producer: { service: 'own' } } as AuditEventDraft, {} as EventContext);
    expect(parseAuditEvent(event).ok).toBe(true);
    const parsed = parseAuditEvent(completeEvent(draft, {} as EventContext));
    expect(parsed.ok ? [] : parsed.issues).toContainEqual({ path: 'producer', message: 'required field is missing (expected object)' });
  });
});

describe('newEventId', () => {
  it('draws UUIDv7 ids that sort in creation order and carry the time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, newEventId);
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdTime(ids[0]!)).toBeGreaterThanOrEqual(before);
  });
});

describe('mapper helpers', () => {
  it('splits image references without mistaking a registry port for a tag', () => {
    expect(parseImage('nginx')).toEqual({ name: 'nginx', tag: undefined, digest: undefined });
    expect(parseImage('registry:5000/team/app')).toEqual({ name: 'registry:5000/team/app', tag: undefined, digest: undefined });
    expect(parseImage('registry:5000/team/app:1.2@sha256:abc')).toEqual({ name: 'registry:5000/team/app', tag: '1.2', digest: 'sha256:abc' });
  });

  it('reads an empty tag or digest as none, so no mapping carries an empty image hash, uid or tag', () => {
    expect(parseImage('app@')).toEqual({ name: 'app', tag: undefined, digest: undefined });
    expect(parseImage('app:')).toEqual({ name: 'app', tag: undefined, digest: undefined });
    for (const image of ['app@', 'app:', 'app:@']) {
      const line = JSON.stringify(completeEvent({ event_type: 'CONTAINER_EXEC', container: { id: '0123456789ab', image }, process: { command_line: 'sh' } }, { producer: { service: 's' } }));
      const parsed = parseAuditEvent(line);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const ecs = toEcs(parsed.event) as unknown as { container: { image: Record<string, unknown> } };
      const ocsf = toOcsf(parsed.event) as unknown as { process: { container: { image: Record<string, unknown> } } };
      expect([image, ecs.container.image]).toEqual([image, { name: 'app' }]);
      expect([image, ocsf.process.container.image]).toEqual([image, { uid: image, name: 'app' }]);
    }
  });

  it('reads an image id (`sha256:<64 hex>`, what Docker records for a container created from an id, as cri-dockerd does for every pod) as a digest, not as the image "sha256" tagged with its hex (found by a probe)', () => {
    const id = `sha256:${'ab'.repeat(32)}`;
    expect(parseImage(id)).toEqual({ digest: id });
    // A name that only looks like one is still a name.
    expect(parseImage('sha256:1.0')).toEqual({ name: 'sha256', tag: '1.0', digest: undefined });
    const mapped = (event_type: 'CONTAINER_EXEC' | 'CONTAINER_START') => {
      const draft = event_type === 'CONTAINER_EXEC'
        ? { event_type, container: { id: '0123456789ab', name: 'api', image: id }, process: { command_line: 'sh' } }
        : { event_type, container: { id: '0123456789ab', name: 'api', image: id }, lifecycle: { action: 'start' as const } };
      const parsed = parseAuditEvent(JSON.stringify(completeEvent(draft, { producer: { service: 's' } })));
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      return { ecs: toEcs(parsed.event) as unknown as { container: { image: unknown } }, ocsf: toOcsf(parsed.event) as unknown as { process?: { container: { image: unknown } }; app?: Record<string, unknown> } };
    };
    const exec = mapped('CONTAINER_EXEC');
    expect(exec.ecs.container.image).toEqual({ hash: { all: [id] } });
    expect(exec.ocsf.process!.container.image).toEqual({ uid: id });
    // The container is the app of a start: no version made of the id's hex.
    expect(mapped('CONTAINER_START').ocsf.app).toEqual({ name: 'api', uid: '0123456789ab' });
  });

  it('prunes undefined values and empty containers recursively, keeping false, 0 and empty strings', () => {
    expect(prune({ a: undefined, b: { c: undefined, d: [] }, e: false, f: 0, g: '', h: [undefined, 1] })).toEqual({ e: false, f: 0, g: '', h: [1] });
  });
});
