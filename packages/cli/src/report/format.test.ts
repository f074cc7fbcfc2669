import { describe, expect, it } from 'vitest';
import { formatTable } from './format.js';

describe('formatTable', () => {
  it('shows a 64-hex container id and an image pinned by digest whole (cut at 60, two could read the same) and cuts longer cells with an ellipsis', () => {
    const id = 'ab'.repeat(32);
    const image = `registry.example.com/team/app@sha256:${'0'.repeat(63)}1`;
    const long = 'x'.repeat(200);
    const out = formatTable(['container_id', 'image', 'command_line'], [{ container_id: id, image, command_line: long }]);
    const [header, rule, row] = out.split('\n');
    expect(row).toContain(id);
    expect(row).toContain(image);
    expect(row).toContain(`${'x'.repeat(119)}…`);
    expect(row).not.toContain('x'.repeat(120));
    expect(rule).toBe(`${'-'.repeat(64)}  ${'-'.repeat(image.length)}  ${'-'.repeat(120)}`);
    expect(header!.startsWith('container_id')).toBe(true);
  });
});
