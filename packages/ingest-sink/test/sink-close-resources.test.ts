import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSink } from '../src/index.js';
import { makeEvents } from './helpers/events.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'at-sink-close-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TSX = join(import.meta.dirname, '../../../node_modules/.bin/tsx');

describe('sink.close()', () => {
  it('leaves no timer armed, so a process that closed its sink exits at once', async () => {
    // In a child process: the test runner's own timers would blur the count here.
    // A stop-deadline guard once stayed armed for timeout + 1 s after close()
    // resolved, and `audit-trail serve` took 11 s to exit after SIGTERM.
    const { stdout } = await run(TSX, ['-C', '@audit-trail/source', join(import.meta.dirname, 'fixtures/close-and-count-timers.ts'), dir]);
    expect(JSON.parse(stdout)).toEqual({ timers: 0 });
  });

  it('called again while the first call is still delivering, waits for the same end: every written event committed', async () => {
    const sink = createSink({ url: `sqlite:${join(dir, 'twice.db')}`, spool: { dir: join(dir, 'twice-spool') } });
    await sink.write(makeEvents(200));
    const first = sink.close();
    await sink.close();
    expect(sink.stats()).toMatchObject({ committed: 200, spooledEvents: 0 });
    await first;
  });

  it('on SQLite, resolves only once the writer thread has ended, so a process exiting right after it does not abort while the thread waits on another process\'s lock', async () => {
    // Another process (a sqlite3 shell in a transaction, a second sink) holds
    // the write lock: the writer thread waits in the busy handler (5 s). The
    // close used to give up on it after a second, and the process.exit() that
    // followed ended the thread mid-wait: better-sqlite3 then threw into the
    // ending thread and the process aborted (SIGABRT), as `audit-trail ingest`
    // did against a locked database (WiseLibs/better-sqlite3#842).
    const file = join(dir, 'locked.db');
    const holder = new Database(file);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE held (x)');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const { stdout } = await run(TSX, ['-C', '@audit-trail/source', join(import.meta.dirname, 'fixtures/exit-after-close-on-locked-sqlite.ts'), file, join(dir, 'locked-spool')]);
      expect(stdout).toBe('closed\n');
    } finally {
      holder.close();
    }
  }, 30_000);
});
