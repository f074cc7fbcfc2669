import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLogger } from '../src/index.js';
import { codes, lines, SECRET, tmpDir, verifyLines } from './helpers.js';

const MB = 'x'.repeat(1024 * 1024);
const HOSTILE = [
  'line1\r\nline2',
  'sep\u2028para\u2029end',
  '\u001b[31mred\u001b[0m\u001b]0;title\u0007',
  'nul\u0000byte',
  'lone\ud800surrogate',
  'low\udc00first',
  '\u0085next-line\u009bcsi',
  `${MB}`,
  '"},{"event_type":"FORGED"}\n{"x":1',
];

describe('no field can break the single-line format', () => {
  it('every output line is one JSON object that round-trips, for hostile values in every kind of field', async () => {
    const file = join(tmpDir(), 'hostile.ndjson');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: file, signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
    for (const h of HOSTILE) {
      // free text (sanitised), evidence text (escaped), identifiers (refused -> violation record), unknown keys
      log.webauthnAuthFailure({ user_id: 'u', user_agent: h, error: { code: 'E', message: h }, webauthn: { failure_stage: 'origin', origin: h } });
      log.containerExec({ container: { id: 'abcdefabcdef' }, process: { command_line: h } });
      log.webauthnAuthFailure({ user_id: h, error: { code: 'E', message: 'm' }, webauthn: { failure_stage: 'origin' } });
      log.emit({ event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' }, [h.slice(0, 40)]: h } as never);
      log.child({ correlation: { request_id: 'r' } }).emit({ event_type: h.slice(0, 100) } as never);
    }
    await log.close();
    const text = lines(file).join('\n');
    const ls = lines(file);
    expect(ls).toHaveLength(HOSTILE.length * 5 + 2);
    for (const line of ls) {
      expect(line).not.toMatch(/[\u0000-\u001f\u2028\u2029\u0085\u009b]/);
      const obj = JSON.parse(line);
      expect(typeof obj).toBe('object');
      expect(JSON.stringify(obj)).toBe(line);
      expect(line.length).toBeLessThan(40_000);
    }
    expect(text).not.toContain('"event_type":"FORGED"');
    const types = ls.map((l) => JSON.parse(l).event_type);
    expect(types.filter((t) => t === 'AUDIT_SCHEMA_VIOLATION')).toHaveLength(HOSTILE.length * 3);
    expect(JSON.parse(ls[2]!).process.command_line).toBe('line1\\x0d\\x0aline2');
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
  });

  it('cuts an overlong user_agent before a surrogate pair that straddles 1024 characters, on both of the logger\'s paths', async () => {
    const file = join(tmpDir(), 'ua.ndjson');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: file });
    const user_agent = `${'y'.repeat(1023)}\u{1F600}tail`;
    log.webauthnAuthFailure({ user_id: 'u', user_agent, error: { code: 'E', message: 'm' }, webauthn: { failure_stage: 'origin' } });
    // An envelope key in the draft takes the general path (completeEvent + parseAuditEvent).
    log.webauthnAuthFailure({ user_id: 'u', user_agent, severity: 4, error: { code: 'E', message: 'm' }, webauthn: { failure_stage: 'origin' } } as never);
    await log.close();
    const events = lines(file).map((l) => JSON.parse(l));
    expect(events.map((e) => [e.event_type, e.user_agent, e.user_agent_truncated])).toEqual([
      ['WEBAUTHN_AUTH_FAILURE', 'y'.repeat(1023), true],
      ['WEBAUTHN_AUTH_FAILURE', 'y'.repeat(1023), true],
    ]);
  });
});

