import { CHAIN_EVENT_TYPES, completeEvent, exampleEventList, parseAuditEvent, type AuditEventDraft, type EventContext } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { ENVELOPE_KEYS, validateOwnFields } from './trusted-envelope.js';
import { validateDraft } from './validate.js';
import { prng } from '../../../../test/support/prng.js';

const chain = new Set<string>(CHAIN_EVENT_TYPES);
// Drafts as callers write them: the example of each type without the envelope.
const baseDrafts = exampleEventList
  .filter((e) => !chain.has(e.event_type))
  .map((e) => {
    const d: Record<string, unknown> = structuredClone(e) as Record<string, unknown>;
    for (const k of [...ENVELOPE_KEYS, 'integrity']) delete d[k];
    return d;
  });

const HOSTILE: unknown[] = ['', 'x', 'a\nb', '\u001b[31m', 'a\u2028b', '\ud800', 'ok\udfff', 'U'.repeat(2000), 'AAEC', '203.0.113.9', '::1', 'not an ip', 'UPPER_CODE', 0, -1, 1.5, 2 ** 32, true, null, undefined, {}, [], ['usb'], { extra: 1 }];
const ENVELOPE_VALUES: Record<string, unknown[]> = {
  event_id: ['019a0000-0000-7000-8000-000000000009', 'nope'],
  log_type: ['security_audit', 'app'],
  schema_version: ['1.0.0', '2.0.0'],
  event_time: ['2026-01-01T00:00:00.000Z', 'yesterday'],
  outcome: ['unknown', 'success', 'failure', 'maybe'],
  severity: [1, 6, 7, 2.5],
  producer: [{ service: 'other' }, { service: 'bad\nname' }, {}],
  runtime: [{ k8s_pod: 'p' }, { k8s_pod: 'bad\npod' }, { nope: 1 }],
};

/** Sets `value` at a random path of `d` (existing leaf, new key, nested). */
function mutate(d: Record<string, unknown>, rnd: () => number): void {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const r = rnd();
  if (r < 0.15) {
    const key = pick(ENVELOPE_KEYS);
    d[key] = pick(ENVELOPE_VALUES[key]!);
    return;
  }
  if (r < 0.2) {
    delete d[pick(Object.keys(d))];
    return;
  }
  let target = d;
  for (;;) {
    const keys = Object.keys(target);
    const key = rnd() < 0.1 || keys.length === 0 ? 'unknown_field' : pick(keys);
    const v = target[key];
    if (v && typeof v === 'object' && !Array.isArray(v) && rnd() < 0.7) {
      target = v as Record<string, unknown>;
      continue;
    }
    target[key] = structuredClone(pick(HOSTILE));
    return;
  }
}

const fixedNow = () => new Date('2026-03-04T05:06:07.089Z');
const frozenCtx: EventContext = {
  producer: Object.freeze({ service: 'api', version: '1.2.3', sdk_version: '0.1.0', instance: 'h1' }),
  runtime: Object.freeze({ swarm_node: 'n1', swarm_service: 's', swarm_task_id: 't1' }),
  now: fixedNow,
};
// Each context with the number of valid events and of fast-path lines the
// run must at least see (an invalid producer makes only drafts that bring
// their own producer valid; an unfrozen context is never trusted).
const contexts: Record<string, [EventContext, number, number]> = {
  frozen: [frozenCtx, 200, 100],
  'frozen, no runtime': [{ producer: frozenCtx.producer, now: fixedNow }, 200, 100],
  'not frozen': [{ producer: { service: 'api' }, runtime: { k8s_pod: 'p1' }, now: fixedNow }, 200, 0],
  'frozen, invalid producer': [{ producer: Object.freeze({ service: 'bad\nname' }), now: fixedNow }, 0, 0],
};

const ID = '019a0000-0000-7000-8000-000000000001';
function normalised(event: unknown): string {
  return JSON.stringify({ ...(event as object), event_id: ID });
}

describe('the trusted-envelope fast path equals completeEvent + parseAuditEvent', () => {
  for (const [name, [ctx, minValid, minLines]] of Object.entries(contexts)) {
    it(`on valid and mutated drafts of every type (${name} context)`, () => {
      const rnd = prng(name.length * 7919);
      let valid = 0;
      let lines = 0;
      for (let n = 0; n < 3000; n++) {
        const draft = structuredClone(baseDrafts[n % baseDrafts.length]!);
        for (let m = n < baseDrafts.length ? 0 : 1 + Math.floor(rnd() * 3); m > 0; m--) mutate(draft, rnd);
        const reference = parseAuditEvent(completeEvent(structuredClone(draft) as AuditEventDraft, ctx));
        const ours = validateDraft(structuredClone(draft), ctx, rnd() < 0.5, true);
        expect(ours.ok, JSON.stringify(draft)).toBe(reference.ok);
        if (ours.ok && reference.ok) {
          valid++;
          // Same event, same key order (the written line), same id format.
          expect(normalised(ours.event)).toBe(normalised(reference.event));
          expect(ours.event.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          // The line the fast path builds is JSON.stringify of the event, byte for byte.
          if (ours.line !== undefined) {
            lines++;
            expect(ours.line).toBe(JSON.stringify(ours.event));
          }
        }
        if (!ours.ok && !reference.ok) expect(ours.issues).toEqual(reference.issues);
      }
      expect(valid).toBeGreaterThanOrEqual(minValid);
      expect(lines).toBeGreaterThanOrEqual(minLines);
    });
  }

  it('takes the fast path for valid drafts with a frozen context (the test above is not vacuous)', () => {
    for (const d of baseDrafts) {
      const r = validateOwnFields(d.event_type as string, structuredClone(d), frozenCtx, true);
      expect(r, d.event_type as string).toBeDefined();
      expect(r!.event.producer).toEqual(frozenCtx.producer);
      expect(r!.event.producer).not.toBe(frozenCtx.producer); // a copy: callers may mutate what emit() returns
      expect(r!.line).toBe(JSON.stringify(r!.event));
    }
    expect(validateOwnFields('WEBAUTHN_AUTH_SUCCESS', structuredClone(baseDrafts[0]!), contexts['not frozen']![0])).toBeUndefined();
  });

  it('uses the real clock when no clock is given', () => {
    const before = Date.now();
    const r = validateDraft(structuredClone(baseDrafts[0]!), { producer: frozenCtx.producer });
    expect(r.ok).toBe(true);
    const t = Date.parse((r as { event: { event_time: string } }).event.event_time);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});
