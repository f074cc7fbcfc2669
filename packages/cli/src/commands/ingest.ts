import { constants, createReadStream, openSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { byteLines, MAX_LINE_BYTES, type ByteLine } from '@audit-trail/logger';
import { classifyFileLine, isBlankLine, REJECT_RAW_KEEP, type LineItem, type Sink } from '@audit-trail/ingest-sink';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { compressionOf, refusingCompressed } from '../compressed-input.js';
import { cannotRead, stdinProblem } from '../file-errors.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { ProgressLine } from '../progress-line.js';
import { counted, shownPath } from '../shown.js';
import { STOP, StopSignal } from '../stop-signal.js';
import { deliveredWithin, deliverySummary, openCliSink, SINK_ARGS, SINK_USAGE, sinkSettings, spoolDamage, stillSpooled } from './cli-sink.js';

const CHUNK = 1000;

/**
 * Most text a chunk holds before it is written, in characters (the lengths of
 * its lines): 1000 lines of a few MiB each would otherwise all be held at
 * once, so memory grew with the line size, not only with the line count.
 */
export const CHUNK_CHARS = 16 * 1024 * 1024;

/**
 * Whether a chunk of `lines` lines holding `chars` characters of text is to be
 * written now: at CHUNK lines, or once its text reaches CHUNK_CHARS, whichever
 * comes first (a single line longer than that goes out alone).
 */
export function chunkFull(lines: number, chars: number): boolean {
  return lines >= CHUNK || chars >= CHUNK_CHARS;
}

/**
 * Longest a line read waits before it is written, when fewer than CHUNK
 * follow it: until written it exists only in this process (from a pipe,
 * nowhere else), so `tail -f audit.log | audit-trail ingest -` must spool a
 * slow trickle within a moment, not once 1000 lines have come. Short enough
 * that a kill -9 loses at most this much, long enough that a fast input still
 * fills whole chunks (a write costs a spool fsync).
 */
const MAX_WAIT_MS = 200;

const USAGE = `Usage: audit-trail ingest [--db URL] [options] [FILE...|-]

Loads NDJSON audit lines (one event per line, as the logger writes them) from
files, or stdin with "-" or no file, into the database. Every line ends as a
row, a duplicate (same event_id already stored), or a reject (with its reason
in security_audit_rejects). Lines are spooled first, so an interrupted ingest
loses nothing: the next run with the same spool delivers the rest. Lines are
written (spooled) 1000 at a time (fewer when they hold 16 Mi characters of
text), or at most ${MAX_WAIT_MS} ms after they were read when fewer come (a slow
pipe, tail -f): a line read does not wait in memory for the next ones, where
a kill -9 would lose it.

  --source NAME     source recorded with rejects (default: file:FILE, or stdin)
  --container-events
                    also read container runtime records, as the aggregator
                    does: Docker events (docker events --format '{{json .}}'),
                    Falco JSON alerts, and Kubernetes audit log lines of
                    pods/exec, pods/attach and kubectl debug become CONTAINER_*
                    events (stored once however often the file is loaded);
                    every other line of such files is skipped and counted,
                    not stored as a reject
  --node NAME       with --container-events: the node the file was collected
                    on, stored as its container events' node (Docker's event
                    stream names none), as the aggregator stores the node of
                    a Swarm tag; the file's audit lines keep their own, and
                    Kubernetes audit events get none from it (the API server
                    names pods on every node)
${SINK_USAGE}

Prints progress on a terminal and a summary: committed, duplicates, rejected
(and rejects already stored by an earlier run: the same line from the same
source for the same reason is stored once), the chain position and event_id
conflicts among the rejects (a record claiming what another one holds: to be
investigated), the lines skipped with --container-events, and lines that
were not valid UTF-8 (stored with U+FFFD for the bad bytes) or held NUL
bytes (stored as U+FFFD: text columns cannot hold NUL).
Exit status 0 when everything was delivered; 1 when events remain spooled,
when the spool held damaged records (quarantined, not delivered: see
salvage), when the sink refused a line twice (its spool's disk full, once
more, alone, after delivery freed what it could) or when a
file could not be read to its end (an I/O error): ingest stops there, delivers and sums
up what it read before, and running it again on the same input is safe (stored events come back as
duplicates). 2 for a usage mistake, such as a database URL it cannot use or
a FILE that does not exist, cannot be read, is a directory or is compressed
(gzip, zstd, xz, bzip2: zcat FILE | audit-trail ingest -): all are
checked before anything is opened or written. SIGINT or SIGTERM stops the
reading: the lines already read are written and delivered (or left
spooled) as above, then exit 130 or 143.
`;

/**
 * A host or node name as Swarm and Kubernetes write them (RFC 1123 labels;
 * `_` and `:` as some runtimes allow): the value is stored in the swarm_node
 * column and shown in reports, so no spaces or control characters.
 */
function isNodeName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && /^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(s);
}

