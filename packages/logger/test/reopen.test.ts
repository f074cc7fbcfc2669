import { mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditClosedError, AuditConfigError, AuditDestinationError, createAuditLogger } from '../src/index.js';
import { authFailure, codes, lines, SECRET, tmpDir, verifyLines } from './helpers.js';

const signing = { mode: 'shared' as const, kid: 'k1', secret: SECRET };
const keys = { k1: { secret: SECRET } };
const types = (ls: string[]) => ls.map((l) => JSON.parse(l).event_type as string);

describe('reopen() after a rename-and-create rotation', () => {
  for (const sync of [true, false]) {
    it(`${sync ? 'sync' : 'async'}: lines written before the rename stay in the renamed file, those after reopen() go to the new file after its checkpoint, none lost or repeated; the chain verifies across both`, async () => {
      const dir = tmpDir();
      const file = join(dir, 'audit.ndjson');
      const log = createAuditLogger({ service: 'api', runtime: false, destination: file, sync, signing });
      for (let i = 0; i < 150; i++) log.webauthnAuthFailure(authFailure(`before-${i}`));
      // Async lines wait in memory until written, to whichever file is open then.
      await log.flush();
      // As logrotate does: rename, then signal; the logger writes on into the renamed file until it reopens.
      renameSync(file, `${file}.1`);
      for (let i = 0; i < 50; i++) log.webauthnAuthFailure(authFailure(`between-${i}`));
      await log.reopen();
      for (let i = 0; i < 150; i++) log.webauthnAuthFailure(authFailure(`after-${i}`));
      await log.close();
      const old = lines(`${file}.1`);
      const fresh = lines(file);
      expect(types(old)[0]).toBe('AUDIT_CHAIN_OPEN');
      expect(old.some((l) => l.includes('"after-'))).toBe(false);
      // The new file holds the reopen checkpoint before every event written after reopen() resolved; the
      // lines between the rename and the reopen are in the renamed file (sync) or in either (async: those
      // still in memory when the new file opens go to it).
      const reopened = fresh.findIndex((l) => JSON.parse(l).chain?.reason === 'reopen');
      expect(reopened).toBeGreaterThanOrEqual(0);
      expect(fresh.findIndex((l) => l.includes('"after-'))).toBe(reopened + 1);
      if (sync) expect(reopened).toBe(0);
      expect(types(fresh).at(-1)).toBe('AUDIT_CHAIN_CLOSE');
      expect(fresh.filter((l) => l.includes('"before-'))).toEqual([]);
      const users = [...old, ...fresh].map((l) => JSON.parse(l).user_id).filter((u) => u !== undefined);
      expect(users).toEqual([...Array.from({ length: 150 }, (_, i) => `before-${i}`), ...Array.from({ length: 50 }, (_, i) => `between-${i}`), ...Array.from({ length: 150 }, (_, i) => `after-${i}`)]);
      expect(codes(verifyLines([...old, ...fresh], keys))).toEqual([]);
    });

    it(`${sync ? 'sync' : 'async'}: a path that cannot be opened rejects reopen() with AuditDestinationError naming it; lines go on to the file as it was, and flush() and close() succeed`, async () => {
      const dir = tmpDir();
      const file = join(dir, 'audit.ndjson');
      const errors: Error[] = [];
      const log = createAuditLogger({ service: 'api', runtime: false, destination: file, sync, signing, onError: (e) => errors.push(e) });
      log.webauthnAuthFailure(authFailure('one'));
      await log.flush();
      renameSync(file, `${file}.1`);
      mkdirSync(file); // the path is now a directory: opening it for append fails with EISDIR
      const err = await log.reopen().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AuditDestinationError);
      expect((err as Error).message).toMatch(/cannot reopen the audit destination ".*audit\.ndjson": .*EISDIR.*; audit lines go on to the file as it was opened/);
      log.webauthnAuthFailure(authFailure('two'));
      await log.flush();
      await log.close();
      expect(errors).toEqual([]);
      const kept = lines(`${file}.1`);
      expect(types(kept)).toEqual(['AUDIT_CHAIN_OPEN', 'WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_AUTH_FAILURE', 'AUDIT_CHAIN_CLOSE']);
      expect(codes(verifyLines(kept, keys))).toEqual([]);
    });
  }

  for (const sync of [true, false]) {
    it(`${sync ? 'sync' : 'async'}: a reopen that succeeds after one that failed leaves the destination sound: flush() and close() resolve, nothing reported (the failed one left sonic-boom a second close of the old descriptor: EBADF; found by a review)`, async () => {
      const dir = tmpDir();
      const file = join(dir, 'audit.ndjson');
      const errors: Error[] = [];
      const log = createAuditLogger({ service: 'api', runtime: false, destination: file, sync, signing, onError: (e) => errors.push(e) });
      await new Promise((r) => setTimeout(r, 50)); // the first open's 'ready' long gone
      log.webauthnAuthFailure(authFailure('one'));
      await log.flush();
      renameSync(file, `${file}.1`);
      mkdirSync(file);
      await expect(log.reopen()).rejects.toThrow(AuditDestinationError);
      rmdirSync(file);
      await log.reopen();
      log.webauthnAuthFailure(authFailure('two'));
      await log.flush();
      await log.close();
      await new Promise((r) => setTimeout(r, 50)); // a second close of a descriptor would report now
      expect(errors).toEqual([]);
      expect(types(lines(`${file}.1`))).toEqual(['AUDIT_CHAIN_OPEN', 'WEBAUTHN_AUTH_FAILURE']);
      expect(types(lines(file))).toEqual(['AUDIT_CHECKPOINT', 'WEBAUTHN_AUTH_FAILURE', 'AUDIT_CHAIN_CLOSE']);
    });
  }

  it('async: a reopen() called while the first open still runs resolves once the path is open again, not on the first open (found by a review)', async () => {
    const dir = tmpDir();
    const file = join(dir, 'audit.ndjson');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: file, sync: false, signing });
    await log.reopen();
    const s = (log as unknown as { core: { dest: { stream: { _opening: boolean; _reopening: boolean; fd: number } } } }).core.dest.stream;
    expect([s._opening, s._reopening, s.fd >= 0]).toEqual([false, false, true]);
    await log.close();
    expect(types(lines(file))).toEqual(['AUDIT_CHAIN_OPEN', 'AUDIT_CHECKPOINT', 'AUDIT_CHAIN_CLOSE']);
  });

  for (const sync of [true, false]) {
    it(`${sync ? 'sync' : 'async'}: concurrent calls share one reopen (one checkpoint); a later call reopens again`, async () => {
      const file = join(tmpDir(), 'audit.ndjson');
      const log = createAuditLogger({ service: 'api', runtime: false, destination: file, sync, signing });
      await log.flush();
      renameSync(file, `${file}.1`);
      await Promise.all([log.reopen(), log.reopen(), log.reopen()]);
      await log.flush();
      renameSync(file, `${file}.2`);
      await log.reopen();
      await log.close();
      expect(types(lines(`${file}.1`))).toEqual(['AUDIT_CHAIN_OPEN']);
      expect(types(lines(`${file}.2`))).toEqual(['AUDIT_CHECKPOINT']);
      expect(types(lines(file))).toEqual(['AUDIT_CHECKPOINT', 'AUDIT_CHAIN_CLOSE']);
      expect(codes(verifyLines([...lines(`${file}.1`), ...lines(`${file}.2`), ...lines(file)], keys))).toEqual([]);
    });
  }

  it('refuses a destination that is no file path, and a closed logger', async () => {
    const stream = new PassThrough();
    stream.resume();
    const log = createAuditLogger({ service: 'api', runtime: false, destination: stream });
    await expect(log.reopen()).rejects.toThrow(AuditConfigError);
    await expect(log.reopen()).rejects.toThrow(/file path the logger opened; this destination is stdout, stderr, a file descriptor or a stream you passed in/);
    await log.close();
    const file = join(tmpDir(), 'audit.ndjson');
    const closed = createAuditLogger({ service: 'api', runtime: false, destination: file });
    await closed.close();
    await expect(closed.reopen()).rejects.toThrow(AuditClosedError);
  });
});
