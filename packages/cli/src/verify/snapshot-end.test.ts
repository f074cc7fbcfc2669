import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshotEnd } from './snapshot-end.js';

const dir = mkdtempSync(join(tmpdir(), 'at-snapshot-end-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** snapshotEnd of `text` written to a file; `meanwhile` runs while it waits for a writer, as one appending would. */
async function endOf(name: string, text: string, meanwhile?: (file: string) => void): Promise<number> {
  const file = join(dir, name);
  writeFileSync(file, text);
  const handle = await open(file, 'r');
  try {
    return await snapshotEnd(handle, Buffer.byteLength(text), async () => meanwhile?.(file));
  } finally {
    await handle.close();
  }
}

describe('snapshotEnd (where verify stops reading a file a producer may be appending to)', () => {
  it('stops at the size when the file ends in a line feed, and at 0 for an empty file', async () => {
    expect(await endOf('lf.ndjson', '{"a":1}\n{"b":2}\n')).toBe(16);
    expect(await endOf('empty.ndjson', '')).toBe(0);
  });

  it('reads a last line without a line feed whole when nothing is appended meanwhile (a file that just ends so)', async () => {
    expect(await endOf('no-lf.ndjson', '{"a":1}\n{"b":2}')).toBe(15);
    expect(await endOf('one-line.ndjson', '{"a":1}')).toBe(7);
  });

  it('stops after the last whole line when the file grows meanwhile: its last line was a write in progress (found by a review)', async () => {
    expect(await endOf('growing.ndjson', '{"a":1}\n{"b":', (f) => appendFileSync(f, '2}\n'))).toBe(8);
    expect(await endOf('growing-one.ndjson', '{"a":', (f) => appendFileSync(f, '1}\n'))).toBe(0);
    // The last line feed further back than one read (64 KiB).
    const long = `{"a":1}\n{"b":"${'x'.repeat(200_000)}`;
    expect(await endOf('growing-long.ndjson', long, (f) => appendFileSync(f, '"}\n'))).toBe(8);
  });
});
