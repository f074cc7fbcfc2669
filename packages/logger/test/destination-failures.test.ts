import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, AuditDestinationError, createAuditLogger } from '../src/index.js';
import { authFailure, codes, lines, SECRET, tmpDir, verifyLines } from './helpers.js';

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

/** Runs the fixture in a child process, killed after 15 s (a hang is a failure, not a stuck test run). */
async function runFixture(mode: string, path: string) {
  const child = spawn(process.execPath, ['--conditions=@audit-trail/source', '--import', 'tsx', fixture, mode, path], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15_000,
    killSignal: 'SIGKILL',
  });
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

describe('flush() and close() on a Writable wait for exactly the lines written before them', () => {
  it('fs.createWriteStream() you passed in (closeDestination not set): every line is in the file when flush() and close() resolve', async () => {
    const file = join(tmpDir(), 'ws.ndjson');
    const out = createWriteStream(file);
    const log = createAuditLogger({ service: 'api', runtime: false, destination: out, signing });
    // Few lines: under the stream's highWaterMark, so it never asks for 'drain'.
    for (let i = 0; i < 10; i++) log.webauthnAuthFailure(authFailure());
    await log.flush();
    expect(lines(file)).toHaveLength(11); // read at once: no wait for the stream beyond flush()
    for (let i = 0; i < 10; i++) log.webauthnAuthFailure(authFailure());
    await log.close();
    const ls = lines(file);
    expect(ls).toHaveLength(22);
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
    expect(out.writableEnded).toBe(false);
    out.end();
  });

  it('lines that keep coming while flush() waits do not hold it up until the time bound', async () => {
    // The stream takes a line per 2 ms while 3 arrive per ms: its buffer
    // never empties, but the 5 lines written before flush() are taken soon.
    const chunks: string[] = [];
    const stream = new Writable({
      highWaterMark: 1 << 30,
      write(chunk, _enc, cb) {
        setTimeout(() => {
          chunks.push(String(chunk));
          cb();
        }, 2);
      },
    });
    const log = createAuditLogger({ service: 'api', runtime: false, destination: stream });
    for (let i = 0; i < 5; i++) log.containerStart({ container: { id: 'abcdefabcdef' } });
    const steady = setInterval(() => {
      for (let i = 0; i < 3; i++) log.containerStart({ container: { id: 'abcdefabcdef' } });
    }, 1);
    try {
      await log.flush(2000);
      expect(chunks.length).toBeGreaterThanOrEqual(5);
      expect(stream.writableLength).toBeGreaterThan(0); // later lines still queued: flush() did not wait for them
    } finally {
      clearInterval(steady);
    }
    // One line per write, never an empty chunk.
    for (const c of chunks) expect(c).toMatch(/^\{.*\}\n$/);
  });

  it('a Writable whose writes failed before flush() was called: flush() and close() reject with AuditDestinationError, onError once', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        setTimeout(() => cb(new Error('EIO: disk went away')), 1);
      },
    });
    const seenByOwner: Error[] = [];
    stream.on('error', (err) => seenByOwner.push(err)); // the stream's own error handling is untouched
    const reported: Error[] = [];
    const log = createAuditLogger({ service: 'api', runtime: false, destination: stream, onError: (err) => reported.push(err) });
    for (let i = 0; i < 3; i++) log.containerStart({ container: { id: 'abcdefabcdef' } });
    await new Promise((r) => setTimeout(r, 50)); // the failure happens while nobody waits
    expect(stream.destroyed).toBe(true);
    expect(seenByOwner.map((e) => e.message)).toEqual(['EIO: disk went away']);
    for (const p of [log.flush(1000), log.close(1000)]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuditDestinationError);
      expect((err as Error).message).toContain('EIO: disk went away');
    }
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(AuditDestinationError);
  });
});

