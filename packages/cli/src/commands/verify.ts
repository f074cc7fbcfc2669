import { open, type FileHandle } from 'node:fs/promises';
import { snapshotEnd } from '../verify/snapshot-end.js';
import {
  addVerifyKey,
  AuditConfigError,
  defaultAsOf,
  keysFromEnv,
  loadKeyringFile,
  mayBeSecret,
  readKeyFile,
  streamNdjson,
  verifyChainStream,
  verifyChainTwoPass,
  type ChainSummary,
  type Finding,
  type VerifyKey,
  type VerifyRecord,
  type VerifyReport,
} from '@audit-trail/logger';
import { openVerifySource, type VerifySource } from '@audit-trail/ingest-sink';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { commandDb } from '../db-url.js';
import { cannotRead, stdinProblem } from '../file-errors.js';
import { intFlag, secondsFlag, timeFlag } from '../flags.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { jsonEscaped } from '../report/cell.js';
import { counted, messageText, shown, terminalText } from '../shown.js';

/** Largest --slack: a week. Checkpoints come every minute by default; more slack than that is no checkpoint check at all. */
const MAX_SLACK_MS = 7 * 24 * 3600 * 1000;

/** Largest --key-steps: each step is one HMAC (about a microsecond), so 10^12 is days of work, far past any real chain. */
const MAX_KEY_STEPS = 1e12;

const USAGE = `Usage: audit-trail verify [options] FILE... | -

Verifies signed audit chains (docs/integrity.md, format v1) in NDJSON files, or
stdin with "-". Every problem is reported with its code, chain and seq:
  MAC_INVALID CHAIN_BREAK SEQ_GAP SEQ_DUPLICATE REORDERED EPOCH_REGRESSION
  EPOCH_OVERDUE EPOCH_EARLY UNSIGNED_IN_SIGNED_CHAIN TAIL_TRUNCATED
  CHECKPOINT_MISSING KEY_UNKNOWN SCHEMA_INVALID PROJECTION_MISMATCH
A clean chain prints one summary line. Files are read in the order given, as
one log: give rotated files oldest first (audit.ndjson.2 audit.ndjson.1
audit.ndjson), or a shell glob's order reports the older lines REORDERED. Lines that are not audit records
(other logs on the same stdout) are skipped and counted. Files are read
twice, which keeps memory flat for chains whose records are in seq order
(as producers write them), however interleaved; a file a producer is
writing to is verified as it was when verify opened it (lines appended
meanwhile are left for the next run). Stdin is read once and keeps a few
hundred bytes per record.

Keys (several may be given; chains name theirs by kid):
  --keyring FILE               JSON {"keys":[{"kid":"k1","secret_file":"k1.b64"},
                               {"kid":"v1","private_key_file":"v1.pem"}]}
  --secret-file KID=FILE       shared-mode secret (base64, >= 32 bytes)
  --private-key-file KID=FILE  sealed-mode X25519 private key (PEM or raw base64url)
  Without any of these flags, from the environment: AUDIT_TRAIL_KEYRING_FILE;
  and/or AUDIT_TRAIL_KID with AUDIT_TRAIL_SECRET_FILE (or AUDIT_TRAIL_SECRET) or
  AUDIT_TRAIL_SEAL_PRIVATE_KEY_FILE (or AUDIT_TRAIL_SEAL_PRIVATE_KEY). A key flag
  replaces the environment's keys.
  Secrets are read from files, never from the command line.

Options:
  --as-of TIME     reference time for open chains: an RFC 3339 date-time
                   with a time zone offset or Z (2026-03-01T12:00:00Z), or
                   "now" (default: the newest open, checkpoint or close
                   in the input, whose times the logger sets; with
                   --settle, the newest record)
  --slack MS       slack on the checkpoint interval and on the epoch
                   schedule, 0 to ${MAX_SLACK_MS} ms (a week) (default: half
                   the checkpoint interval)
  --settle SECS    records stamped less than SECS before the as-of time may
                   still be on their way (several aggregators, a spool
                   replaying after an outage): each chain is judged for gaps,
                   links and checkpoints only up to its first such record;
                   those from it on are still checked one by one (MAC,
                   schema) and shown as pending=N. For --db on a live table
                   (with --db, a row is pending only if its ingested_at is
                   recent too: producer clocks that run ahead keep nothing
                   pending).
  --unordered      input is not in write order: do not report REORDERED
  --key-steps N    epoch key derivations allowed before the first record
                   (default 1000000, at most 10^12; each record read adds
                   64). A record whose epoch key would need more is
                   MAC_INVALID, not derived, so a forged epoch cannot stall
                   the verifier. Raise it only for a fragment of a very long
                   chain read without its start.
  --json           print the report as one JSON document
  --db URL         verify the chains stored in security_audit_events (sqlite:,
                   postgres://, mssql://; password from AUDIT_TRAIL_DB_PASSWORD_FILE);
                   also checks every analyst column against the signed JSON
                   (PROJECTION_MISMATCH). The rows are read chain after chain
                   (ORDER BY chain_id, seq, then the unsigned rows), and each
                   chain is judged as it ends, so memory does not grow with
                   the table; the as-of time defaults to the newest
                   event_timestamp of an open, checkpoint or close stored
                   (with --settle, of any row). A row whose chain_id or seq column
                   no longer matches its signed JSON lands out of that order:
                   REORDERED. With files as well, rows and lines are read
                   together, kept until the end, and REORDERED is judged by
                   seq only.
  -h, --help       this text

Exit status: 0 all chains clean, 1 any finding or no signed chain at all,
2 nothing judged: a usage or key error (a bad flag value, a database URL it
cannot use), an input or database that could not be read, or output that
could not be written (a full disk).

Examples:
  audit-trail verify --secret-file k1=/run/secrets/audit_k1 audit.ndjson
  docker logs api 2>/dev/null | audit-trail verify --keyring keys.json -
`;

