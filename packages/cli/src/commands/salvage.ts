import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { salvagedItem, salvageFrames, type LineItem, type Sink } from '@audit-trail/ingest-sink';
import { fileKind } from '@audit-trail/schema';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { cannotRead } from '../file-errors.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { jsonEscaped } from '../report/cell.js';
import { shownPath } from '../shown.js';
import { deliveredWithin, deliverySummary, openCliSink, SINK_ARGS, SINK_USAGE, sinkSettings, spoolDamage, stillSpooled } from './cli-sink.js';

/**
 * Largest file salvage reads: 256 MiB. A quarantine file is a copy of (the
 * damaged part of) one spool segment, and a segment is closed once it holds
 * 8 MiB (the sink's spool.segmentBytes), so it rarely exceeds that by more
 * than the last write; the largest single record the spool takes is 64 MiB
 * (MAX_RECORD_BYTES). 256 MiB (the default size of a whole spool) holds both
 * several times over, while bounding the memory of a mistake: salvage reads
 * a file whole, to look for records anywhere in it.
 */
export const MAX_SALVAGE_FILE_BYTES = 256 * 1024 * 1024;

const USAGE = `Usage: audit-trail salvage [--db URL] [options] FILE...
       audit-trail salvage --dry-run FILE...

Recovers the intact records from spool bytes that failed their checksum: the
files the sink copied to <spool>/quarantine/ (a torn tail after a crash, or a
region found damaged on disk while it waited). The sink never reads past a
bad record, since its length field may be the damaged part; salvage does, by
looking for the next byte where an intact record starts (its own CRC-32 must
match, and its payload must decode). Each record found is written through the
sink as it was spooled (line, transport meta, source, reject reason) and
validated again. Events already stored come back as duplicates and rejects
already stored are not written again (their reject_key), so running it twice
stores nothing twice.

  --dry-run         store nothing: print each recovered record to stdout as
                    one JSON object ({"line", "source", "meta", "reject"})
${SINK_USAGE}

Each FILE must be a regular file of at most 256 MiB (a quarantine file is a
copy of part of one spool segment, 8 MiB by default): a device, a pipe, a
directory or a larger file is refused before any file is read. The files are
checked first, then read and written one at a time.

Prints, per file, the records recovered and the byte ranges that held none,
then the delivery summary. Exit status 0 when everything recovered was
delivered (or printed); 1 when events remain spooled, or when its spool held
damaged records (quarantined, not delivered: salvage them in turn); 2 for a
usage mistake: a FILE that is missing, unreadable, not a regular file or too
large, or a database URL it cannot use.
`;

const CHUNK = 1000;

/** Throws UsageError unless `st` is a regular file of at most {@link MAX_SALVAGE_FILE_BYTES}. */
function checkKindAndSize(file: string, st: Stats): void {
  if (!st.isFile()) throw new UsageError(`cannot read ${shownPath(file)}: ${fileKind(st)}, not a regular file (salvage reads quarantined spool files)`);
  if (st.size > MAX_SALVAGE_FILE_BYTES) {
    throw new UsageError(`cannot read ${shownPath(file)}: ${st.size} bytes, more than the ${MAX_SALVAGE_FILE_BYTES} (256 MiB) salvage reads; a quarantine file is a copy of part of one spool segment (8 MiB by default)`);
  }
}

/** Checks every file (kind and size) before any is read, so a bad last file stops the run before anything is written. */
async function checkFiles(files: string[]): Promise<void> {
  for (const file of files) {
    let st: Stats;
    try {
      st = await stat(file);
    } catch (err) {
      throw new UsageError(cannotRead(file, err));
    }
    checkKindAndSize(file, st);
  }
}

/**
 * The bytes of a quarantined file, never more than
 * {@link MAX_SALVAGE_FILE_BYTES}. Checked again on the open file (it may
 * have been replaced since checkFiles), and opened without blocking, since a
 * named pipe put there meanwhile would wait for a writer.
 */
async function readQuarantined(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(cannotRead(file, err));
  }
  try {
    const st = await handle.stat();
    checkKindAndSize(file, st);
    // The size seen, not more: a file growing meanwhile does not grow the buffer.
    const bytes = Buffer.alloc(st.size);
    let n = 0;
    while (n < bytes.length) {
      const { bytesRead } = await handle.read(bytes, n, bytes.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return bytes.subarray(0, n);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(cannotRead(file, err));
  } finally {
    await handle.close();
  }
}

/** The intact records of one file as write items, with its line on stderr: records recovered, byte ranges unreadable. */
async function salvageFile(file: string, io: CommandIo): Promise<LineItem[]> {
  const { records, unreadable } = salvageFrames(await readQuarantined(file));
  const lost = unreadable.reduce((n, u) => n + u.to - u.from, 0);
  io.stderr.write(
    `${shownPath(file)}: ${records.length} record(s) recovered` +
      (unreadable.length ? `; ${lost} byte(s) unreadable at ${unreadable.map((u) => `${u.from}-${u.to}`).join(', ')}` : '') +
      '\n',
  );
  return records.map((r) => salvagedItem(r.entry, `salvage:${basename(file)}`));
}

/** Writes items through the sink in chunks, as ingest writes: one write larger than the spool would wait for room forever. */
async function writeChunks(sink: Sink, items: LineItem[]): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await sink.write(items.slice(i, i + CHUNK));
}

/** `audit-trail salvage`: intact records of quarantined spool bytes back into the database. */
export const salvageCommand: Command = {
  name: 'salvage',
  summary: 'Recover intact records from quarantined spool files into the database',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({ args: argv, options: { ...SINK_ARGS, 'dry-run': { type: 'boolean' } }, allowPositionals: true });
    if (positionals.length === 0) throw new UsageError('name at least one quarantined spool file (<spool>/quarantine/*.bad)');
    // Everything checked before anything is read, opened or created; with
    // --dry-run too, which previews the run: a bad --db or --batch passed it
    // with exit 0, and the run it previewed then refused the value.
    const checked = sinkSettings(values, io);
    const settings = values['dry-run'] ? undefined : checked;
    await checkFiles(positionals);
    if (!settings) {
      // JSON, not the bare line: a line may hold newlines or terminal escapes;
      // escaped further (jsonEscaped) as JSON.stringify leaves bidi, C1 and zero-width characters raw.
      for (const file of positionals) for (const item of await salvageFile(file, io)) io.stdout.write(`${jsonEscaped(JSON.stringify(item))}\n`);
      return 0;
    }
    const { sink, url, timeoutMs } = openCliSink(settings, 'salvage', io.stderr);
    try {
      await sink.ready;
      // One file at a time: memory holds one file's records, not every file's.
      let recovered = 0;
      for (const file of positionals) {
        const items = await salvageFile(file, io);
        await writeChunks(sink, items);
        recovered += items.length;
      }
      const delivered = await deliveredWithin(sink, timeoutMs);
      const s = sink.stats();
      io.stdout.write(deliverySummary(url, recovered, s) + '\n');
      if (!delivered) io.stderr.write(stillSpooled('salvage', s));
      const damage = spoolDamage('salvage', s);
      if (damage) io.stderr.write(damage);
      return delivered && !damage ? 0 : 1;
    } finally {
      await sink.close({ timeoutMs: 1000 });
    }
  },
};
