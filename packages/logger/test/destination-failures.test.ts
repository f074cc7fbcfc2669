import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, AuditDestinationError, createAuditLogger } from '../src/index.js';
import { authFailure, codes, SECRET, tmpDir, verifyLines } from './helpers.js';

const signing = { mode: 'shared' as const, kid: 'k1', secret: SECRET };
const fixture = fileURLToPath(new URL('./fixtures/failing-destination.ts', import.meta.url));

/** A Writable that takes `delayMs` per chunk, like a slow disk or a socket. */
function slowWritable(delayMs: number) {
  const got: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      setTimeout(() => {
        got.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      }, delayMs);
    },
  });
  return { stream, got };
}

async function runFixture(mode: string, path: string) {
  const child = spawn(process.execPath, ['--conditions=@audit-trail/source', '--import', 'tsx', fixture, mode, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const [code] = await once(child, 'exit');
  return { code, out, err };
}

describe('flush() and close() wait for every kind of destination', () => {
  it('a plain Writable you passed in: every line written before flush() or close() has been taken by it when they resolve', async () => {
    const { stream, got } = slowWritable(5);
    const log = createAuditLogger({ service: 'api', runtime: false, destination: stream, signing });
    for (let i = 0; i < 10; i++) log.webauthnAuthFailure(authFailure());
    await log.flush();
    expect(got).toHaveLength(11);
    log.webauthnAuthFailure(authFailure());
    await log.close(); // closeDestination not set: the stream stays open, but holds everything
    expect(got).toHaveLength(13);
    expect(stream.writableEnded).toBe(false);
    expect(codes(verifyLines(got, { k1: { secret: SECRET } }))).toEqual([]);
  });

  it('pino.multistream(): flushed through each of its streams', async () => {
    const a = slowWritable(3);
    const b = slowWritable(7);
    const log = createAuditLogger({ service: 'api', runtime: false, destination: pino.multistream([{ stream: a.stream }, { stream: b.stream }]), signing });
    for (let i = 0; i < 5; i++) log.webauthnAuthFailure(authFailure());
    await log.close();
    expect(a.got).toHaveLength(7);
    expect(b.got).toEqual(a.got);
    expect(JSON.parse(b.got.at(-1)!).event_type).toBe('AUDIT_CHAIN_CLOSE');
  });

  it('a Writable that fails while flush() waits: rejects with AuditDestinationError, not a timeout', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        setTimeout(() => cb(new Error('EIO: disk went away')), 5);
      },
    });
    const log = createAuditLogger({ service: 'api', runtime: false, destination: stream, onError: () => undefined });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    const err = await log.flush(10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditDestinationError);
    expect((err as AuditDestinationError).code).toBe('AUDIT_DESTINATION');
    expect((err as Error).message).toContain('EIO: disk went away');
  });
});

describe('a destination the logger cannot write to', () => {
  it('a path that cannot be opened (sync, the default) is an AuditConfigError naming the path and the system reason', () => {
    const notADir = join(tmpDir(), 'plain-file');
    writeFileSync(notADir, '');
    let err: unknown;
    try {
      createAuditLogger({ service: 'api', runtime: false, destination: join(notADir, 'audit.ndjson') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuditConfigError);
    expect((err as Error).message).toMatch(/cannot open destination ".*plain-file\/audit\.ndjson": .*(EEXIST|ENOTDIR)/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('the same path with sync: false fails later: reported through onError, close() rejects with AuditDestinationError, and the process does not crash (at once or at exit)', async () => {
    const notADir = join(tmpDir(), 'plain-file');
    writeFileSync(notADir, '');
    const r = await runFixture('async-path', notADir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^onError AUDIT_DESTINATION the audit destination could not be opened: .*(EEXIST|ENOTDIR).*; audit lines written to it are lost$/m);
    expect(r.out).toMatch(/^close rejected AUDIT_DESTINATION the audit destination could not be opened: .*\(3 lost\)$/m);
    expect(r.out.match(/^onError/gm)).toHaveLength(1);
  });

  it('a full disk (/dev/full, ENOSPC on every write): onError once, close() rejects naming the lines written since, no crash', async () => {
    const r = await runFixture('full', '');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^onError AUDIT_DESTINATION the audit destination failed: ENOSPC/m);
    expect(r.out).toMatch(/^close rejected AUDIT_DESTINATION .*ENOSPC.*\(2 written after it\)/m);
    expect(r.out.match(/^onError/gm)).toHaveLength(1);
  });
});
