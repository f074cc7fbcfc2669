import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adoptLegacySpool } from './spool-dir.js';
import { resolveSinkOptions } from './options.js';

const dirOf = (url: string) => resolveSinkOptions(url).spool;

describe('the default spool directory of a server database', () => {
  it('is the same whatever the password, so a rotated password finds the events spooled before it (an operator probe left 40 acked events behind)', () => {
    const a = dirOf('postgres://audit:old-Secret@db.internal:5432/audit');
    expect(dirOf('postgres://audit:new-Secret@db.internal:5432/audit').dir).toBe(a.dir);
    expect(dirOf('postgres://audit@db.internal:5432/audit').dir).toBe(a.dir);
    expect(dirOf('postgres://audit@db.internal:5432/audit?password=x').dir).toBe(a.dir);
    // Another database, host or port is another spool.
    expect(dirOf('postgres://audit:old-Secret@db.internal:5432/other').dir).not.toBe(a.dir);
    expect(dirOf('postgres://audit:old-Secret@db2.internal:5432/audit').dir).not.toBe(a.dir);
    expect(dirOf('postgres://audit:old-Secret@db.internal:6432/audit').dir).not.toBe(a.dir);
    // The password is in neither name.
    expect(a.dir).not.toContain('Secret');
    expect(a.legacy!.join()).not.toContain('Secret');
  });

  it('is the same whatever the user, the URL\'s other parameters or a default port written out: the database the spool\'s destination names (found by a probe: a new user left 100 acked events behind)', () => {
    const a = dirOf('postgres://audit@db.internal:5432/audit');
    expect(dirOf('postgres://audit-v2@db.internal:5432/audit').dir).toBe(a.dir);
    expect(dirOf('postgres://audit@db.internal:5432/audit?sslmode=require&application_name=agg').dir).toBe(a.dir);
    expect(dirOf('postgres://audit@db.internal/audit').dir).toBe(a.dir);
    // The name this version gave it before (the URL without its password) is adopted.
    const before = resolve(join('.audit-trail-spool', `postgres-${createHash('sha256').update(JSON.stringify(['postgres://audit@db.internal:5432/audit', undefined, undefined, undefined])).digest('hex').slice(0, 16)}`));
    expect(a.legacy).toContain(before);
  });

  it('names the directory it had while the password was part of its key, so an upgrade adopts it', () => {
    const url = 'postgres://audit:s3cret@db.internal:5432/audit';
    // The earlier name: sha256 of the connection string as given, password included.
    const old = resolve(join('.audit-trail-spool', `postgres-${createHash('sha256').update(JSON.stringify([url, undefined, undefined, undefined])).digest('hex').slice(0, 16)}`));
    expect(dirOf(url).legacy).toContain(old);
  });

  it('of SQL Server at an IPv6 address names, as legacy, the directory it had while the address kept its URL\'s brackets, so an upgrade adopts what was spooled there', () => {
    const hashed = (server: string) => resolve(join('.audit-trail-spool', `mssql-${createHash('sha256').update(JSON.stringify([server, 1433, 'audit'])).digest('hex').slice(0, 16)}`));
    expect(dirOf('mssql://u:p@[::1]:1433/audit')).toMatchObject({ dir: hashed('::1'), legacy: [hashed('[::1]')] });
    // A host name or IPv4 address kept its name: nothing to adopt.
    expect(dirOf('mssql://u:p@db.internal:1433/audit').legacy).toBeUndefined();
    expect(dirOf('mssql://u:p@10.0.0.5:1433/audit').legacy).toBeUndefined();
  });

  it('adoptLegacySpool after a rollback: events an earlier version spooled under the earlier name replace a new directory that holds nothing pending (they were left there silently: 3 events, ingest exit 0)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'at-spool-dir-'));
    try {
      const legacy = join(tmp, 'postgres-legacy');
      const dir = join(tmp, 'postgres-new');
      // This version ran, delivered everything and stopped cleanly: its directory keeps its claim only.
      mkdirSync(dir);
      writeFileSync(join(dir, 'destination'), 'postgres://db/audit');
      // Rolled back, the earlier version spooled under its own name during an outage.
      mkdirSync(legacy);
      writeFileSync(join(legacy, 'seg-000000000001.log'), 'acked by the earlier version');
      writeFileSync(join(legacy, 'committed'), '');
      expect(await adoptLegacySpool(legacy, dir)).toBeUndefined();
      expect([existsSync(legacy), existsSync(`${dir}.replaced`), readFileSync(join(dir, 'seg-000000000001.log'), 'utf8')]).toEqual([false, false, 'acked by the earlier version']);
      // A new directory in use (a lock: a sink may be running on it) is not replaced: the caller is told.
      mkdirSync(legacy);
      writeFileSync(join(legacy, 'seg-000000000001.log'), 'more');
      rmSync(join(dir, 'seg-000000000001.log'));
      writeFileSync(join(dir, 'LOCK'), '123');
      expect(await adoptLegacySpool(legacy, dir)).toContain('audit-trail ingest --spool');
      expect(readFileSync(join(legacy, 'seg-000000000001.log'), 'utf8')).toBe('more');
      // An earlier directory without records is left alone, without a word.
      rmSync(join(legacy, 'seg-000000000001.log'));
      expect(await adoptLegacySpool(legacy, dir)).toBeUndefined();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('adoptLegacySpool moves the earlier directory to the new name only when the new one does not exist', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'at-spool-dir-'));
    try {
      const legacy = join(tmp, 'postgres-legacy');
      const dir = join(tmp, 'postgres-new');
      mkdirSync(legacy);
      writeFileSync(join(legacy, 'seg-1.log'), 'spooled');
      await adoptLegacySpool(legacy, dir);
      expect([existsSync(legacy), readFileSync(join(dir, 'seg-1.log'), 'utf8')]).toEqual([false, 'spooled']);
      // Both exist, both with records: neither is touched, and the caller is told where the earlier ones are.
      mkdirSync(legacy);
      writeFileSync(join(legacy, 'seg-1.log'), 'other');
      expect(await adoptLegacySpool(legacy, dir)).toContain(`${legacy}, the name an earlier version used for this database, holds events`);
      expect([readFileSync(join(legacy, 'seg-1.log'), 'utf8'), readFileSync(join(dir, 'seg-1.log'), 'utf8')]).toEqual(['other', 'spooled']);
      // Neither: nothing happens.
      await adoptLegacySpool(join(tmp, 'none'), join(tmp, 'none-new'));
      expect(existsSync(join(tmp, 'none-new'))).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
