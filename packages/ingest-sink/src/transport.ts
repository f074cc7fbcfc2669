import fs from 'node:fs';
import { assignDefined } from '@audit-trail/schema';
import build from 'pino-abstract-transport';
import { createSink, spillToSpool } from './sink/create-sink.js';
import { DEFAULT_DB_URL } from './sink/connection.js';
import { SinkError } from './sink/errors.js';
import { MAX_TIMER_MS } from './sink/max-timer-ms.js';
import type { Sink, SinkOptions } from './sink/types.js';
import { isBlankLine } from './normalize/blank-line.js';

/** Options of the pino transport: the sink's options plus how lines are grouped. */
export interface SinkTransportOptions extends SinkOptions {
  /** Lines per `sink.write()`: a whole number from 1 to 100 000 (default 500). */
  chunk?: number | undefined;
  /** A partial chunk is written after this many ms: a whole number from 0 (default 20). */
  lingerMs?: number | undefined;
  /**
   * Once pino has ended the stream: how long writes the sink refuses are
   * still retried (their lines are then counted as lost), and then how long
   * the sink may deliver before what is left stays in its spool (default 3 s).
   * Both steps run while the main thread is blocked in thread-stream's end()
   * (thread-stream index.js end(): Atomics.wait, 10 s at most, then the
   * worker is terminated), and inside Docker's 10 s grace after SIGTERM: 3 s
   * keeps the two steps, plus the database connection's 1 s, under both. The
   * sink's close returns at once during a database outage (what it accepted
   * is in its spool by then).
   */
  closeTimeoutMs?: number | undefined;
  /** `source` of rejects (default 'pino'). */
  source?: string | undefined;
}

/**
 * Keys pino.transport() adds to a single target's options on their way to
 * the worker: `pinoWillSendConfig` (pino lib/transport.js: it will post the
 * logger's config) and `$context` ({ threadStreamVersion }, thread-stream 4).
 * They are not the sink's, and its unknown-key check refused them, so the
 * documented `pino.transport({ target: '@audit-trail/ingest-sink/transport' })`
 * ended the process at its first line.
 */
const ADDED_BY_PINO = ['pinoWillSendConfig', '$context'] as const;

/**
 * Writes `text` on the process's stderr at once, from this worker thread.
 * A worker's process.stderr is relayed by the main thread's event loop
 * (Node's worker stdio is a message port), which is blocked in thread-stream's
 * end() (Atomics.wait, thread-stream index.js end()) while this transport
 * closes and gone once the process exits: a failure report written that way
 * never appeared in a process that exited soon after starting (found by a
 * probe). fs.writeSync on descriptor 2 needs no other thread. Called through
 * the `fs` object so tests can capture it.
 */
function toStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    // A non-blocking pipe that is full (EAGAIN), or stderr closed: the relayed write is all that is left.
    process.stderr.write(text);
  }
}


/**
 * Checks the transport's own options as the sink checks its (SINK_BAD_OPTION
 * naming the option). Unchecked, `chunk: 'big'` never sent a chunk until the
 * linger timer, `chunk: 0` sent every line alone, and `closeTimeoutMs: 'x'`
 * (an environment variable passed as it is) made every give-up time NaN:
 * refused lines were retried past pino's end (found by a probe).
 */
function checkTransportOptions(opts: { chunk: unknown; lingerMs: unknown; closeTimeoutMs: unknown; url: unknown; connection: unknown }): void {
  // createSink() without a database opens sqlite:./audit.db, a fine default
  // for a program that calls it; in a service's transport it is a mistake
  // (`url: process.env.AUDIT_DB_URL` with the variable unset), and the
  // audit trail went into a file in the working directory, often a
  // container's, with nothing said (found by a probe). Null too: createSink()
  // takes it for none (`url ?? DEFAULT_DB_URL`), as in `url: env.X ?? null`.
  if (opts.url == null && opts.connection == null) {
    throw new SinkError('SINK_BAD_OPTION', `the transport needs options.url or options.connection (the database to write to); without one it would write to ${DEFAULT_DB_URL} in ${process.cwd()}: give that URL to mean it`);
  }
  const whole = (name: string, v: unknown, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new SinkError('SINK_BAD_OPTION', `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v) ?? String(v)}`);
  };
  whole('chunk', opts.chunk, 1, 100_000);
  whole('lingerMs', opts.lingerMs, 0, MAX_TIMER_MS);
  whole('closeTimeoutMs', opts.closeTimeoutMs, 0, MAX_TIMER_MS);
}

/**
 * Characters of lines the worker holds unwritten (a chunk the sink refuses,
 * those behind it) before it stops reading: about 64 MiB of ASCII JSON, the
 * logger's own `maxBufferedBytes`. Past it, lines wait in thread-stream's
 * main-thread buffer, and an end() then still runs into its 10 s limit.
 */
const HELD_MAX = 64 * 1024 * 1024;

/** First and longest pause between two tries of a refused write. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;
/** How often a write refused for a full spool looks for room freed by a delivery. */
const SPOOL_POLL_MS = 20;

