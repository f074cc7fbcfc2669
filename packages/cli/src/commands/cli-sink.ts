import { createSink, missingColumn, redactUrl, type Sink, type SinkOptions, type SinkStats } from '@audit-trail/ingest-sink';
import type { CommandIo } from '../command.js';
import { commandDb } from '../db-url.js';
import { intFlag, secondsFlag } from '../flags.js';
import { counted } from '../shown.js';

/** Longest --timeout: Node's timers take at most 2^31-1 ms (a longer one fires at once). */
const MAX_TIMEOUT_SECS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Largest --batch. The sink keeps three batches in memory (spool.memoryBytes
 * defaults to 3 KiB per row of batch.maxRows), so 100 000 rows is a budget of
 * about 300 MiB, 20 times the server databases' default of 5000: enough to
 * try larger transactions, short of an accidental extra digit or two.
 */
export const MAX_BATCH_ROWS = 100_000;

/** The parseArgs options of every command that writes through a sink. */
export const SINK_ARGS = {
  db: { type: 'string' },
  spool: { type: 'string' },
  batch: { type: 'string' },
  timeout: { type: 'string' },
  'no-migrate': { type: 'boolean' },
} as const;

/** Usage lines of {@link SINK_ARGS}. */
export const SINK_USAGE = `  --db URL          database (default: AUDIT_TRAIL_DB_URL, else sqlite:./audit.db)
  --spool DIR       spool directory (default: beside the SQLite file, or
                    .audit-trail-spool/ for servers)
  --batch N         rows per transaction, a whole number from 1 to ${MAX_BATCH_ROWS}
                    (default: the sink's, 1000 for SQLite, 5000 otherwise)
  --timeout SECS    how long to wait for the database at the end, and for it
                    to free the spool before a refused write is tried again
                    (default 60)
  --no-migrate      do not create the tables first`;

/** The values of {@link SINK_ARGS} as parseArgs gives them. */
export interface SinkArgValues {
  db?: string;
  spool?: string;
  batch?: string;
  timeout?: string;
  'no-migrate'?: boolean;
}

/** A sink's settings from {@link SINK_ARGS}, checked; nothing opened yet. */
export interface SinkSettings {
  url: string;
  options: SinkOptions;
  timeoutMs: number;
}

/** A sink opened from {@link SINK_ARGS}, with what the command needs to finish. */
export interface CliSink {
  sink: Sink;
  url: string;
  timeoutMs: number;
}

/**
 * Checks a command's {@link SINK_ARGS} (numbers, database URL) and throws
 * a UsageError for a bad value. Opens and creates nothing, so that a command
 * can check the rest of its usage (its files) before {@link openCliSink}
 * creates a database or a spool.
 */
export function sinkSettings(values: SinkArgValues, io: CommandIo): SinkSettings {
  const batch = intFlag('batch', values.batch, { min: 1, max: MAX_BATCH_ROWS });
  const timeoutMs = secondsFlag('timeout', values.timeout, { min: 0.001, max: MAX_TIMEOUT_SECS }) ?? 60_000;
  const { url } = commandDb(values.db, io);
  const options: SinkOptions = { url, migrate: !values['no-migrate'], ...(batch !== undefined ? { batch: { maxRows: batch } } : {}), ...(values.spool ? { spool: { dir: values.spool } } : {}) };
  return { url, options, timeoutMs };
}

/**
 * Creates the sink of settings checked by {@link sinkSettings}. What the sink
 * finds wrong with its spool (a torn tail quarantined, a watermark not used,
 * events an earlier version left under another directory name) is said on
 * `stderr` as `audit-trail <command>: CODE: message`, each once: it is kept
 * only as the stats' lastError otherwise, which the next database error
 * replaces, so a run said nothing of it (found by the upgrade probe).
 * Database errors are not said here: the summary and its stderr line say
 * what was left spooled and why.
 */
export function openCliSink(settings: SinkSettings, command: string, stderr: { write(text: string): unknown }): CliSink {
  const said = new Set<string>();
  const onError = (err: Error & { code?: string }) => {
    if (err.code !== 'SINK_SPOOL_IO' || said.has(err.message)) return;
    said.add(err.message);
    stderr.write(`audit-trail ${command}: ${err.code}: ${err.message}\n`);
  };
  return { sink: createSink({ ...settings.options, onError }), url: settings.url, timeoutMs: settings.timeoutMs };
}

