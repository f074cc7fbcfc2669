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
