import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completeEvent } from '@audit-trail/schema';
import { createSink } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'at-sink-close-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('sink.close()', () => {
  it('leaves no timer behind, so a process that closed its sink can exit at once', async () => {
    const before = timers();
    const sink = createSink({ url: `sqlite:${join(dir, 'a.db')}` });
    await sink.migrate();
    await sink.write([
      completeEvent(
        { event_type: 'CONTAINER_START', container: { id: 'b'.repeat(64) } },
        { producer: { service: 'close-test' } },
      ),
    ]);
    await sink.close();
    // A stop-deadline guard once stayed armed for timeout + 1 s after close()
    // resolved: `audit-trail serve` then took 11 s to exit after SIGTERM.
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