/** What the wait for a chunk's deadline resolves to. */
const DUE = Symbol('due');

/**
 * The item a line becomes: itself, or a reject when it was longer than the
 * reader keeps; with `containerEvents`, a container runtime record mapped to
 * its event, or undefined for a line to skip (classifyFileLine).
 */
function lineItem({ text: line, cutFrom }: ByteLine, source: string, containerEvents: boolean, node?: string): LineItem | undefined {
  // Longer than the reader keeps (a file without line feeds, say): a reject that says how long it was.
  if (cutFrom !== undefined) return { line: line.slice(0, REJECT_RAW_KEEP), source, reject: `LINE_TOO_LONG: line of ${cutFrom} bytes exceeds the reader's limit of ${MAX_LINE_BYTES}; its first ${REJECT_RAW_KEEP} characters are kept` };
  return containerEvents ? classifyFileLine(line, source, node) : { line, source };
}

/** How one input is read: where rejects say it came from, and what becomes of its lines. */
interface ReadOptions {
  source: string;
  containerEvents: boolean;
  /** With containerEvents: the node the file was collected on (--node). */
  node?: string;
  onLines: (n: number) => void;
  onSkipped: () => void;
  onInvalidUtf8: () => void;
  /** A stored line held a NUL byte (the database stores U+FFFD in its place). */
  onNul: () => void;
  stopped: () => boolean;
  /**
   * Stopped when a signal asks the reading to stop. Raced against each read:
   * a named pipe with no writer (or one gone quiet) blocks its open or read in
   * a libuv thread, and destroying the stream waits for that thread, so the
   * read itself would never settle.
   */
  stop: StopSignal;
  /** How long a write the spool refused waits for delivery before its retry (--timeout). */
  timeoutMs: number;
}

/**
 * Writes chunks through the sink, a few writes in flight, and remembers the
 * first write that failed; `onFailure` is called then, at once, so that the
 * reading can stop even while it waits for input that may never come.
 *
 * A write the spool refused (SINK_SPOOL_IO: its disk full, a file size
 * limit) is not a failure yet. The spool keeps a segment until everything in
 * it is delivered, and after a refused append it starts a new segment, which
 * deletes the old one once delivered (spool.ts dropPartialFrame, roll). So
 * the reading is held, every write in flight settles, what was accepted is
 * delivered (within --timeout), and each refused write is tried once more,
 * alone and in order. Without this, a spool disk with less room than the
 * input stopped every run at the same line, though the database kept up
 * (found by a probe). A write refused again goes in halves (retryRefused);
 * a single line refused again is the failure.
 */
