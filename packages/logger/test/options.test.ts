import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditClosedError, AuditConfigError, AuditTimeoutError, createAuditLogger, generateSealingKeyPair, type AuditLoggerOptions } from '../src/index.js';
import { authFailure, fakeClock, lines, SECRET, tmpDir } from './helpers.js';

const base = { service: 'api', runtime: false as const, env: {} };

/** createAuditLogger with `extra` over a file destination; the options are untyped, as from JavaScript or JSON. */
function make(extra: Record<string, unknown>) {
  return () => createAuditLogger({ ...base, destination: join(tmpDir(), 'audit.ndjson'), ...extra } as AuditLoggerOptions);
}

describe('createAuditLogger refuses misused options with AuditConfigError, before anything is opened', () => {
  it('refuses unknown option keys, naming the key and what was meant, and creates no file', () => {
    const file = join(tmpDir(), 'never.ndjson');
    expect(() => createAuditLogger({ ...base, destination: file, flushIntervalMS: 10 } as AuditLoggerOptions)).toThrowError(
      /^unknown option "flushIntervalMS": expected one of service, version, instance, runtime, env, destination, sync, maxBufferedBytes, closeDestination, onInvalid, redact, signing, traceContext, flushTimeoutMs, closeTimeoutMs, onError, now$/,
    );
    expect(existsSync(file)).toBe(false);
    expect(make({ flushtimeoutms: 10 })).toThrowError(/^unknown option "flushtimeoutms": did you mean "flushTimeoutMs"\?$/);
    // An unknown key is refused even when its value is undefined: it is still a typo.
    expect(make({ ondError: undefined })).toThrowError(AuditConfigError);
    expect(() => createAuditLogger(null as never)).toThrowError(/^options must be an object, got null$/);
    for (const bad of [1024, 1.5, -1, Number.NaN, '64MiB']) expect(make({ maxBufferedBytes: bad }), String(bad)).toThrowError(/^maxBufferedBytes must be a whole number of bytes from 65536, got /);
  });

  it('accepts every option AuditLoggerOptions documents, and each signing option of both modes', async () => {
    const errors: Error[] = [];
    const all: Required<AuditLoggerOptions> = {
      service: 'api',
      version: '1.0.0',
      instance: 'api-1',
      runtime: { k8s_pod: 'p' },
      env: {},
      destination: join(tmpDir(), 'audit.ndjson'),
      sync: true,
      maxBufferedBytes: 1024 * 1024,
      closeDestination: false,
      onInvalid: 'throw',
      redact: ['user_agent'],
      signing: { mode: 'shared', kid: 'k1', secret: SECRET, checkpointIntervalMs: 60_000, epochIntervalMs: 60_000, epochMaxEvents: 100 },
      traceContext: false,
      flushTimeoutMs: 1000,
      closeTimeoutMs: 1000,
      onError: (err) => errors.push(err),
      now: fakeClock().now,
    };
    const log = createAuditLogger(all);
    log.webauthnAuthFailure(authFailure());
    await log.close();
    expect(lines(all.destination as string)).toHaveLength(3);
    const { publicKey } = generateSealingKeyPair();
    const sealed = make({ signing: { mode: 'sealed', kid: 'v1', publicKey, checkpointIntervalMs: 60_000, epochIntervalMs: 60_000, epochMaxEvents: 100 } })();
    await sealed.close();
    expect(errors).toEqual([]);
  });

  it('refuses unknown signing options, and those of the other mode', () => {
    const shared = { mode: 'shared', kid: 'k1', secret: SECRET };
    expect(make({ signing: { ...shared, checkpointIntervalMS: 1000 } })).toThrowError(/^unknown signing option \(shared mode\) "checkpointIntervalMS": did you mean "checkpointIntervalMs"\?$/);
    expect(make({ signing: { ...shared, publicKey: 'x' } })).toThrowError(/^unknown signing option \(shared mode\) "publicKey": expected one of .*secret$/);
    expect(make({ signing: { mode: 'sealed', kid: 'v1', publicKey: generateSealingKeyPair().publicKey, secret: SECRET } })).toThrowError(/^unknown signing option \(sealed mode\) "secret"/);
    // The mode decides which options exist, so a bad mode is named first.
    expect(make({ signing: { mode: 'hmac', kid: 'k1', secret: SECRET, extra: 1 } })).toThrowError(/^signing mode must be "shared" or "sealed", got "hmac"$/);
    expect(make({ signing: true })).toThrowError(/^signing must be an object of signing options or false, got a boolean$/);
  });

  it('refuses a checkpoint or epoch interval longer than the longest timer Node keeps (2^31 - 1 ms), from options and the environment: Node fired it every millisecond, a checkpoint each time (found by a probe)', () => {
    const shared = { mode: 'shared', kid: 'k1', secret: SECRET };
    for (const name of ['checkpointIntervalMs', 'epochIntervalMs']) {
      expect(make({ signing: { ...shared, [name]: 2 ** 31 } }), name).toThrowError(new RegExp(`^${name} must be at most 2147483647 ms \\(about 24.8 days, the longest timer Node keeps\\), got 2147483648$`));
      expect(make({ signing: { ...shared, [name]: Number.MAX_SAFE_INTEGER } }), name).toThrowError(AuditConfigError);
    }
    const env = { AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET: SECRET, AUDIT_TRAIL_CHECKPOINT_INTERVAL_MS: '3000000000' };
    expect(make({ env })).toThrowError(/^checkpointIntervalMs must be at most 2147483647 ms/);
    // The longest timer is still accepted.
    const log = make({ signing: { ...shared, checkpointIntervalMs: 2 ** 31 - 1, epochIntervalMs: 2 ** 31 - 1 } })();
    void log.close();
  });

  it('refuses an onInvalid other than "record" or "throw" (a typo must not mean "record")', () => {
    expect(make({ onInvalid: 'thorw' })).toThrowError(/^onInvalid must be "record" or "throw", got "thorw"$/);
    expect(make({ onInvalid: true })).toThrowError(/^onInvalid must be "record" or "throw", got a boolean$/);
  });

  it('refuses boolean options that are not booleans (the string "false" is not false)', () => {
    expect(make({ sync: 'false' })).toThrowError(/^sync must be true or false, got a string$/);
    expect(make({ closeDestination: 1 })).toThrowError(/^closeDestination must be true or false, got 1$/);
    expect(make({ traceContext: null })).toThrowError(/^traceContext must be true or false, got null$/);
    expect(make({ runtime: 'k8s' })).toThrowError(/^runtime must be an object of runtime fields or false, got a string$/);
    expect(make({ env: null })).toThrowError(/^env must be an object of environment variables, got null$/);
  });

  it('refuses an onError that is not a function at creation, rather than a TypeError from emit() when the destination fails', () => {
    expect(make({ onError: 'x' })).toThrowError(/^onError must be a function, got a string$/);
    const failing = new Writable({ write: (_c, _e, cb) => cb(new Error('EIO: i/o error, write')) });
    failing.on('error', () => {});
    expect(() => createAuditLogger({ ...base, destination: failing, onError: 'x' as never })).toThrowError(AuditConfigError);
  });

  it('refuses a now that is not a function, and a clock returning something other than a valid Date, at creation', () => {
    expect(make({ now: 5 })).toThrowError(/^now must be a function, got 5$/);
    expect(make({ now: () => '2026-01-01T00:00:00Z' })).toThrowError(/^options.now returned a string; it must return a valid Date$/);
    expect(make({ now: () => Date.now() })).toThrowError(/^options.now returned \d+; it must return a valid Date$/);
  });

  it('refuses redact paths that are not an array of non-empty dotted strings, naming the bad entry', () => {
    expect(make({ redact: 'client_ip' })).toThrowError(/^redact must be an array of dotted paths, got a string$/);
    expect(make({ redact: [1] })).toThrowError(/^redact\[0\] must be a dotted path string, got 1$/);
    expect(make({ redact: ['client_ip', ''] })).toThrowError(/^redact\[1\] "" is not a dotted path$/);
    expect(make({ redact: ['headers..x'] })).toThrowError(/^redact\[0\] "headers..x" is not a dotted path$/);
  });
});

