import { createReadStream } from 'node:fs';
import { byteLines, MAX_LINE_BYTES } from '@audit-trail/logger';
import { REJECT_RAW_KEEP, type LineItem, type Sink } from '@audit-trail/ingest-sink';
import type { Command, CommandIo } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { deliveredWithin, deliverySummary, openCliSink, SINK_ARGS, SINK_USAGE, stillSpooled } from './cli-sink.js';

const USAGE = `Usage: audit-trail ingest [--db URL] [options] [FILE...|-]

Loads NDJSON audit lines (one event per line, as the logger writes them) from
files, or stdin with "-" or no file, into the database. Every line ends as a
row, a duplicate (same event_id already stored), or a reject (with its reason
in security_audit_rejects). Lines are spooled first, so an interrupted ingest
loses nothing: the next run with the same spool delivers the rest.

  --source NAME     source recorded with rejects (default: the file name)
${SINK_USAGE}

Prints progress on a terminal and a summary: committed, duplicates, rejected
(and rejects already stored by an earlier run: the same line from the same
source for the same reason is stored once), and lines that were not valid
UTF-8 (stored with U+FFFD for the bad bytes).
Exit status 0 when everything was delivered; 1 when events remain spooled, or
when the sink refused lines (its spool's disk full, say): ingest stops there,
and running it again on the same input is safe (stored events come back as
duplicates). SIGINT or SIGTERM stops the reading: the lines already read are
written and delivered (or left spooled) as above, then exit 130 or 143.
`;

const CHUNK = 1000;

/**
 * Writes the lines of `input` through the sink, a few writes in flight.
 * Rejects with the first write's error as soon as it is known: a write that
 * failed was not accepted, so reading on would only lose more lines.
 */
async function ingestStream(sink: Sink, input: NodeJS.ReadableStream, source: string, onLines: (n: number) => void, onInvalidUtf8: () => void, stopped: () => boolean): Promise<void> {
  let chunk: LineItem[] = [];
  const pending = new Set<Promise<unknown>>();
  const send = async (items: typeof chunk) => {
    const p = sink.write(items);
    pending.add(p);
    // Only a write that succeeded leaves the set: a failed one stays, so the
    // next race (or the final Promise.all) rethrows its error. The handler
    // also keeps the rejection from being unhandled meanwhile.
    p.then(() => pending.delete(p), () => undefined);
    // A few writes in flight share the spool's fsyncs (group commit).
    if (pending.size >= 4) await Promise.race(pending);
    onLines(items.length);
  };
  try {
    // byteLines drops a byte order mark before the first line: it is not part of the event.
    for await (const { text: line, invalidUtf8, cutFrom } of byteLines(input as AsyncIterable<Buffer>)) {
      if (line.trim() === '') continue;
      // Stored as decoded (U+FFFD for the bad bytes), and counted: a signed event so changed fails verify.
      if (invalidUtf8) onInvalidUtf8();
      // Longer than the reader keeps (a file without line feeds, say): a reject that says how long it was.
      if (cutFrom !== undefined) chunk.push({ line: line.slice(0, REJECT_RAW_KEEP), source, reject: `LINE_TOO_LONG: line of ${cutFrom} bytes exceeds the reader's limit of ${MAX_LINE_BYTES}; its first ${REJECT_RAW_KEEP} characters are kept` });
      else chunk.push({ line, source });
      if (chunk.length >= CHUNK) {
        await send(chunk);
        chunk = [];
      }
    }
  } catch (err) {
    // Stopped by a signal: the input was destroyed to end the wait for more
    // lines; what was read is written below, not dropped.
    if (!stopped()) throw err;
  }
  if (chunk.length) await send(chunk);
  await Promise.all(pending);
}

function progress(io: CommandIo, sink: Sink, read: () => number): () => void {
  if (!io.stderr.isTTY) return () => undefined;
  const draw = () => {
    const s = sink.stats();
    io.stderr.write(`\r\x1b[Kread ${read()}  committed ${s.committed}  duplicates ${s.duplicates}  rejected ${s.rejected}  spooled ${s.spooledEvents}`);
  };
  const t = setInterval(draw, 200);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(t);
    draw();
    io.stderr.write('\n');
  };
}

/** `audit-trail ingest`: NDJSON files or stdin into the database, through the durable sink. */
export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Load NDJSON audit lines from files or stdin into the database',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({ args: argv, options: { ...SINK_ARGS, source: { type: 'string' } }, allowPositionals: true });
    const files = positionals.length ? positionals : ['-'];
    const { sink, url, timeoutMs } = openCliSink(values, io);
    let read = 0;
    let invalidUtf8 = 0;
    let stop: () => void = () => undefined;
    // SIGINT/SIGTERM: stop reading, write what was read (lines read from a
    // pipe exist nowhere else), deliver within the timeout, then exit 128+n.
    let signal: NodeJS.Signals | undefined;
    let reading: NodeJS.ReadableStream | undefined;
    const onSignal = (s: NodeJS.Signals) => {
      signal ??= s;
      (reading as { destroy?: () => void } | undefined)?.destroy?.();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await sink.ready;
      stop = progress(io, sink, () => read);
      let refused: { file: string; err: Error } | undefined;
      for (const file of files) {
        if (signal) break;
        const input = file === '-' ? io.stdin : createReadStream(file);
        reading = input;
        try {
          await ingestStream(sink, input, values.source ?? (file === '-' ? 'stdin' : `file:${file}`), (n) => (read += n), () => invalidUtf8++, () => signal !== undefined);
        } catch (err) {
          // A file that cannot be read ends the command as before; a write the sink refused is reported below.
          if ((err as { code?: string }).code?.startsWith('SINK_') !== true) throw err;
          refused = { file, err: err as Error };
          (input as { destroy?: () => void }).destroy?.();
          break;
        }
      }
      // What was accepted is still delivered, whether or not a write was refused.
      const delivered = await deliveredWithin(sink, timeoutMs);
      stop();
      const s = sink.stats();
      io.stdout.write(deliverySummary(url, read, s) + (invalidUtf8 ? `, invalid UTF-8 ${invalidUtf8}` : '') + '\n');
      if (invalidUtf8) {
        io.stderr.write(`audit-trail ingest: ${invalidUtf8} lines were not valid UTF-8; their bad bytes were stored as U+FFFD (signed events among them will fail audit-trail verify)\n`);
      }
      if (refused) {
        io.stderr.write(`audit-trail ingest: stopped reading ${refused.file === '-' ? 'stdin' : refused.file}: the sink refused a write (${refused.err.message}); not every line from there on was stored. Run again once it is fixed: stored events come back as duplicates\n`);
      }
      if (!delivered) io.stderr.write(stillSpooled('ingest', s));
      if (signal) {
        io.stderr.write(`audit-trail ingest: stopped by ${signal}: every line read was written (the summary above); the rest of the input was not read\n`);
        return signal === 'SIGINT' ? 130 : 143;
      }
      if (!delivered) return 1;
      return refused ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stop();
      await sink.close({ timeoutMs: 1000 });
    }
  },
};