describe('a pino.transport() whose worker failed', () => {
  it('flush() and close() reject with AuditDestinationError naming the worker\'s own error, onError once (they rejected with a bare "the worker has exited", no code, the reason left out; found by a probe)', async () => {
    // A real worker that cannot start: pino/file cannot open a file in a directory that does not exist.
    const missing = join(tmpDir(), 'no-such-dir', 'audit.ndjson');
    const transport = pino.transport({ target: 'pino/file', options: { destination: missing } });
    const seenByOwner: Error[] = [];
    transport.on('error', (err: Error) => seenByOwner.push(err)); // pino's rule: the owner handles it
    await new Promise((resolve) => transport.on('close', resolve)); // the worker is gone (events.once would reject on its 'error')
    const reported: Error[] = [];
    const log = createAuditLogger({ service: 'api', runtime: false, destination: transport, onError: (err) => reported.push(err) });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    const flushed = await log.flush(1000).catch((e: unknown) => e);
    const closed = await log.close(1000).catch((e: unknown) => e);
    for (const err of [flushed, closed]) {
      expect(err).toBeInstanceOf(AuditDestinationError);
      expect((err as Error).message).toContain('ENOENT');
    }
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(AuditDestinationError);
    expect(seenByOwner[0]!.message).toContain('ENOENT');
  });
});

