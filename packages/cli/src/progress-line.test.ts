import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressLine } from './progress-line.js';

function terminal(isTTY: boolean): { stderr: PassThrough & { isTTY: boolean }; text: () => string } {
  const stderr = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stderr.on('data', (d) => (text += d));
  return { stderr, text: () => text };
}

describe('ProgressLine', () => {
  it('writes a line said while the progress is drawn on a cleared line, not glued after the progress text (found by a probe)', async () => {
    const { stderr, text } = terminal(true);
    const p = new ProgressLine(stderr);
    let n = 0;
    p.start(() => `read ${++n}`);
    await new Promise((r) => setTimeout(r, 250));
    p.say('audit-trail ingest: SIGINT: stopped reading\n');
    p.stop();
    p.stop();
    expect(text()).toBe('\r\x1b[Kread 1\r\x1b[Kaudit-trail ingest: SIGINT: stopped reading\n\r\x1b[Kread 2\n');
  });

  it('draws nothing off a terminal, and says lines as they are', () => {
    const { stderr, text } = terminal(false);
    const p = new ProgressLine(stderr);
    p.start(() => 'read 1');
    p.say('a line\n');
    p.stop();
    expect(text()).toBe('a line\n');
  });
});
