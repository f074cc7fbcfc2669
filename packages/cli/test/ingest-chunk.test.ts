import { describe, expect, it } from 'vitest';
import { CHUNK_CHARS, chunkFull } from '../src/commands/ingest.js';

describe('ingest chunking (chunkFull)', () => {
  it('writes a chunk at 1000 lines, or sooner once its lines hold 16 Mi characters: memory must not grow with the line size', () => {
    expect(CHUNK_CHARS).toBe(16 * 1024 * 1024);
    expect(chunkFull(999, 999 * 500)).toBe(false);
    expect(chunkFull(1000, 1000 * 500)).toBe(true);
    // 10 lines of 2 MiB (the schema's largest event) are 20 MiB: written before 1000 such lines pile up.
    expect(chunkFull(7, 7 * 2 * 1024 * 1024)).toBe(false);
    expect(chunkFull(8, 8 * 2 * 1024 * 1024)).toBe(true);
    expect(chunkFull(1, CHUNK_CHARS - 1)).toBe(false);
    // One line longer than the bound goes out alone.
    expect(chunkFull(1, 64 * 1024 * 1024)).toBe(true);
  });
});
