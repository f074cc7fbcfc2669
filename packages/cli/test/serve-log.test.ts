import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { debugEnabled, jsonLogger } from '../src/commands/serve-log.js';

/** The lines a logger built for `env` writes for one debug and one warn entry. */
function logged(env: NodeJS.ProcessEnv): { level: string; msg: string }[] {
  const stderr = new PassThrough();
  const log = jsonLogger({ stdin: new PassThrough(), stdout: new PassThrough(), stderr, env });
  log({ level: 'debug', msg: 'forward socket error' });
  log({ level: 'warn', msg: 'sink error' });
  return String(stderr.read() ?? '').trim().split('\n').map((l) => JSON.parse(l));
}

describe('serve log: AUDIT_TRAIL_DEBUG', () => {
  it.each(['0', 'false', 'FALSE', 'no', 'off', ' Off ', ''])('%j is off: only the warn line is written (0 turned debug on)', (v) => {
    expect(debugEnabled({ AUDIT_TRAIL_DEBUG: v })).toBe(false);
    expect(logged({ AUDIT_TRAIL_DEBUG: v }).map((l) => l.level)).toEqual(['warn']);
  });

  it('unset is off', () => {
    expect(logged({}).map((l) => l.level)).toEqual(['warn']);
  });

  it.each(['1', 'true', 'yes', 'on', 'forward'])('%j is on: the debug line is written too, as JSON with its time', (v) => {
    const lines = logged({ AUDIT_TRAIL_DEBUG: v });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['debug', 'forward socket error'], ['warn', 'sink error']]);
    expect(lines[0]).toHaveProperty('time', expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/));
  });
});
