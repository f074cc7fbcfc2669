import { join } from 'node:path';
import { MEMORY_ONLY, PartialJournal, type PartialDurability } from '../normalize/partial-journal.js';
import type { PartialLimits } from '../normalize/partials.js';
import { RecordNormalizer, type Released } from '../normalize/record.js';
import { checkLimits } from './check-limits.js';
import { checkSecurity } from './forward/handshake.js';
import { DEFAULT_FORWARD_LIMITS } from './forward/options.js';
import { syslogLimits } from './syslog/limits.js';
import { resolveSinkOptions } from '../sink/options.js';
import { compileTagPatterns } from '../normalize/tag-patterns.js';
import { ConfigError } from './config.js';
import { newCounters, type ReceiverCounters } from './counters.js';
import { DEFAULT_TAG_TEMPLATE } from './defaults.js';
import type { ForwardServerOptions } from './forward/options.js';
import { startForwardServer, type ForwardServer } from './forward/server.js';
import { startHealthServer, type HealthServer } from './health.js';
import { checkReceiverTls } from './tls-server.js';
import { sinkHealth, SinkWatch } from './sink-health.js';
import { startSyslogServer, type SyslogServer, type SyslogServerOptions } from './syslog/server.js';
import { silentLog, type EventSink, type ReceiverLog } from './types.js';

/** A sink the aggregator may also flush, close and ask for counters. */
export interface AggregatorSink extends EventSink {
  flush?(): Promise<unknown>;
  close?(): Promise<unknown>;
  stats?(): unknown;
}

/** Options of {@link startAggregator}. */
export interface AggregatorOptions {
  /** Where events go: a sink object, or a database URL given to `createSink` (with `sinkOptions`). */
  sink: AggregatorSink | string;
  /** Extra `createSink` options (spool, batch...) when `sink` is a URL. */
  sinkOptions?: Record<string, unknown> | undefined;
  forward: ForwardServerOptions;
  /** Syslog receiver; off when absent. */
  syslog?: SyslogServerOptions | undefined;
  /** Health endpoint `GET /healthz`; off when absent. */
  health?: { host?: string | undefined; port?: number | undefined } | undefined;
  /** Docker tag template parsed into Swarm columns (default: the reference Swarm template). */
  tagTemplate?: string | undefined;
  /**
   * Tags (forward) and APP-NAMEs (syslog) that Docker events and Falco alerts
   * may arrive with, `*` matching any characters, e.g. `['docker.events',
   * 'falco']`. Any container's output can hold a line shaped like one; from
   * any other tag it is stored as a reject (CONTAINER_EVENT_UNTRUSTED_TAG).
   * Default: any tag.
   */
  containerEventTags?: readonly string[] | undefined;
  /**
   * Partial-line reassembly: limits, and `journal`, the file where pieces
   * of lines not yet complete are kept (they are acked before their line is
   * complete). Default: `partial-lines.journal` in the sink's spool
   * directory when `sink` is a URL; memory only when it is a sink object,
   * or when `journal` is false (a crash then loses acked pieces of
   * incomplete lines).
   */
  partials?: { maxLineBytes?: number | undefined; maxOpen?: number | undefined; maxOpenBytes?: number | undefined; maxAgeMs?: number | undefined; journal?: string | false | undefined } | undefined;
  log?: ReceiverLog | undefined;
}

/** A running aggregator: addresses (real ports when 0 was asked), counters, and a graceful close. */
export interface Aggregator {
  forward: { host: string; port: number };
  syslog?: { host: string; port: number };
  health?: { host: string; port: number };
  counters: { forward: ReceiverCounters; syslog: ReceiverCounters };
  sink: AggregatorSink;
  /** Lines over 16 KiB being reassembled now: how many, and the bytes of their pieces (bounded by `partials.maxOpen` and `maxOpenBytes`). */
  partialLines(): { open: number; bytes: number };
  /**
   * Stops accepting, finishes and acks in-flight requests, flushes; closes a
   * sink it created. Incomplete partial lines stay in the journal for the
   * next start (their senders send the rest then); without a journal they
   * are stored as they are.
   */
  close(): Promise<void>;
}

/** Defaults of the split-line limits (`partials` of {@link AggregatorOptions}). */
const DEFAULT_PARTIAL_LIMITS: PartialLimits = { maxLineBytes: 4 * 1024 * 1024, maxOpen: 1000, maxOpenBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 };

/** Longest partial line a journal may hold: its pieces' records must stay within the spool's frame limit (3 bytes of UTF-8 per character at worst). */
const MAX_JOURNALED_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Names the listener a socket error (`EADDRINUSE`, `EACCES`...) belongs to:
 * the forward receiver, the syslog receiver and the health endpoint each
 * listen, and "listen EADDRINUSE: address already in use 127.0.0.1:24301"
 * did not say which of them was given a taken port (found by a probe). The
 * error keeps its code and type; only its message gains the name.
 */