class ChunkWriter {
  /** Writes in flight; each settles without rejecting (its outcome is handled where it is issued). */
  private readonly pending = new Set<Promise<void>>();
  /** Writes the spool refused, in the order they were sent, for their one retry. */
  private readonly refused: LineItem[][] = [];
  /** The retry of refused writes, while it runs: no new write starts before it ends. */
  private recovering: Promise<void> | undefined;
  /** The first write's error, once one failed. */
  failure: Error | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly onLines: (n: number) => void,
    private readonly onFailure: () => void,
    /** How long the retry waits for delivery to free the spool (--timeout). */
    private readonly timeoutMs: number,
  ) {}

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.onFailure();
  }

  private issue(items: LineItem[]): void {
    const p: Promise<void> = this.sink.write(items).then(
      () => undefined,
      (err: Error & { code?: unknown }) => {
        if (err.code !== 'SINK_SPOOL_IO' || this.failure) return this.fail(err);
        this.refused.push(items);
        this.recovering ??= this.retryRefused();
      },
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async retryRefused(): Promise<void> {
    // Writes sent before the refusal may be refused too: they join `refused` as they settle.
    while (this.pending.size > 0) await Promise.all(this.pending);
    // Whether everything accepted is delivered and nothing was accepted since:
    // a write refused then is larger than the room the spool has.
    let clean = await deliveredWithin(this.sink, this.timeoutMs);
    for (let items = this.refused.shift(); items && !this.failure; items = this.refused.shift()) {
      const chunk = items;
      await this.sink.write(chunk).then(
        () => void (clean = false),
        async (err: Error & { code?: unknown }) => {
          if (err.code !== 'SINK_SPOOL_IO') return this.fail(err);
          // Refused after writes accepted since the last delivery (a half
          // before it took the room): tried again, whole, once they are
          // delivered. Delivery not done within --timeout (the database
          // away: no room comes back) is the failure.
          if (!clean) {
            if (!(clean = await deliveredWithin(this.sink, this.timeoutMs))) return this.fail(err);
            return void this.refused.unshift(chunk);
          }
          // Refused with all before it delivered: larger than the room the
          // spool has (a chunk is up to 1000 lines or 16 MiB). Its halves, in
          // order, may fit; without this, every run stopped at the same
          // chunk. A single line refused so is the failure.
          if (chunk.length < 2) return this.fail(err);
          const mid = Math.ceil(chunk.length / 2);
          this.refused.unshift(chunk.slice(0, mid), chunk.slice(mid));
        },
      );
    }
    this.refused.length = 0;
    this.recovering = undefined;
  }

  /** Sends `items`; throws the first write's error once one failed. */
  async send(items: LineItem[]): Promise<void> {
    if (this.recovering) await this.recovering;
    if (this.failure) throw this.failure;
    this.issue(items);
    // A few writes in flight share the spool's fsyncs (group commit).
    if (this.pending.size >= 4) await Promise.race(this.pending);
    this.onLines(items.length);
    if (this.failure) throw this.failure;
  }

  /** Resolves once every write, and every retry, has settled; rejects with the first write's error. */
  async drain(): Promise<void> {
    while (this.pending.size > 0 || this.recovering) await (this.recovering ?? Promise.all(this.pending));
    if (this.failure) throw this.failure;
  }
}

/**
 * Writes the lines of `input` through the sink, in chunks (chunkFull), a
 * chunk not yet full going out MAX_WAIT_MS after its first line was read.
 * Rejects with the first write's error as soon as it is known, even while
 * the input is idle (the input is destroyed to end the wait): a write that
 * failed was not accepted, so reading on would only lose more lines.
 */
async function ingestStream(sink: Sink, input: NodeJS.ReadableStream, opts: ReadOptions): Promise<void> {
  const { source, containerEvents, node, onLines, onSkipped, onInvalidUtf8, onNul, stopped, stop } = opts;
  const writer = new ChunkWriter(sink, onLines, () => (input as { destroy?: () => void }).destroy?.(), opts.timeoutMs);
  // byteLines drops a byte order mark before the first line: it is not part of the event.
  // A compressed stream (stdin, a pipe: files were looked at before) is a read error, not binary rejects.
  const lines = byteLines(refusingCompressed(input as AsyncIterable<Buffer>) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let chunk: LineItem[] = [];
  let chunkChars = 0;
  let timer: NodeJS.Timeout | undefined;
  let due: Promise<typeof DUE> | undefined;
  let readError: unknown;
  const flush = async () => {
    clearTimeout(timer);
    due = undefined;
    const items = chunk;
    chunk = [];
    chunkChars = 0;
    await writer.send(items);
  };
  try {
    for (;;) {
      const next = lines.next();
      // Left pending when the reading stops early: its rejection (the input destroyed) is expected.
      next.catch(() => undefined);
      let got: IteratorResult<ByteLine> | typeof DUE | typeof STOP = await stop.race(due ? Promise.race([next, due]) : next);
      // The deadline of the chunk came first: write it, then wait on for the same line.
      while (got === DUE) {
        await flush();
        got = await stop.race(next);
      }
      // A signal: the read may never settle (see ReadOptions.stop); what was read is written below.
      if (got === STOP || got.done) break;
      if (isBlankLine(got.value.text)) continue;
      // Stored as decoded (U+FFFD for the bad bytes), and counted: a signed event so changed fails verify.
      const item = lineItem(got.value, source, containerEvents, node);
      if (item === undefined) {
        onSkipped();
        continue;
      }
      // Counted where stored (with U+FFFD for the bad bytes); a skipped line is not.
      if (got.value.invalidUtf8) onInvalidUtf8();
      // Text columns cannot hold NUL (PostgreSQL refuses it): the sink stores
      // U+FFFD in its place (prepare.ts), so the reject's raw_payload differs
      // from the line read. Said, as invalid UTF-8 is, not silently changed.
      if (item.line.includes('\0')) onNul();
      chunk.push(item);
      chunkChars += got.value.text.length;
      if (chunk.length === 1) due = new Promise((resolve) => (timer = setTimeout(resolve, MAX_WAIT_MS, DUE)));
      if (chunkFull(chunk.length, chunkChars)) await flush();
    }
  } catch (err) {
    // Stopped by a signal, or by a failed write: the input was destroyed to
    // end the wait for more lines. After a signal, what was read is written
    // below, not dropped; after a failed write, its error is what counts.
    // Any other error (a read that failed: EIO) is thrown once the lines
    // read before it are written: they were read, so they are not lost.
    if (!stopped() && !writer.failure) readError = err;
  } finally {
    clearTimeout(timer);
  }
  if (writer.failure) throw writer.failure;
  if (chunk.length) await writer.send(chunk);
  await writer.drain();
  if (readError !== undefined) throw readError;
}

/**
 * Checks the named files before anything is opened or written, so that a
 * typo in the last of them is a usage error, not an exit after the others
 * were loaded, nor a compressed log read as binary lines (compressionOf).
 * Only stat and access for anything but a regular file: opening a named
 * pipe here would block, or take its data.
 */
async function checkFiles(files: string[], stdin: NodeJS.ReadableStream): Promise<void> {
  for (const file of files) {
    if (file === '-') {
      const problem = stdinProblem(stdin);
      if (problem) throw new UsageError(cannotRead('stdin', problem));
      continue;
    }
    let regular: boolean;
    try {
      await access(file, constants.R_OK);
      const st = await stat(file);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      regular = st.isFile();
    } catch (err) {
      throw new UsageError(cannotRead(file, err));
    }
    // A regular file only: reading the head of a pipe would take its data. A head that cannot be
    // read is left to the reading, which delivers the files before it first (/proc/self/mem: EIO).
    const compressed = regular ? await compressionOf(file).catch(() => undefined) : undefined;
    if (compressed) throw new UsageError(`${shownPath(file)} is ${compressed.kind}-compressed: decompress it first, e.g. \`${compressed.tool} ${shownPath(file)} | audit-trail ingest -\``);
  }
}

/**
 * Opens a named input for reading. A named pipe is opened non-blocking and
 * read as a socket (epoll), not as a file stream: a file stream's open and
 * reads of a FIFO block a libuv thread until a writer comes or writes, and
 * nothing ends that wait, not destroy() nor even process.exit() (which joins
 * the thread pool), so SIGINT could not stop the ingest. Opened so, a pipe
 * with no writer yet still waits for one (Linux reports no hang-up to a
 * reader before its first writer), and ends when the last writer closes it.
 */
async function openInput(file: string): Promise<NodeJS.ReadableStream> {
  if (!(await stat(file)).isFIFO()) return createReadStream(file);
  // A bare descriptor, not a FileHandle (which would close it again when
  // collected): the socket owns it and closes it when destroyed. Non-blocking,
  // so this open returns at once.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

/** `audit-trail ingest`: NDJSON files or stdin into the database, through the durable sink. */
export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Load NDJSON audit lines from files or stdin into the database',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({ args: argv, options: { ...SINK_ARGS, source: { type: 'string' }, 'container-events': { type: 'boolean' }, node: { type: 'string' } }, allowPositionals: true });
    const files = positionals.length ? positionals : ['-'];
    if (values.node !== undefined && values['container-events'] !== true) throw new UsageError('--node names where container events were collected: give it with --container-events');
    if (values.node !== undefined && !isNodeName(values.node)) throw new UsageError(`--node ${JSON.stringify(values.node.slice(0, 80))} is not a node name (letters, digits, '.', '-', '_', ':', at most 253 characters)`);
    const settings = sinkSettings(values, io);
    await checkFiles(files, io.stdin);
    // The progress on a terminal, and the lines written around it (the signal's, the spool's).
    const progress = new ProgressLine(io.stderr);
    const { sink, url, timeoutMs } = openCliSink(settings, 'ingest', { write: (text) => progress.say(text) });
    let read = 0;
    let skipped = 0;
    let invalidUtf8 = 0;
    let nul = 0;
    // SIGINT/SIGTERM: stop reading, write what was read (lines read from a
    // pipe exist nowhere else), deliver within the timeout, then exit 128+n.
    let signal: NodeJS.Signals | undefined;
    let reading: NodeJS.ReadableStream | undefined;
    const signalled = new StopSignal();
    const onSignal = (s: NodeJS.Signals) => {
      // Said at once: with the database down, delivering waits out --timeout
      // (60 s by default), and a run that printed nothing meanwhile looked hung.
      if (signal === undefined) {
        progress.say(`audit-trail ingest: ${s}: stopped reading; writing what was read, then delivering for up to ${timeoutMs / 1000} s (--timeout); what is not delivered by then stays in the spool for the next run\n`);
      }
      signal ??= s;
      signalled.stop();
      // Ends a read that can end (stdin, a regular file). One blocked in a
      // libuv thread (a FIFO) cannot be: it stays pending, and bin.ts exits
      // once the output is flushed rather than wait for it.
      (reading as { destroy?: () => void } | undefined)?.destroy?.();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await sink.ready;
      progress.start(() => {
        const st = sink.stats();
        return `read ${read}  committed ${st.committed}  duplicates ${st.duplicates}  rejected ${st.rejected}  spooled ${st.spooledEvents}`;
      });
      let refused: { file: string; err: Error } | undefined;
      let unreadable: { file: string; err: unknown } | undefined;
      for (const file of files) {
        if (signal) break;
        let input: NodeJS.ReadableStream | undefined;
        try {
          input = file === '-' ? io.stdin : await openInput(file);
          reading = input;
          // A signal that came while the file was being opened.
          if (signal) (input as { destroy?: () => void }).destroy?.();
          await ingestStream(sink, input, {
            source: values.source ?? (file === '-' ? 'stdin' : `file:${file}`),
            containerEvents: values['container-events'] === true,
            node: values.node,
            onLines: (n) => (read += n),
            // Read, and not stored: counted in `read` too, so that it still adds up.
            onSkipped: () => (read++, skipped++),
            onInvalidUtf8: () => invalidUtf8++,
            onNul: () => nul++,
            stopped: () => signal !== undefined,
            stop: signalled,
            timeoutMs,
          });
        } catch (err) {
          // A file that cannot be read (checked above, it can still fail: an
          // I/O error, a file replaced meanwhile) or a write the sink refused
          // stops the reading there; what was accepted is still delivered and
          // summed up below, then the error is named (exit 1). Thrown at once,
          // it hid the events already committed.
          const code = (err as { code?: string }).code;
          const readFailed = code !== undefined && /^E[A-Z0-9]+$/.test(code);
          if (!readFailed && code?.startsWith('SINK_') !== true) throw err;
          if (readFailed) unreadable = { file, err };
          else refused = { file, err: err as Error };
          (input as { destroy?: () => void } | undefined)?.destroy?.();
          break;
        }
      }
      // What was accepted is still delivered, whether or not a write was refused.
      const delivered = await deliveredWithin(sink, timeoutMs);
      progress.stop();
      const s = sink.stats();
      io.stdout.write(deliverySummary(url, read, s) + (skipped ? `, skipped ${skipped}` : '') + (invalidUtf8 ? `, invalid UTF-8 ${invalidUtf8}` : '') + (nul ? `, NUL bytes ${nul}` : '') + '\n');
      if (invalidUtf8) {
        io.stderr.write(`audit-trail ingest: ${counted(invalidUtf8, 'line was', 'lines were')} not valid UTF-8; their bad bytes were stored as U+FFFD (signed events among them will fail audit-trail verify)\n`);
      }
      if (nul) {
        io.stderr.write(`audit-trail ingest: ${counted(nul, 'line', 'lines')} held NUL bytes, which database text cannot hold; each NUL was stored as U+FFFD\n`);
      }
      if (refused) {
        io.stderr.write(`audit-trail ingest: stopped reading ${refused.file === '-' ? 'stdin' : shownPath(refused.file)}: the sink refused a write (${refused.err.message}); not every line from there on was stored. Run again once it is fixed: stored events come back as duplicates\n`);
      }
      if (unreadable) {
        io.stderr.write(`audit-trail ingest: ${cannotRead(unreadable.file === '-' ? 'stdin' : unreadable.file, unreadable.err)}; stopped reading there: the lines read before it were written (the summary above), the rest of the input was not read\n`);
      }
      if (!delivered) io.stderr.write(stillSpooled('ingest', s));
      // Damage in the spool (found when it opened, or on a read back): what it
      // held is in quarantine/, not in the database, and may be events an
      // earlier run accepted. Not "everything was delivered" (found by a probe:
      // 179 accepted events quarantined, exit 0).
      const damage = spoolDamage('ingest', s);
      if (damage) io.stderr.write(damage);
      if (signal) {
        io.stderr.write(`audit-trail ingest: stopped by ${signal}: every line read was written (the summary above); the rest of the input was not read\n`);
        return signal === 'SIGINT' ? 130 : 143;
      }
      if (!delivered) return 1;
      return refused || unreadable || damage ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      progress.stop();
      await sink.close({ timeoutMs: 1000 });
    }
  },
};
