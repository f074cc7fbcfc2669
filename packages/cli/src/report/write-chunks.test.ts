import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeChunks } from './write-chunks.js';

describe('writeChunks', () => {
  it('writes the text gathered before the chunks fail, then rejects: rows read before a lost connection are not dropped (892 of 1000 reached a CSV whose message said 1000 were read; found by a probe)', async () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (d) => (written += d));
    const lost = new Error('PostgreSQL connection lost');
    async function* rows() {
      yield 'header\r\n';
      yield 'row 1\r\n';
      throw lost;
    }
    await expect(writeChunks(out, rows())).rejects.toBe(lost);
    expect(written).toBe('header\r\nrow 1\r\n');
  });
});