async function listening<T>(what: string, start: Promise<T>): Promise<T> {
  try {
    return await start;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e instanceof Error && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) e.message = `${what}: ${e.message}`;
    throw err;
  }
}

/**
 * Starts the aggregator in-process: forward receiver (+ UDP heartbeat),
 * optional syslog receiver and health endpoint, all writing through one sink.
 * Port 0 picks free ports; the returned addresses name them.
 */
export async function startAggregator(options: AggregatorOptions): Promise<Aggregator> {
  const log = options.log ?? silentLog;
  if (typeof options.sink !== 'string' && typeof (options.sink as AggregatorSink | undefined)?.write !== 'function') {
    throw new ConfigError('CONFIG_INVALID', 'sink must be a database URL or an object with write() (createSink())');
  }
  if (typeof options.forward !== 'object' || options.forward === null) throw new ConfigError('CONFIG_INVALID', 'forward must be the forward receiver\'s options ({ port: 24224 } at least)');
  const ownsSink = typeof options.sink === 'string';
  const { journal: journalOption, ...limits } = options.partials ?? {};
  const partialLimits = checkLimits('partials', limits, DEFAULT_PARTIAL_LIMITS);
  const journalPath = journalOption ?? (typeof options.sink === 'string' ? join(resolveSinkOptions({ ...options.sinkOptions, url: options.sink }).spool.dir, 'partial-lines.journal') : false);
  if (journalPath !== false && partialLimits.maxLineBytes > MAX_JOURNALED_LINE_BYTES) {
    throw new ConfigError('CONFIG_INVALID', `partials.maxLineBytes may be at most ${MAX_JOURNALED_LINE_BYTES} with a partial-line journal (got ${partialLimits.maxLineBytes})`);
  }
  // Everything that can be refused is refused before the sink opens (and creates its database).
  checkLimits('forward.limits', options.forward.limits, DEFAULT_FORWARD_LIMITS);
  checkSecurity(options.forward.security);
  if (options.syslog) syslogLimits(options.syslog);
  const certificateProblems = [
    options.forward.tls && checkReceiverTls('forward', options.forward.tls),
    options.syslog?.tls && checkReceiverTls('syslog', options.syslog.tls),
  ].filter((p): p is string => typeof p === 'string');
  const counters = { forward: newCounters(), syslog: newCounters() };
  const containerEventTags = compileTagPatterns(options.containerEventTags);
  const normalizer = new RecordNormalizer({ tagTemplate: options.tagTemplate ?? DEFAULT_TAG_TEMPLATE, containerEventTags, partials: partialLimits }, counters.forward);
  const sink: AggregatorSink = typeof options.sink === 'string' ? await openSink(options.sink, options.sinkOptions) : options.sink;
  const partialLines = () => ({ open: normalizer.partials.size, bytes: normalizer.partials.bytes });
  const started: { forward?: ForwardServer; syslog?: SyslogServer; health?: HealthServer } = {};
  let journal: PartialJournal | undefined;
  let partials: PartialDurability = MEMORY_ONLY;
  /** Stores lines the assembler released outside a request, then settles their keys. */
  const storeReleased = async ({ out, settles, stored }: Released): Promise<void> => {
    const items = out.flatMap((n) => (n.kind === 'sink' ? [n.item] : (counters.forward.nonAudit++, [])));
    if (items.length > 0) {
      counters.forward.toSink += items.length;
      const r = await sink.write(items);
      counters.forward.accepted += r.accepted;
      counters.forward.rejected += r.rejected;
    }
    await partials.settle(settles, stored());
  };
  // Every 5 s, or a quarter of a shorter maxAgeMs: a line is released at most that late.
  // One run at a time, and close() waits for the last.
  let expiring = Promise.resolve();
  const timer = setInterval(() => {
    expiring = expiring
      .then(() => storeReleased(normalizer.expire(Date.now())))
      .catch((err: Error) => log({ level: 'error', msg: 'could not store expired partial lines', reason: err.message }));
  }, Math.max(100, Math.min(5_000, partialLimits.maxAgeMs / 4)));
  timer.unref();
  // Once a second: the database going away, staying away and coming back, and the spool filling, in the log.
  const watch = new SinkWatch(log);
  let watching = false;
  const watchTimer = setInterval(() => {
    if (!sink.stats || watching) return;
    watching = true;
    Promise.resolve(sink.stats())
      .then((s) => watch.observe(s))
      .catch(() => undefined)
      .finally(() => (watching = false));
  }, 1000);
  watchTimer.unref();
  try {
    if (journalPath !== false) {
      const opened = await PartialJournal.open(journalPath);
      partials = journal = opened.journal;
      const { pieces, damagedBytes, damagedCopy, stored } = opened.report;
      normalizer.partials.restoreStored(stored, Date.now());
      if (damagedBytes > 0) log({ level: 'warn', msg: 'partial-line journal had unreadable bytes, skipped', path: journalPath, damagedBytes, ...(damagedCopy ? { damagedCopy } : {}) });
      if (pieces.length > 0) {
        log({ level: 'info', msg: 'partial lines restored from the journal', path: journalPath, pieces: pieces.length });
        await storeReleased(normalizer.restore(pieces, Date.now()));
      }
    }
    for (const problem of certificateProblems) log({ level: 'error', msg: problem });
    started.forward = await listening('forward receiver', startForwardServer(options.forward, { sink, counters: counters.forward, normalizer, partials, log }));
    log({ level: 'info', msg: 'forward receiver listening', ...started.forward.address, tls: !!options.forward.tls, auth: !!options.forward.security });
    // The default listens on every interface without a key: said once, loudly,
    // since whoever reaches the port can then write audit events (found by a probe).
    if (!options.forward.security && !options.forward.tls?.ca && !isLoopback(started.forward.address.host)) {
      log({ level: 'warn', msg: 'forward receiver accepts any client: whoever reaches this port can write audit events; set shared keys (--shared-key-file) or client certificates (--tls-ca), or listen on a private address', ...started.forward.address });
    }
    if (options.syslog) {
      started.syslog = await listening('syslog receiver', startSyslogServer(options.syslog, { sink, counters: counters.syslog, log, containerEventTags }));
      log({ level: 'info', msg: 'syslog receiver listening', ...started.syslog.address, tls: !!options.syslog.tls, udp: !options.syslog.tls });
    }
    if (options.health) {
      started.health = await listening(
        'health endpoint',
        startHealthServer(options.health.host ?? '127.0.0.1', options.health.port ?? 0, async () => {
          const stats = sink.stats ? await sink.stats() : undefined;
          return { ...sinkHealth(stats), receivers: counters, partialLines: partialLines(), sink: stats };
        }, log),
      );
      log({ level: 'info', msg: 'health endpoint listening', ...started.health.address });
    }
  } catch (err) {
    clearInterval(timer);
    clearInterval(watchTimer);
    await Promise.allSettled([started.forward?.close(), started.syslog?.close(), started.health?.close()]);
    await expiring;
    await journal?.close();
    if (ownsSink) await sink.close?.();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    forward: started.forward.address,
    ...(started.syslog ? { syslog: started.syslog.address } : {}),
    ...(started.health ? { health: started.health.address } : {}),
    counters,
    sink,
    partialLines,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        clearInterval(watchTimer);
        await Promise.all([started.forward?.close(), started.syslog?.close()]);
        await expiring;
        // Journaled pieces wait for the rest of their lines across the restart; without a journal they are stored now, as they are.
        if (journal) await journal.close();
        else await storeReleased(normalizer.expire(Number.POSITIVE_INFINITY));
        // A sink it opened is closed: that delivers what it can within its
        // close bound (10 s) and keeps the rest in the spool for the next
        // start. flush() has no bound, so with the database down it never
        // returned and SIGTERM never ended serve.
        // A caller's sink closed before the aggregator rejects the flush
        // (SINK_CLOSED): what it holds stays in its spool, said in the log.
        if (!ownsSink) {
          await sink.flush?.().catch((err: Error) => log({ level: 'warn', msg: 'the sink was closed before the aggregator: what it holds stays in its spool', error: err.message }));
        }
        await started.health?.close();
        if (ownsSink) await sink.close?.();
        log({ level: 'info', msg: 'aggregator stopped', forward: counters.forward, syslog: counters.syslog, ...(await spoolLeft(sink)) });
      })();
      return closing;
    },
  };
}