/**
 * Waits for everything accepted to be delivered; false when `timeoutMs`
 * passed first, or the sink closed first (it stays spooled). The flush left
 * behind by a timeout rejects at close(): handled here, not unhandled.
 */
export function deliveredWithin(sink: Sink, timeoutMs: number): Promise<boolean> {
  return Promise.race([sink.flush().then(() => true, () => false), new Promise<false>((r) => setTimeout(r, timeoutMs, false).unref())]);
}

/**
 * `<url>: read N, committed N, duplicates N, rejected N[, rejects already stored N][, chain position
 * conflicts N][, event_id conflicts N][, dated ahead of this clock N][, replayed from spool N]`,
 * the password redacted. A refusal stored by an earlier run (same source, reason and line) is not
 * stored again. The conflicts (a forged, replayed or reused record, kept as rejects) are named
 * apart: they are to be investigated; so are events dated more than five minutes ahead (stored,
 * `audit-trail report future-dated` lists them).
 */
export function deliverySummary(url: string, read: number, s: SinkStats): string {
  return (
    `${redactUrl(url)}: read ${read}, committed ${s.committed}, duplicates ${s.duplicates}, rejected ${s.rejected}` +
    (s.duplicateRejects ? `, rejects already stored ${s.duplicateRejects}` : '') +
    (s.chainConflicts ? `, chain position conflicts ${s.chainConflicts}` : '') +
    (s.eventIdConflicts ? `, event_id conflicts ${s.eventIdConflicts}` : '') +
    (s.futureDated ? `, dated ahead of this clock ${s.futureDated}` : '') +
    (s.replayed ? `, replayed from spool ${s.replayed}` : '')
  );
}

/**
 * The stderr line of a run that ends with events still spooled: the
 * database could not be reached, or refused the batches (tables not yet
 * migrated to this version's columns, said with what to run).
 */
export function stillSpooled(command: string, s: SinkStats): string {
  const column = missingColumn(s.lastError);
  // A sink that does not migrate writes nothing into tables its check found drifted (check-first.ts).
  const drifted = s.lastError?.code === 'SINK_SCHEMA_DRIFT' ? s.lastError.message.replace(/\s*Run these statements.*$/, '').replace(/\s+/g, ' ') : undefined;
  // Columns and indexes (SchemaDriftError) are what migrate adds or prints the fix of. The other
  // SINK_SCHEMA_DRIFT, a PostgreSQL database not in UTF8, migrate refuses as well: its
  // message says what to do, and advice to migrate sent the operator round in a circle.
  const columns = drifted !== undefined && / of the existing audit tables cannot hold /.test(drifted);
  const why =
    column !== undefined
      ? `the tables lack the column ${column}: run \`audit-trail migrate --db URL\` once, or leave out --no-migrate`
      : drifted !== undefined
        ? columns
          ? `${drifted}; run \`audit-trail migrate --db URL\` once, or leave out --no-migrate: it adds missing columns, and prints the statements that fix the rest`
          : drifted
        : s.lastError?.code === 'SINK_NOT_MIGRATED'
          ? s.lastError.message
          : `database unreachable or refusing: ${s.lastError?.message ?? 'unknown'}`;
  return `audit-trail ${command}: ${counted(s.spooledEvents, 'event is', 'events are')} still spooled (${why}); run again to deliver them\n`;
}

/**
 * The stderr line of a run whose spool held damaged records (found when it
 * opened, or on a read back), or undefined when it held none. What they
 * held is in quarantine/, not in the database, and may be events an earlier
 * run accepted: the run did not deliver everything, so it exits 1 (ingest
 * and salvage alike; salvage exited 0 over its own quarantined records).
 */
export function spoolDamage(command: string, s: SinkStats): string | undefined {
  if (s.spoolCorruptTails === 0) return undefined;
  return `audit-trail ${command}: the spool held ${counted(s.spoolCorruptTails, 'damaged region')} (${counted(s.spoolCorruptBytes, 'byte')}), not delivered (the lines above say where they are kept); events an earlier run accepted may be among them: \`audit-trail salvage --db URL FILE...\` stores their intact records\n`;
}
