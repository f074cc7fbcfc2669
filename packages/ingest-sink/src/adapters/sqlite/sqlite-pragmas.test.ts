import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/tmp.js';
import { createSink } from '../../index.js';
import { makeEvents } from '../../../test/helpers/events.js';
import { applySqlitePragmas, SQLITE_CHECKPOINT_BYTES, SQLITE_PAGE_SIZE } from './sqlite-core.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

describe('SQLite connection pragmas', () => {
  it('a new database gets 16 KiB pages, WAL, synchronous=FULL and a ~40 MB autocheckpoint', () => {
    const db = new Database(join(dir, 'new.db'));
    applySqlitePragmas(db);
    expect(db.pragma('page_size', { simple: true })).toBe(SQLITE_PAGE_SIZE);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_CHECKPOINT_BYTES / SQLITE_PAGE_SIZE);
    expect(db.pragma('journal_size_limit', { simple: true })).toBe(SQLITE_CHECKPOINT_BYTES);
    db.close();
  });

  it('the WAL a reader held from its checkpoints (a report left in a pager) is cut back to the checkpoint size once that reader has gone, while the sink stays open', async () => {
    const file = join(dir, 'held.db');
    const sink = createSink({ connection: { dialect: 'sqlite', filename: file }, spool: { dir: join(dir, 'held.spool') } });
    await sink.write(makeEvents(10));
    await sink.flush();
    // A read transaction with its snapshot taken: no checkpoint may pass it.
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM security_audit_events').get();
    const wal = () => statSync(`${file}-wal`).size;
    for (let i = 0; wal() <= SQLITE_CHECKPOINT_BYTES * 1.2; i++) {
      if (i === 20) throw new Error(`the WAL stayed at ${wal()} bytes`);
      await sink.write(makeEvents(5000));
      await sink.flush();
    }
    reader.exec('COMMIT');
    reader.close();
    // The next commits checkpoint the whole WAL (no reader now), then start it again from its head.
    for (let i = 0; i < 3; i++) {
      await sink.write(makeEvents(10));
      await sink.flush();
    }
    expect(wal()).toBeLessThanOrEqual(SQLITE_CHECKPOINT_BYTES);
    await sink.close();
  });

  it('an existing database keeps its page size, and its autocheckpoint is sized in its own pages', () => {
    const file = join(dir, 'old.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    old.close();
    const db = new Database(file);
    applySqlitePragmas(db);
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_CHECKPOINT_BYTES / 4096);
    db.close();
  });

  it('the sink creates its database with 16 KiB pages, and writes into an existing 4 KiB-page database without changing its page size', async () => {
    for (const [name, pageSize] of [['fresh.db', SQLITE_PAGE_SIZE], ['made-before.db', 4096]] as const) {
      const file = join(dir, name);
      if (pageSize === 4096) {
        const before = new Database(file);
        before.pragma('page_size = 4096');
        before.pragma('journal_mode = WAL');
        before.close();
      }
      const sink = createSink({ connection: { dialect: 'sqlite', filename: file }, spool: { dir: join(dir, `${name}.spool`) } });
      await sink.write(makeEvents(20));
      await sink.flush();
      await sink.close();
      const db = new Database(file, { readonly: true });
      expect(db.pragma('page_size', { simple: true })).toBe(pageSize);
      expect(db.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 20 });
      db.close();
    }
  });
});
