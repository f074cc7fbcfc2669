import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyringFile } from '../src/index.js';
import { SECRET, tmpDir } from './helpers.js';

// A keyring saved by a Windows editor starts with a UTF-8 byte order mark, as
// serve's config file may (7abc7dd): no part of the JSON (RFC 8259 §8.1).
describe('a keyring file that starts with a byte order mark', () => {
  it('is read as the JSON after it (it was refused as "not valid JSON"; found by a review)', () => {
    const dir = tmpDir();
    const ring = join(dir, 'ring.json');
    writeFileSync(ring, `\uFEFF${JSON.stringify({ keys: [{ kid: 'k1', secret: SECRET }] })}`);
    expect([...loadKeyringFile(ring).keys()]).toEqual(['k1']);
  });
});
