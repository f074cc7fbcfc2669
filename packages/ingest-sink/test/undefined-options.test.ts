import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_FORWARD_LIMITS,
  type BatchOptions,
  type ForwardFallbackOptions,
  type ForwardLimits,
  type ForwardServerOptions,
  type RetryOptions,
  type SinkOptions,
  type SpoolOptions,
  type SqliteConnection,
  type SyslogServerOptions,
} from '../src/index.js';
import { checkLimits } from '../src/receivers/check-limits.js';
import { DEFAULT_SYSLOG_LIMITS, syslogLimits } from '../src/receivers/syslog/limits.js';
import { resolveSinkOptions } from '../src/sink/options.js';
import { aggregatorOnSqlite } from './receivers/helpers/real-sink.js';
import { tempDir } from './helpers/tmp.js';

/**
 * The option types accept `undefined` on every optional property (for
 * `exactOptionalPropertyTypes` users writing `dir: process.env.SPOOL_DIR`),
 * which promises that undefined is the same as leaving the key out. Each
 * list is checked against its type, so an option added later must join it.
 */
const BATCH_UNDEFINED = { maxRows: undefined, maxBytes: undefined, maxDelayMs: undefined } satisfies Record<keyof BatchOptions, undefined>;
const SPOOL_UNDEFINED = { dir: undefined, fsync: undefined, maxBytes: undefined, memoryBytes: undefined, onFull: undefined, segmentBytes: undefined } satisfies Record<keyof SpoolOptions, undefined>;
const RETRY_UNDEFINED = { initialDelayMs: undefined, maxDelayMs: undefined, factor: undefined } satisfies Record<keyof RetryOptions, undefined>;
const FALLBACK_UNDEFINED = {
  afterMs: undefined,
  tag: undefined,
  rejectTag: undefined,
  sharedKey: undefined,
  clientHostname: undefined,
  username: undefined,
  password: undefined,
  tls: undefined,
  timeoutMs: undefined,
} satisfies Record<Exclude<keyof ForwardFallbackOptions, 'host' | 'port'>, undefined>;
const SINK_UNDEFINED = {
  connection: undefined,
  migrate: undefined,
  batch: undefined,
  spool: undefined,
  retry: undefined,
  fallback: undefined,
  defaultSource: undefined,
  checkIntervalMs: undefined,
  futureSkewMs: undefined,
  onError: undefined,
} satisfies Record<Exclude<keyof SinkOptions, 'url'>, undefined>;
const LIMITS_UNDEFINED = Object.fromEntries(Object.keys(DEFAULT_FORWARD_LIMITS).map((k) => [k, undefined])) as Record<keyof ForwardLimits, undefined>;
const FORWARD_UNDEFINED = {
  host: undefined,
  port: undefined,
  tls: undefined,
  security: undefined,
  limits: LIMITS_UNDEFINED,
  keepalive: undefined,
  udpHeartbeat: undefined,
} satisfies Record<keyof ForwardServerOptions, unknown>;
const SYSLOG_UNDEFINED = {
  host: undefined,
  port: undefined,
  tls: undefined,
  maxFrameBytes: undefined,
  maxConnections: undefined,
  maxUdpBufferedBytes: undefined,
  maxBufferedBytes: undefined,
  closeTimeoutMs: undefined,
  idleTimeoutMs: undefined,
} satisfies Record<keyof SyslogServerOptions, undefined>;

/** Resolved sink options without onError (a new default function each time). */
function resolved(o: SinkOptions) {
  const { onError: _, ...rest } = resolveSinkOptions(o);
  return rest;
}

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-undefined-')));
afterEach(() => cleanup());

describe('an option given as undefined is an option not given', () => {
  it('createSink: every optional option, and every option of batch, spool, retry and fallback, undefined resolves as when left out', () => {
    const url = `sqlite:${join(dir, 'audit.db')}`;
    expect(resolved({ url, ...SINK_UNDEFINED })).toEqual(resolved({ url }));
    expect(resolved({ ...SINK_UNDEFINED, url: undefined })).toEqual(resolved({}));
    expect(resolved({ url: 'postgres://db/audit', batch: BATCH_UNDEFINED, spool: SPOOL_UNDEFINED, retry: RETRY_UNDEFINED })).toEqual(resolved({ url: 'postgres://db/audit' }));
    const fallback = { host: 'fluentd', port: 24224 };
    expect(resolved({ url, fallback: { ...fallback, ...FALLBACK_UNDEFINED } })).toEqual(resolved({ url, fallback }));
    const sqlite: SqliteConnection = { dialect: 'sqlite', filename: join(dir, 'audit.db') };
    expect(resolved({ connection: { ...sqlite, worker: undefined, busyTimeoutMs: undefined }, url: undefined })).toEqual(resolved({ connection: sqlite }));
  });

  it('receivers: forward and syslog options and limits undefined take the defaults (loopback, free ports, default limits)', async () => {
    expect(checkLimits('forward.limits', LIMITS_UNDEFINED, DEFAULT_FORWARD_LIMITS)).toEqual(DEFAULT_FORWARD_LIMITS);
    expect(syslogLimits(SYSLOG_UNDEFINED)).toEqual(DEFAULT_SYSLOG_LIMITS);
    const run = await aggregatorOnSqlite({
      forward: FORWARD_UNDEFINED,
      syslog: SYSLOG_UNDEFINED,
      health: { host: undefined, port: undefined },
      sinkOptions: undefined,
      tagTemplate: undefined,
      containerEventTags: undefined,
      partials: { maxLineBytes: undefined, maxOpen: undefined, maxOpenBytes: undefined, maxAgeMs: undefined, journal: undefined },
      log: undefined,
    });
    try {
      expect(run.agg.forward.host).toBe('127.0.0.1');
      expect(run.agg.syslog?.host).toBe('127.0.0.1');
      expect(run.agg.health?.host).toBe('127.0.0.1');
      expect([run.agg.forward.port, run.agg.syslog?.port, run.agg.health?.port].every((p) => typeof p === 'number' && p > 0)).toBe(true);
    } finally {
      await run.stop();
    }
  });
});