function kidFile(spec: string, flag: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) {
    // The key itself given without KID= (a base64 secret ends in the = this looks for): never repeated.
    const got = mayBeSecret(spec) ? `a value of ${spec.length} characters (not shown: it looks like a key, not KID=FILE)` : shown(spec);
    throw new UsageError(`${flag} expects KID=FILE, got ${got}`);
  }
  return [spec.slice(0, i), spec.slice(i + 1)];
}

/**
 * The keys of the flags, or, when no key flag is given, of the environment:
 * flags replace the environment rather than add to it, so that a run meant
 * to use one keyring (the shared-mode keys only, say) uses that keyring only.
 */
function loadKeys(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, VerifyKey> {
  const flagged = typeof values.keyring === 'string' || ((values['secret-file'] as string[] | undefined) ?? []).length > 0 || ((values['private-key-file'] as string[] | undefined) ?? []).length > 0;
  const keys = flagged ? new Map<string, VerifyKey>() : keysFromEnv(env);
  if (typeof values.keyring === 'string') for (const [k, v] of loadKeyringFile(values.keyring)) keys.set(k, v);
  // A kid named twice with two keys is refused (addVerifyKey): the last one silently won before.
  const where = '--keyring, --secret-file and --private-key-file';
  for (const spec of (values['secret-file'] as string[] | undefined) ?? []) {
    const [kid, file] = kidFile(spec, '--secret-file');
    addVerifyKey(keys, kid, { secret: readKeyFile(file) }, where);
  }
  for (const spec of (values['private-key-file'] as string[] | undefined) ?? []) {
    const [kid, file] = kidFile(spec, '--private-key-file');
    addVerifyKey(keys, kid, { privateKey: readKeyFile(file) }, where);
  }
  return keys;
}

/**
 * The input files, opened before verifying so that a missing or unreadable
 * file is a usage error and not a finding halfway through.
 */
async function openInputs(files: string[], stdin: NodeJS.ReadableStream): Promise<Input[]> {
  const out: Input[] = [];
  try {
    for (const file of files) {
      if (file === '-') {
        const problem = stdinProblem(stdin);
        if (problem) throw new UsageError(cannotRead('stdin', problem));
        out.push({ name: 'stdin' });
      }
      else {
        const handle = await open(file, 'r');
        out.push({ name: file, handle });
        // A pipe (<(cmd), /dev/stdin) can be read once, from where it is, so
        // it has no size. A regular file's reads stop where it ended now
        // (snapshotEnd): a live log's producer appends while verify reads it
        // (found by a probe).
        const stat = await handle.stat();
        if (stat.isFile()) out.at(-1)!.size = await snapshotEnd(handle, stat.size);
      }
    }
  } catch (err) {
    for (const o of out) await o.handle?.close();
    if (err instanceof UsageError) throw err;
    throw new UsageError(cannotRead(files[out.length]!, err));
  }
  return out;
}

/**
 * Every record, streamed: the table's rows a page at a time, then each file
 * (or stdin) as it is read, so memory holds what the verifier keeps per
 * record (a few fields), not the input.
 */
/** An input of verify: a file, or stdin. */
interface Input {
  name: string;
  handle?: FileHandle;
  /** Set for a regular file (which can be read again): where each read stops. */
  size?: number;
}

async function* allRecords(stored: VerifySource | undefined, inputs: Input[], io: CommandIo): AsyncGenerator<VerifyRecord> {
  if (stored) yield* stored.records();
  for (const input of inputs) {
    // From the start each time (a two-pass verification reads every file twice), up to its size when opened.
    if (input.size === 0) continue;
    const range = input.size !== undefined ? { start: 0, end: input.size - 1 } : {};
    const source = input.handle ? input.handle.createReadStream({ autoClose: false, ...range }) : io.stdin;
    try {
      yield* streamNdjson(source as AsyncIterable<Uint8Array>, input.name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code && /^E[A-Z]+$/.test(code)) throw new UsageError(cannotRead(input.name, err));
      throw err;
    }
  }
}

const clean = (s: string) => terminalText(s, 4000);

function findingLine(f: Finding): string {
  const where = f.location ? ` at ${f.location}` : '';
  return clean(`${f.code} chain=${f.chain_id ?? '-'} seq=${f.seq ?? '-'}${where}: ${f.message}`);
}

function chainLine(c: ChainSummary): string {
  const state = c.closed ? 'closed' : 'open';
  const head = c.ok ? 'OK  ' : 'FAIL';
  return clean(
    `${head} chain=${c.chain_id} service=${c.service ?? '-'} instance=${c.instance ?? '-'} kid=${c.kid ?? '-'} mode=${c.mode ?? '-'} ` +
      `records=${c.records} seq=${c.first_seq}-${c.last_seq} first=${c.first_time ?? '-'} last=${c.last_time ?? '-'} ${state}` +
      (c.pending ? ` pending=${c.pending}` : '') +
      (c.ok ? '' : ` findings=${c.findings}`),
  );
}

function printText(report: VerifyReport, io: CommandIo): void {
  for (const f of report.findings) io.stdout.write(`${findingLine(f)}\n`);
  for (const c of report.chains) io.stdout.write(`${chainLine(c)}\n`);
  const okChains = report.chains.filter((c) => c.ok).length;
  io.stdout.write(
    `${counted(report.records, 'record')}, ${counted(report.chains.length, 'chain')} (${okChains} clean), ${counted(report.findings.length, 'finding')}; ` +
      `${counted(report.unsigned, 'unsigned record')} outside chains, ${counted(report.ignored, 'other line')} skipped\n`,
  );
}

/** `audit-trail verify`: checks signed chains in NDJSON files or stdin and exits non-zero on any finding. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Verify signed chains in NDJSON files or in the database',
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        keyring: { type: 'string' },
        'secret-file': { type: 'string', multiple: true },
        'private-key-file': { type: 'string', multiple: true },
        'as-of': { type: 'string' },
        slack: { type: 'string' },
        settle: { type: 'string' },
        'key-steps': { type: 'string' },
        unordered: { type: 'boolean' },
        json: { type: 'boolean' },
        db: { type: 'string' },
      },
    });
    const { values, positionals } = parsed;
    if (positionals.length === 0 && !values.db) throw new UsageError('give one or more NDJSON files, "-" for stdin, or --db URL');
    let asOf = timeFlag('as-of', values['as-of']);
    const slack = intFlag('slack', values.slack, { min: 0, max: MAX_SLACK_MS });
    const settleMs = secondsFlag('settle', values.settle, { min: 0, max: 999_999_999 });
    const keySteps = intFlag('key-steps', values['key-steps'], { min: 0, max: MAX_KEY_STEPS });
    // The URL is checked here, with the flags: a URL it cannot use is a usage error, as in every command.
    const db = values.db === undefined ? undefined : commandDb(values.db, io).url;
    let stored: VerifySource | undefined;
    try {
      const keys = loadKeys(values, io.env);
      // The table alone: read chain after chain (the verifier then keeps no record of a judged
      // chain), judged against the newest times stored (unless --as-of).
      const byChain = db !== undefined && positionals.length === 0;
      // One connection and one snapshot for the newest times and the rows, so
      // rows committed meanwhile by a live producer are not half seen.
      if (db !== undefined) stored = await openVerifySource(db, { order: byChain ? 'chain' : 'id' });
      let storedAsOf: Date | undefined;
      if (byChain && !asOf) {
        const { event, mark } = stored!.times;
        asOf = new Date(defaultAsOf(event?.getTime() ?? Number.NaN, mark?.getTime() ?? Number.NaN, settleMs));
        storedAsOf = stored!.times.stored;
      }
      const inputs = await openInputs(positionals, io.stdin);
      const options = {
        ...(asOf ? { asOf } : {}),
        ...(storedAsOf ? { storedAsOf } : {}),
        ...(byChain ? { order: 'chain' as const } : {}),
        ...(slack !== undefined ? { checkpointSlackMs: slack } : {}),
        ...(settleMs !== undefined ? { settleMs } : {}),
        ...(keySteps !== undefined ? { keyStepBudget: keySteps } : {}),
        // Row ids record commit order (retries and fallback reorder), not evidence.
        checkOrder: !values.unordered && !db,
      };
      // Regular files alone are read twice: the verifier then keeps nothing per
      // record of a chain whose records come in seq order (verifyChainTwoPass).
      // Stdin and pipes cannot be read again; a table is read chain after chain.
      const twice = db === undefined && inputs.length > 0 && inputs.every((x) => x.size !== undefined);
      // Files are closed however the run ends: finished, failed, or refused before the first record (keys, options).
      const report = await (twice
        ? verifyChainTwoPass(() => allRecords(undefined, inputs, io), keys, options)
        : verifyChainStream(allRecords(stored, inputs, io), keys, options)
      ).finally(() => Promise.all(inputs.map((x) => x.handle?.close())));
      // Escaped as report --format json is: stored values (a service name, say) may hold bidi, C1 or zero-width characters.
      if (values.json) io.stdout.write(`${jsonEscaped(JSON.stringify(report, null, 2))}\n`);
      else printText(report, io);
      // Nothing verified is not "all clean": an auditor pointed at the wrong
      // file, an empty table or a service that logs unsigned must not see success.
      if (report.chains.length === 0) {
        io.stderr.write(`audit-trail verify: no signed chain in the input (${counted(report.records, 'record')}, ${report.unsigned} unsigned, ${counted(report.ignored, 'other line')}): nothing was verified\n`);
        return 1;
      }
      return report.ok ? 0 : 1;
    } catch (err) {
      if (err instanceof AuditConfigError) throw new UsageError(err.message);
      if (err instanceof UsageError) throw err;
      // Nothing was judged (a database that cannot be opened or read, a file
      // that changed while it was read): not a finding, so not exit 1, which
      // a script takes for "tampered with".
      io.stderr.write(`audit-trail verify: ${messageText((err as Error)?.message ?? String(err))}\n`);
      return 2;
    } finally {
      // Ends the snapshot however the run ended (read to the end, a key refused before the first row).
      await stored?.close().catch(() => undefined);
    }
  },
};
