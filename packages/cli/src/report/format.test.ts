import { describe, expect, it } from 'vitest';
import { formatTable } from './format.js';

describe('formatTable', () => {
  it('shows a 64-hex container id whole (it was cut at 60) and cuts longer cells with an ellipsis', () => {
    const id = 'ab'.repeat(32);
    const long = 'x'.repeat(100);
    const out = formatTable(['container_id', 'command_line'], [{ container_id: id, command_line: long }]);
    const [header, rule, row] = out.split('\n');
    expect(row).toContain(id);
    expect(row).toContain(`${'x'.repeat(63)}…`);
    expect(row).not.toContain('x'.repeat(64));
    expect(rule).toBe(`${'-'.repeat(64)}  ${'-'.repeat(64)}`);
    expect(header!.startsWith('container_id')).toBe(true);
  });
});