/**
 * pino transport writing each log line straight into a sink:
 * `pino({ transport: { target: '@audit-trail/ingest-sink/transport', options: { url: 'postgres://...' } } })`.
 * Lines are kept exactly as pino wrote them (they become `event_json`), so
 * pino's `level`/`time`/`pid`/`hostname` are split off by the schema parser,
 * not re-serialised. Lines that are not audit events go to the rejects table
 * with their reason: point only the audit logger here. A write the sink
 * refuses (full spool, disk error) is retried, never dropped while the
 * process runs, and the lines after it wait (in this worker up to HELD_MAX,
 * then in thread-stream's main-thread buffer: pino is never held back, it
 * ignores write()'s return). Once pino ends the stream, refused lines get
 * `closeTimeoutMs` more, then are counted, said on stderr and thrown to
 * pino; the sink delivers what it can and keeps the rest in its spool for
 * the next start.
 */
export default async function sinkTransport(opts: SinkTransportOptions = {}): Promise<ReturnType<typeof build>> {
  const { chunk = 500, lingerMs = 20, source = 'pino', closeTimeoutMs = 3_000, ...given } = opts;
  const sinkOptions: Record<string, unknown> = { ...given };
  for (const key of ADDED_BY_PINO) delete sinkOptions[key];
  const reported = new Set<string>();
  /** Writes one JSON line on stderr the first time a kind of failure (its code) is seen. */
  const reportOnce = (msg: string, err: Error & { code?: string }) => {
    const kind = err.code ?? err.name;
    if (reported.has(`${msg}\0${kind}`)) return;
    reported.add(`${msg}\0${kind}`);
    toStderr(`${JSON.stringify({ msg, code: kind, error: err.message })}\n`);
  };
  // The sink's own failures (a database refused, down or not migrated; a
  // forwarder that fails) keep the lines in its spool, retrying: said once
  // per kind. Without it a transport whose database was never migrated
  // spooled every line and said nothing (found by a docs probe).
  let sink: Sink;
  try {
    checkTransportOptions({ chunk, lingerMs, closeTimeoutMs, url: sinkOptions.url, connection: sinkOptions.connection });
    // The caller's options over the transport's, but only those given: a
    // spread put `defaultSource: undefined` over 'pino' (rejects were stored
    // as 'direct') and `onError: undefined` over the report below, so the
    // sink's failures went unsaid (found by a review).
    const reportError = (err: Error) => reportOnce('audit-trail transport: the sink cannot deliver yet; lines stay in its spool, retrying', err as Error & { code?: string });
    sink = createSink(assignDefined({ defaultSource: source, onError: reportError }, sinkOptions) as SinkOptions);
    await sink.ready;
  } catch (err) {
    // thread-stream posts this as an ERROR message that only a running main thread turns into pino's 'error' event: said here as well.
    reportOnce('audit-trail transport: cannot start; lines logged to it are lost', err as Error & { code?: string });
    throw err;
  }
  /**
   * Chunks not yet accepted by the sink, oldest first. One sink.write() at a
   * time, the oldest chunk: a refused chunk is retried while those after it
   * wait, so lines reach the sink in the order pino wrote them. With several
   * writes in flight, a later chunk was accepted while an earlier one was
   * retried: stored out of order, and a signed chain read back by id went
   * backwards (verify: REORDERED; found by a probe). The sink takes each
   * write's lines in one group commit, so a chunk of 500 loses little by it.
   */
  const chunks: string[][] = [];
  /** The loop writing `chunks`, while there are any. */
  let writer: Promise<void> | undefined;
  /** Woken each time a chunk leaves `chunks` (the reading loop waits for room). */
  let shifted: (() => void) | undefined;
  /** Characters of the lines read and not yet accepted by the sink (`chunks` and `buffer`). */
  let held = 0;
  let buffer: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let failure: Error | undefined;
  /** The last refusal other than SINK_CLOSED: what a loss is put down to when closing the sink ended the retries. */
  let refusal: Error | undefined;
  let lost = 0;
  /** Once pino has ended the stream: retries stop at this time. */
  let giveUpAt = Infinity;
  /** Ends the retry pauses under way: called when pino ends the stream, so they count from then. */
  const wakers = new Set<() => void>();
  /** Sleeps `ms`, or until pino ends the stream if it is still running then. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      wakers.add(done);
    });
  /**
   * Starts the closeTimeoutMs of refused writes: pino has ended the stream.
   * The lines still here go on into the spool from now on, without waiting
   * for the database to keep up (spillToSpool): they are stored at the next
   * start rather than lost at closeTimeoutMs.
   */
  const ended = () => {
    if (giveUpAt !== Infinity) return;
    giveUpAt = Date.now() + closeTimeoutMs;
    spillToSpool(sink);
    for (const wake of [...wakers]) wake();
  };

  /**
   * Writes `items`, again and again while the sink refuses them (a full
   * spool with onFull 'reject', a disk error): lines the logger handed over
   * are never dropped while the process runs. Once pino has ended the stream
   * they are tried until `giveUpAt`, then counted in `lost`. Options cross
   * into this worker thread by structured clone, so no onError callback can:
   * each kind of failure is reported once on stderr (reportOnce).
   */
  const write = async (items: string[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await sink.write(items);
        return;
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.code !== 'SINK_CLOSED') {
          reportOnce('audit-trail transport: sink.write() failed, retrying', e);
          refusal = e;
        }
        if (e.code === 'SINK_CLOSED' || Date.now() >= giveUpAt) {
          failure ??= refusal ?? (e.code === 'SINK_CLOSED' ? waitedFor(e) : e);
          lost += items.length;
          return;
        }
        const ms = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt, Math.max(0, giveUpAt - Date.now()));
        if (e.code === 'SINK_SPOOL_FULL') await roomOrPause(ms);
        else await pause(ms);
      }
    }
  };

  /**
   * Waits `ms`, or less once the sink's spool has shrunk (a delivery freed
   * room), checked every SPOOL_POLL_MS: with the database up, a full spool
   * empties in moments, and a backoff of seconds left the refused lines
   * waiting (at exit, past closeTimeoutMs: a probe lost 4947 of 30 000 with
   * the database up). During an outage it polls a number, not the sink.
   */
  const roomOrPause = async (ms: number) => {
    const until = Date.now() + ms;
    const full = sink.stats().spooledBytes;
    const end = giveUpAt;
    while (Date.now() < until && giveUpAt === end && sink.stats().spooledBytes >= full) {
      await pause(Math.min(SPOOL_POLL_MS, until - Date.now()));
    }
  };

  /**
   * The reason lines are lost when their write was closed while it waited,
   * never refused: what it waited for. "the sink is closed" alone hid a full
   * spool during an outage (onFull 'wait'; found by a probe: 19 500 lines
   * lost to PostgreSQL down and a full spool, said as "not written: the sink
   * is closed").
   */
  const waitedFor = (closedErr: Error): Error => {
    const st = sink.stats();
    const db = st.lastError ? `; the sink's last error: ${st.lastError.code}: ${st.lastError.message}` : '';
    const message = `the sink closed while they waited to be taken (its spool held ${st.spooledBytes} of ${st.spoolMaxBytes} bytes${db})`;
    return Object.assign(new Error(message, { cause: closedErr }), { code: 'SINK_CLOSED' });
  };

  /** Writes `chunks` oldest first, one at a time, until none is left. */
  const drain = async () => {
    while (chunks.length > 0) {
      const items = chunks[0]!;
      await write(items);
      chunks.shift();
      for (const line of items) held -= line.length;
      shifted?.();
    }
    writer = undefined;
  };

  const send = () => {
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    chunks.push(buffer);
    buffer = [];
    writer ??= drain();
  };

  const out = build(
    async (source: AsyncIterable<string>) => {
      for await (const line of source) {
        if (isBlankLine(line)) continue;
        buffer.push(line);
        held += line.length;
        if (buffer.length >= chunk) send();
        else timer ??= setTimeout(send, lingerMs);
        // Lines go on being read while a refused chunk is retried, up to
        // HELD_MAX: thread-stream's end() needs every line read before it
        // tells this worker the stream ends (index.js end(): flushSync, 10 s
        // at most). A worker that stopped reading while it retried never
        // learnt pino had ended: its give-up clock never started, and
        // thread-stream dropped the lines after 10 s with nothing said
        // (found by a probe). The lines wait here instead of in the main
        // thread, which pino never holds back (it ignores write()'s return).
        while (held > HELD_MAX) await new Promise<void>((resolve) => (shifted = resolve));
      }
      ended();
    },
    {
      parse: 'lines',
      // The line itself, not JSON.parse(line): pino-abstract-transport parses
      // each line even with parse 'lines', and drops (emits 'unknown' for) a
      // line that does not parse or is `null`, so a line that was not JSON
      // was neither stored nor a reject, and nothing said so (found by a
      // probe: pino with a level formatter returning {} writes "{,...").
      // The sink validates every line itself.
      parseLine: (line: string) => line,
      async close() {
        ended();
        send();
        // A write waiting for room (onFull 'wait') during an outage would
        // wait past thread-stream's 10 s: at giveUpAt the sink is closed,
        // which refuses it (SINK_CLOSED, counted as lost) and the chunks after it.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([writer, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, giveUpAt - Date.now()))))]);
        clearTimeout(timer);
        await sink.close({ timeoutMs: closeTimeoutMs });
        await writer;
        if (failure) {
          const message = `${lost} audit line(s) not written: ${failure.message}`;
          // pino treats a transport error as fatal, but only a main thread that still runs sees it (thread-stream
          // posts it as a message while the main thread waits in end()): said on stderr too.
          toStderr(`${JSON.stringify({ msg: `audit-trail transport: ${message}`, code: (failure as { code?: string }).code ?? failure.name, lost })}\n`);
          throw Object.assign(new Error(message, { cause: failure }), { code: (failure as { code?: string }).code });
        }
      },
    },
  );
  return out;
}