/**
 * What stays in the sink's spool, for the log line at stop: acked events the
 * database has not committed yet, delivered at the next start (or lost with
 * the spool's disk), which an operator about to move or wipe a container
 * must know.
 */
async function spoolLeft(sink: AggregatorSink): Promise<{ spooled?: { events: number; bytes: number } }> {
  const s = (await Promise.resolve(sink.stats?.()).catch(() => undefined)) as { spooledEvents?: unknown; spooledBytes?: unknown } | undefined;
  return typeof s?.spooledEvents === 'number' && typeof s.spooledBytes === 'number' ? { spooled: { events: s.spooledEvents, bytes: s.spooledBytes } } : {};
}

/** Opens the package's own sink for a database URL (loaded lazily to keep drivers optional). */
async function openSink(url: string, extra: Record<string, unknown> = {}): Promise<AggregatorSink> {
  type Create = (o: Record<string, unknown>) => AggregatorSink & { ready?: Promise<void> };
  const mod = (await import('../index.js')) as unknown as { createSink?: Create };
  if (typeof mod.createSink !== 'function') throw new Error('createSink is not available in @audit-trail/ingest-sink');
  const sink = mod.createSink({ ...extra, url });
  // Fail fast (bad URL, database down at start) instead of on the first request.
  await sink.ready;
  return sink;
}

/** A loopback address (localhost, 127.0.0.0/8, ::1, or 127.x written IPv4-mapped). */
function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