describe('time bounds of flush() and close()', () => {
  it('refuses a timeout option that is not a number of ms from 0 to 2^31 - 1', () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, 2 ** 31, '5000']) {
      expect(make({ closeTimeoutMs: bad }), String(bad)).toThrowError(/^closeTimeoutMs must be a number of milliseconds from 0 to 2147483647, got /);
      expect(make({ flushTimeoutMs: bad }), String(bad)).toThrowError(/^flushTimeoutMs must be a number of milliseconds from 0 to 2147483647, got /);
    }
    expect(make({ closeTimeoutMs: Number.NaN })).toThrowError(/got NaN$/);
  });

  it('rejects flush(ms) and close(ms) with an unusable bound, leaving the logger open', async () => {
    const log = make({})();
    await expect(log.close(Number.NaN)).rejects.toThrowError(/^close\(\) timeoutMs must be a number of milliseconds from 0 to 2147483647, got NaN$/);
    await expect(log.close(-1)).rejects.toThrowError(AuditConfigError);
    await expect(log.flush(-1)).rejects.toThrowError(/^flush\(\) timeoutMs must be a number of milliseconds from 0 to 2147483647, got -1$/);
    await expect(log.flush(null as never)).rejects.toThrowError(/got null$/);
    // Still open: nothing was closed by the refused calls.
    expect(log.webauthnAuthFailure(authFailure()).event_type).toBe('WEBAUTHN_AUTH_FAILURE');
    await log.close();
  });

  it('takes 0 as a bound of zero: a flush of the synchronous default needs no wait; close(0) closes and waits for no I/O', async () => {
    const log = make({})();
    log.webauthnAuthFailure(authFailure());
    await expect(log.flush(0)).resolves.toBeUndefined();
    const closed = await log.close(0).then(() => undefined, (err: unknown) => err);
    // Ending the file takes an fs.close callback, which may or may not beat a 0 ms timer.
    if (closed !== undefined) expect(closed).toBeInstanceOf(AuditTimeoutError);
    expect(() => log.webauthnAuthFailure(authFailure())).toThrowError(AuditClosedError);
  });
});
