import { describe, expect, it } from 'vitest';
import { exampleEventList, parseAuditEvent } from '@audit-trail/schema';
import { createAuditLogger } from '../src/index.js';
import { prngInt } from '../../../test/support/prng.js';
import { SECRET, verifyLines } from './helpers.js';
import { mutate } from '../../../test/support/mutate.js';

const ODD: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 60, Number.NaN, true, '', 'x', '\n', '\u001b[31m', '\ud800', 'a'.repeat(5000), [], {}, ['x'], { a: 1 }, '__proto__'];

/** An example event as a producer would draft it: without the fields the logger fills in. */
function draftOf(event: object): Record<string, unknown> {
  const { event_id: _i, event_time: _t, log_type: _l, schema_version: _s, producer: _p, outcome: _o, severity: _v, ...draft } = event as Record<string, unknown>;
  return draft;
}

describe('emit() given randomly mutated drafts (seeded)', () => {
  it.each([
    ['a plain logger', false],
    ['a child logger with bound context and redact paths', true],
  ])('%s writes exactly one line per call, the event or its AUDIT_SCHEMA_VIOLATION, never a throw, and the signed chain verifies', async (_name, bound) => {
    const lines: string[] = [];
    const root = createAuditLogger({
      service: 'api',
      env: {},
      runtime: false,
      destination: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) },
      signing: { mode: 'shared', kid: 'k1', secret: SECRET },
      ...(bound ? { redact: ['client_ip', 'webauthn.origin'] } : {}),
    });
    const log = bound ? root.child({ correlation: { request_id: 'req-1' }, user_agent: 'Mozilla/5.0 (bound)' }) : root;
    const rand = prngInt(bound ? 778 : 777);
    const drafts = exampleEventList.map(draftOf);
    let violations = 0;
    for (let i = 0; i < 3000; i++) {
      let d = mutate(drafts[rand(drafts.length)], rand, ODD);
      if (rand(2) === 0) d = mutate(d, rand, ODD);
      const before = lines.length;
      const written = log.emit(d as never);
      expect(lines.length - before, `draft ${i}`).toBe(1);
      const line = lines.at(-1)!;
      const parsed = parseAuditEvent(line);
      expect(parsed.ok, `draft ${i}: ${JSON.stringify(parsed.ok ? '' : parsed.issues)}`).toBe(true);
      const obj = JSON.parse(line);
      expect(obj.event_id, `draft ${i}`).toBe(written.event_id);
      if (bound) {
        // Redacted in the event, and in a violation's copy of the draft (strings inside it, such
        // as the example violation's own `original`, are text, not fields).
        expect(obj, `draft ${i}`).not.toHaveProperty('client_ip');
        expect(obj.webauthn?.origin, `draft ${i}`).toBeUndefined();
        // A violation the logger wrote for an invalid draft (not one drafted as such, like the example).
        if (obj.event_type === 'AUDIT_SCHEMA_VIOLATION' && (d as { event_type?: unknown } | null)?.event_type !== 'AUDIT_SCHEMA_VIOLATION') {
          let original: unknown;
          try {
            original = JSON.parse(obj.violation.original);
          } catch {
            original = undefined; // cut to 16 KiB, or not an object
          }
          if (original && typeof original === 'object' && 'client_ip' in original) expect((original as { client_ip: unknown }).client_ip, `draft ${i}`).toBe('[REDACTED]');
        }
      }
      if (written.event_type === 'AUDIT_SCHEMA_VIOLATION') violations++;
    }
    await root.close();
    expect(violations).toBeGreaterThan(1000);
    expect(violations).toBeLessThan(3000);
    const report = verifyLines(lines, { k1: { secret: SECRET } });
    expect(report.findings).toEqual([]);
    expect(report.chains[0]).toMatchObject({ records: lines.length, closed: true });
  });
});