describe('a draft that throws when read', () => {
  it('becomes a violation record, signed or not, and never an exception out of emit() or a helper (found by a probe)', async () => {
    const boom = () => {
      throw new Error('getter threw \u001b[2J');
    };
    const cases: [string, (l: ReturnType<typeof createAuditLogger>) => unknown][] = [
      ['top-level getter, emit()', (l) => l.emit(Object.defineProperty({ event_type: 'CONTAINER_START', container: { id: 'abcdefabcdef' } }, 'user_id', { get: boom, enumerable: true }) as never)],
      ['nested getter, helper', (l) => l.containerStart({ container: Object.defineProperty({ id: 'abcdefabcdef' }, 'name', { get: boom, enumerable: true }) })],
      ['revoked Proxy as a field, helper', (l) => {
        const r = Proxy.revocable({}, {});
        r.revoke();
        return l.containerStart({ container: r.proxy as never });
      }],
      ['Proxy whose ownKeys trap throws, emit()', (l) => l.emit(new Proxy({ event_type: 'CONTAINER_START' }, { ownKeys: boom }) as never)],
      ['a getter on event_type itself', (l) => l.emit(Object.defineProperty({}, 'event_type', { get: boom, enumerable: true }) as never)],
      // The helper copies its fields to add event_type: that copy threw out of the helper, with nothing written (found by a probe).
      ['top-level getter, helper', (l) => l.containerStart(Object.defineProperty({ container: { id: 'abcdefabcdef' } }, 'user_id', { get: boom, enumerable: true }) as never)],
      ['Proxy whose ownKeys trap throws, helper', (l) => l.containerStart(new Proxy({ container: { id: 'abcdefabcdef' } }, { ownKeys: boom }) as never)],
      ['revoked Proxy as the fields, helper', (l) => {
        const r = Proxy.revocable({}, {});
        r.revoke();
        return l.containerStart(r.proxy as never);
      }],
    ];
    for (const signing of [undefined, { mode: 'shared' as const, kid: 'k1', secret: SECRET }]) {
      const file = join(tmpDir(), 'throwing.ndjson');
      const log = createAuditLogger({ service: 'api', runtime: false, destination: file, ...(signing ? { signing } : {}) });
      for (const [name, emit] of cases) expect(() => emit(log), name).not.toThrow();
      await log.close();
      const records = lines(file).map((l) => JSON.parse(l));
      const violations = records.filter((r) => r.event_type === 'AUDIT_SCHEMA_VIOLATION');
      expect(violations, signing ? 'signed' : 'unsigned').toHaveLength(cases.length);
      for (const v of violations) expect(v.violation.issues[0].message).toMatch(/^the input could not be read: (Error: getter threw|TypeError: )/);
      // A helper's type is the attempted one, though its fields hold no event_type.
      expect(violations.slice(-3).map((v) => v.violation.attempted_event_type)).toEqual(['CONTAINER_START', 'CONTAINER_START', 'CONTAINER_START']);
      expect(lines(file).join('\n')).not.toContain('\u001b');
      if (signing) expect(codes(verifyLines(lines(file), { k1: { secret: SECRET } }))).toEqual([]);
    }
  });
});

describe('a "__proto__" member of a draft (JSON.parse makes it an own key)', () => {
  it('is refused as an unknown field, at the top level as nested, and kept in the violation\'s original (found by a probe: at the top level it vanished and the event passed)', async () => {
    const file = join(tmpDir(), 'proto.ndjson');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: file });
    const top = JSON.parse('{"event_type":"CONTAINER_START","container":{"id":"abcdefabcdef"},"__proto__":{"polluted":true}}');
    const nested = JSON.parse('{"event_type":"CONTAINER_START","container":{"id":"abcdefabcdef","__proto__":{"polluted":true}}}');
    expect(log.emit(top).event_type).toBe('AUDIT_SCHEMA_VIOLATION');
    expect(log.emit(nested).event_type).toBe('AUDIT_SCHEMA_VIOLATION');
    await log.close();
    const [a, b] = lines(file).map((l) => JSON.parse(l));
    expect(a.violation.issues).toEqual([{ path: '__proto__', message: 'unknown field "__proto__"' }]);
    expect(b.violation.issues).toEqual([{ path: 'container.__proto__', message: 'unknown field "__proto__"' }]);
    for (const v of [a, b]) expect(v.violation.original).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
