import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { prng } from '../../../test/support/prng.js';
import { eventSchemas } from './audit-event.js';
import type { EventType } from './constants.js';
import { exampleEvents } from './examples.js';
import { parseAuditEvent } from './parse.js';

// parseAuditEvent validates with z.compile(schema): a generated fast path that
// hands anything it cannot decide to zod's runtime parser. These tests hold it
// to the runtime's answer (success, output, issues) on valid events and on
// seeded mutations of them, so a compiler bug cannot let a bad event through.

const HOSTILE: unknown[] = [
  '',
  'x'.repeat(5000),
  'a\u0000b',
  'line\nbreak',
  '\u001b[31mred\u001b[0m',
  'lone \ud800 surrogate',
  '\u2028',
  "'; DROP TABLE security_audit_events; --",
  '10.0.0.300',
  '2026-13-40T25:61:00Z',
  '0190a0e0-0000-7000-8000-000000000000',
  -1,
  0,
  1.5,
  2 ** 32,
  Number.MAX_SAFE_INTEGER + 2,
  true,
  null,
  [],
  ['a', 1],
  {},
  { nested: { deep: 1 } },
];

type Json = Record<string, unknown>;

/** Every path to a value in `v`, as key lists. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [prefix];
  return [prefix, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...prefix, k]))];
}

function mutate(event: Json, rand: () => number): Json {
  const copy = structuredClone(event) as Json;
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[Math.floor(rand() * all.length)]!;
  const parent = path.slice(0, -1).reduce<Json>((o, k) => o[k] as Json, copy);
  const key = path.at(-1)!;
  const r = rand();
  if (r < 0.2) delete parent[key];
  else if (r < 0.3) parent[`unknown_${Math.floor(rand() * 3)}`] = 'x';
  else if (r < 0.4 && typeof parent[key] === 'string') parent[key] = `${parent[key] as string}\u0007\u2029`;
  else parent[key] = HOSTILE[Math.floor(rand() * HOSTILE.length)];
  return copy;
}

const runtime = (type: EventType, input: unknown) => eventSchemas[type].safeParse(input, { reportInput: true });
const compiled = new Map<EventType, z.ZodType>();
const fast = (type: EventType, input: unknown) => {
  if (!compiled.has(type)) compiled.set(type, z.compile(eventSchemas[type], { strict: true }));
  return compiled.get(type)!.safeParse(input, { reportInput: true });
};

describe('compiled schemas (z.compile) against the runtime parser', () => {
  it('every event schema compiles (strict: no silent fallback to the runtime parser)', () => {
    for (const type of Object.keys(eventSchemas) as EventType[]) expect(() => fast(type, {})).not.toThrow();
  });

  it('agree on 20 000 seeded mutations of every event type: success, output and issues', () => {
    const rand = prng(0x2d0c0de);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const types = Object.keys(exampleEvents) as EventType[];
      const type = types[i % types.length]!;
      let input = exampleEvents[type] as unknown as Json;
      const rounds = Math.floor(rand() * 3);
      for (let m = 0; m < rounds; m++) input = mutate(input, rand);
      const a = runtime(type, input);
      const b = fast(type, input);
      expect(b.success, JSON.stringify(input)).toBe(a.success);
      if (a.success) {
        accepted++;
        expect(b.data).toEqual(a.data);
      } else {
        rejected++;
        expect(b.error!.issues).toEqual(a.error.issues);
      }
    }
    // The corpus exercises both sides.
    expect(accepted).toBeGreaterThan(2000);
    expect(rejected).toBeGreaterThan(2000);
    // A bound, not a timed assertion: 20 000 rounds took 34.6 s on a loaded machine, over vitest's 30 s default.
  }, 120_000);

  it('sanitising fields come out identical (control characters removed, surrogates replaced)', () => {
    const event = { ...exampleEvents.WEBAUTHN_AUTH_FAILURE, user_agent: 'UA\u0007\u001b[2J\ud800x', error: { code: 'X', message: 'm\r\nm\u2028' } };
    // An object: as JSON text, the escaped lone half is refused (parse.test.ts).
    const parsed = parseAuditEvent(event);
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.event).toEqual(runtime('WEBAUTHN_AUTH_FAILURE', event).data);
    expect(parsed.ok && parsed.event.user_agent).toBe('UA[2J\ufffdx');
  });

  it('parseAuditEvent splits transport fields in one pass and keeps "__proto__" a key (rejected as unknown)', () => {
    const line = JSON.stringify({ level: 30, time: 1, ...exampleEvents.CONTAINER_EXEC }).replace('{', '{"__proto__":{"polluted":true},');
    const parsed = parseAuditEvent(line);
    expect(parsed).toMatchObject({ ok: false, issues: [{ path: '__proto__', message: 'unknown field "__proto__"' }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const ok = parseAuditEvent(JSON.stringify({ level: 30, time: 1, hostname: 'h', ...exampleEvents.CONTAINER_EXEC }));
    expect(ok).toMatchObject({ ok: true, transport: { level: 30, time: 1, hostname: 'h' } });
    expect(ok.ok && 'level' in ok.event).toBe(false);
  });
});
