import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLogger, verifyChain, type AuditLoggerOptions, type SigningTiming, type VerifyOptions, type VerifyRecord } from '../src/index.js';
import { resolveSigning } from '../src/signing/config.js';
import { signedChain } from './chain-fixture.js';
import { authFailure, fakeClock, lines, SECRET, tmpDir } from './helpers.js';

/**
 * The option types accept `undefined` on every optional property (for
 * `exactOptionalPropertyTypes` users writing `version: process.env.APP_VERSION`),
 * which promises that undefined is the same as leaving the key out. Each
 * list is checked against its type, so an option added later must join it.
 */
const LOGGER_UNDEFINED = {
  version: undefined,
  instance: undefined,
  runtime: undefined,
  env: undefined,
  sync: undefined,
  maxBufferedBytes: undefined,
  closeDestination: undefined,
  onInvalid: undefined,
  redact: undefined,
  signing: undefined,
  traceContext: undefined,
  flushTimeoutMs: undefined,
  closeTimeoutMs: undefined,
  onError: undefined,
} satisfies Record<Exclude<keyof AuditLoggerOptions, 'service' | 'destination' | 'now'>, undefined>;

const TIMING_UNDEFINED = { checkpointIntervalMs: undefined, epochIntervalMs: undefined, epochMaxEvents: undefined } satisfies Record<keyof SigningTiming, undefined>;

const VERIFY_UNDEFINED = {
  asOf: undefined,
  checkpointSlackMs: undefined,
  keyStepBudget: undefined,
  checkOrder: undefined,
  settleMs: undefined,
  storedAsOf: undefined,
  order: undefined,
} satisfies Record<keyof VerifyOptions, undefined>;

const RECORD_UNDEFINED = { invalidUtf8: undefined, logLine: undefined, lineBytes: undefined, columns: undefined, storedAt: undefined } satisfies Record<Exclude<keyof VerifyRecord, 'event' | 'location'>, undefined>;

/** The lines of a file with what differs from run to run (the event id) blanked. */
const written = (file: string) => lines(file).map((l) => ({ ...JSON.parse(l), event_id: '-' }));

describe('an option given as undefined is an option not given', () => {
  it('createAuditLogger: every optional option undefined writes what the defaults write', async () => {
    const run = async (extra: Partial<AuditLoggerOptions>) => {
      const file = join(tmpDir(), 'audit.ndjson');
      const log = createAuditLogger({ service: 'api', destination: file, now: fakeClock().now, ...extra });
      log.webauthnAuthFailure(authFailure());
      // Invalid input: recorded as a violation by default (onInvalid 'record'), never thrown.
      log.emit({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: '' } as never);
      await log.close();
      return written(file);
    };
    const defaults = await run({});
    expect(defaults.map((e) => e.event_type)).toEqual(['WEBAUTHN_AUTH_FAILURE', 'AUDIT_SCHEMA_VIOLATION']);
    expect(await run(LOGGER_UNDEFINED)).toEqual(defaults);
  });

  it('signing: timing options undefined take the docs/integrity.md defaults', () => {
    const given = { mode: 'shared' as const, kid: 'k1', secret: SECRET };
    expect(resolveSigning({ ...given, ...TIMING_UNDEFINED })).toEqual(resolveSigning(given));
  });

  it('verifyChain: every option undefined reports what no options report, and so do records whose optional fields are undefined', async () => {
    const chain = await signedChain({ events: 3, signing: { kid: 'k1', secret: SECRET } });
    const keys = { k1: { secret: SECRET } };
    const records = chain.map((line, i): VerifyRecord => ({ event: line, location: `audit.ndjson:${i + 1}` }));
    const plain = verifyChain(records, keys);
    expect(plain.ok).toBe(true);
    expect(verifyChain(records, keys, VERIFY_UNDEFINED)).toEqual(plain);
    expect(verifyChain(records.map((r) => ({ ...r, ...RECORD_UNDEFINED })), keys, VERIFY_UNDEFINED)).toEqual(plain);
  });
});