describe('an onError handler that throws', () => {
  it('neither makes emit() throw nor ends the process: what it throws becomes a warning carrying the error it was given', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const onError = () => {
        throw new Error('handler bug');
      };
      // One stream fails in write() itself, during emit(); the other through
      // its callback, reported from its 'error' event, where a throwing handler
      // would be an uncaught exception.
      const throwing = new Writable({
        write() {
          throw new Error('EIO: disk went away');
        },
      });
      const erroring = new Writable({
        write(_chunk, _enc, cb) {
          cb(new Error('EIO: disk went away'));
        },
      });
      erroring.on('error', () => undefined);
      for (const stream of [throwing, erroring]) {
        const log = createAuditLogger({ service: 'api', runtime: false, destination: stream, onError });
        expect(() => log.containerStart({ container: { id: 'abcdefabcdef' } })).not.toThrow();
        await new Promise((r) => setTimeout(r, 20));
        await log.close(100).catch(() => undefined);
      }
      expect(warnings.map((w) => [(w as Error & { code?: string }).code, w.message])).toEqual(
        Array(2).fill(['AUDIT_TRAIL_ON_ERROR_THREW', expect.stringMatching(/^onError threw \(handler bug\) while reporting: the audit destination failed: .*EIO: disk went away/)]),
      );
    } finally {
      process.off('warning', onWarning);
    }
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
    expect((err as AuditConfigError).code).toBe('AUDIT_CONFIG');
    expect((err as Error).message).toMatch(/cannot open destination ".*plain-file\/audit\.ndjson": .*ENOTDIR/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('the same path with sync: false fails later: reported through onError, close() rejects with AuditDestinationError, and the process does not crash (at once or at exit)', async () => {
    const notADir = join(tmpDir(), 'plain-file');
    writeFileSync(notADir, '');
    const r = await runFixture('async-path', notADir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^onError AUDIT_DESTINATION the audit destination could not be opened: .*ENOTDIR.*; audit lines written to it are lost$/m);
    expect(r.out).toMatch(/^close rejected AUDIT_DESTINATION the audit destination could not be opened: .*\(3 lost\)$/m);
    expect(r.out.match(/^onError/gm)).toHaveLength(1);
  });

  // Node 20's fs.mkdir({ recursive: true }), which sonic-boom's mkdir option
  // uses, retries forever there: createAuditLogger() spun at 100% CPU (sync),
  // or close() timed out and the process never exited (async). In a child
  // process, since a synchronous spin cannot be interrupted from inside.
  it.runIf(existsSync('/proc/self'))('a path under a /proc directory that does not exist (sync): AuditConfigError with ENOENT, no hang', async () => {
    const r = await runFixture('proc-sync', '');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^createAuditLogger threw AUDIT_CONFIG cannot open destination "\/proc\/nonexistent\/audit\.ndjson": ENOENT/m);
  });

  it.runIf(existsSync('/proc/self'))('the same path with sync: false: onError, close() rejects with AuditDestinationError, and the process exits', async () => {
    const r = await runFixture('proc-async', '');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^onError AUDIT_DESTINATION the audit destination could not be opened: ENOENT/m);
    expect(r.out).toMatch(/^close rejected AUDIT_DESTINATION .*\(3 lost\)$/m);
    expect(r.out.match(/^onError/gm)).toHaveLength(1);
  });

  it('missing directories of a destination path are created', async () => {
    const file = join(tmpDir(), 'a', 'b', 'c', 'audit.ndjson');
    for (const sync of [true, false]) {
      const log = createAuditLogger({ service: 'api', runtime: false, destination: file, sync });
      log.containerStart({ container: { id: 'abcdefabcdef' } });
      await log.close();
    }
    expect(lines(file)).toHaveLength(2);
  });

  it('a full disk (/dev/full, ENOSPC on every write): onError once, close() rejects naming the lines written since, no crash', async () => {
    const r = await runFixture('full', '');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^onError AUDIT_DESTINATION the audit destination failed: ENOSPC/m);
    expect(r.out).toMatch(/^close rejected AUDIT_DESTINATION .*ENOSPC.*\(2 written after it\)/m);
    expect(r.out.match(/^onError/gm)).toHaveLength(1);
  });

  it('a Writable you passed in that stops taking lines (a stalled socket) holds at most maxBufferedBytes; the lines beyond are dropped and counted, once through onError, and flush() names them', async () => {
    let release: (() => void) | undefined;
    const got: string[] = [];
    // Takes the first chunk, then stalls until released, as a peer that stopped reading.
    const stream = new Writable({
      write(chunk, _enc, cb) {
        got.push(...String(chunk).split('\n').filter(Boolean));
        if (got.length === 1) release = cb;
        else cb();
      },
    });
    const errors: Error[] = [];
    const log = createAuditLogger({ service: 'api', runtime: false, destination: stream, signing, maxBufferedBytes: 64 * 1024, onError: (e) => errors.push(e) });
    for (let i = 0; i < 2000; i++) log.webauthnAuthFailure(authFailure(`user-${i}`));
    expect(stream.writableLength).toBeLessThan(64 * 1024 + 2048);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AuditDestinationError);
    expect(errors[0]!.message).toMatch(/as many bytes unwritten as maxBufferedBytes allows/);
    release!();
    const err = await log.flush().then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(AuditDestinationError);
    const m = /\((\d+) written after it, (\d+) of them dropped\)$/.exec(err!.message);
    expect(m, err!.message).not.toBeNull();
    const dropped = Number(m![2]);
    expect(dropped).toBeGreaterThan(2001 - (64 * 1024) / 200);
    // Drained, the stream takes lines again: the chain shows where the dropped ones were.
    for (let i = 0; i < 5; i++) log.webauthnAuthFailure(authFailure(`later-${i}`));
    await expect(log.close()).rejects.toThrow(AuditDestinationError);
    // OPEN, 2005 events and CLOSE were emitted: what was not dropped reached the stream, in order.
    expect(got.length + dropped).toBe(2007);
    expect(got.slice(-6).map((l) => JSON.parse(l).user_id ?? JSON.parse(l).event_type)).toEqual(['later-0', 'later-1', 'later-2', 'later-3', 'later-4', 'AUDIT_CHAIN_CLOSE']);
    expect(codes(verifyLines(got, { k1: { secret: SECRET } }))).toEqual(['SEQ_GAP']);
  });

  it('the disk staying full: what the destination holds unwritten stops at maxBufferedBytes, and the lines beyond are counted as dropped (found by a probe: 300 000 events held 98 MB)', async () => {
    const r = await runFixture('full-many', '');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.match(/^onError/gm)).toHaveLength(1);
    const m = /^close rejected AUDIT_DESTINATION .*ENOSPC.*\((\d+) written after it, (\d+) of them dropped\)$/m.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const [after, dropped] = [Number(m![1]), Number(m![2])];
    expect(after).toBe(1999);
    // About 250 bytes a line: at most 64 KiB of them held, every other line dropped.
    expect(dropped).toBeGreaterThan(2000 - (64 * 1024) / 200);
    expect(dropped).toBeLessThan(after);
  });
});
