import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { salvagedItem, salvageFrames, type LineItem } from '@audit-trail/ingest-sink';
import { UsageError, type Command } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { deliveredWithin, deliverySummary, openCliSink, SINK_ARGS, SINK_USAGE, stillSpooled } from './cli-sink.js';

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

Prints, per file, the records recovered and the byte ranges that held none,
then the delivery summary. Exit status 0 when everything recovered was
delivered (or printed); 1 when events remain spooled.
`;

const CHUNK = 1000;

/** `audit-trail salvage`: intact records of quarantined spool bytes back into the database. */
export const salvageCommand: Command = {
  name: 'salvage',
  summary: 'Recover intact records from quarantined spool files into the database',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({ args: argv, options: { ...SINK_ARGS, 'dry-run': { type: 'boolean' } }, allowPositionals: true });
    if (positionals.length === 0) throw new UsageError('name at least one quarantined spool file (<spool>/quarantine/*.bad)');
    const items: LineItem[] = [];
    for (const file of positionals) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const { records, unreadable } = salvageFrames(bytes);
      for (const r of records) items.push(salvagedItem(r.entry, `salvage:${basename(file)}`));
      const lost = unreadable.reduce((n, u) => n + u.to - u.from, 0);
      io.stderr.write(
        `${file}: ${records.length} record(s) recovered` +
          (unreadable.length ? `; ${lost} byte(s) unreadable at ${unreadable.map((u) => `${u.from}-${u.to}`).join(', ')}` : '') +
          '\n',
      );
    }
    if (values['dry-run']) {
      // JSON, not the bare line: a line may hold newlines or terminal escapes.
      for (const item of items) io.stdout.write(`${JSON.stringify(item)}\n`);
      return 0;
    }
    const { sink, url, timeoutMs } = openCliSink(values, io);
    try {
      await sink.ready;
      // In chunks, as ingest writes: one write larger than the spool would wait for room forever.
      for (let i = 0; i < items.length; i += CHUNK) await sink.write(items.slice(i, i + CHUNK));
      const delivered = await deliveredWithin(sink, timeoutMs);
      const s = sink.stats();
      io.stdout.write(deliverySummary(url, items.length, s) + '\n');
      if (!delivered) {
        io.stderr.write(stillSpooled('salvage', s));
        return 1;
      }
      return 0;
    } finally {
      await sink.close({ timeoutMs: 1000 });
    }
  },
};
