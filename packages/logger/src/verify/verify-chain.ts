import { checkChain, type ChainCheckOptions } from './chain-check.js';
import { describeValue } from '../config-checks.js';
import { AuditConfigError } from '../errors.js';
import { MacVerifier } from './chain-mac.js';
import { KEY_STEP_BUDGET, KeyStepBudget } from './epoch-keys.js';
import { ChainStream } from './chain-stream.js';
import { IntakeBuilder, type Intake } from './intake.js';
import { ChainOrderProbe, InterleavedChains } from './interleaved-chains.js';
import { parseKeys } from './keyring.js';
import type { ChainSummary, Finding, VerifyKeys, VerifyOptions, VerifyRecord, VerifyReport } from './types.js';
import { claimUnsigned, type UnsignedClaims } from './unsigned-claims.js';
import { checkRecordSource, checkVerifyOptions } from './verify-options.js';

/**
 * Verifies signed chains (docs/integrity.md, format v1) in stored records, from
 * NDJSON files or database rows alike, and reports every finding with its
 * code, chain and seq, plus a summary per chain. Records of several chains
 * may be mixed in any order (or, with `order: "chain"`, come chain after
 * chain and are judged as they come: VerifyOptions.order). Throws
 * AuditConfigError only for unusable keys or options, and for input that
 * is not records (NDJSON text not split with ndjsonRecords(), a null item):
 * problems in the records themselves are findings, never exceptions.
 */
export function verifyChain(records: Iterable<VerifyRecord>, keys: VerifyKeys, options?: VerifyOptions): VerifyReport {
  checkRecordSource(records, 'records');
  const run = startRun(keys, options);
  for (const rec of records) run.intake.add(rec);
  return finishRun(run);
}

/**
 * {@link verifyChain} over a stream of records (database pages, a file read
 * in chunks): each record is checked as it arrives and only a few fields of
 * it are kept (about 500 bytes), none with `order: "chain"`, so a table far
 * larger than memory can be verified chain after chain. Keys and options are
 * checked before the first record is read (and the same as verifyChain's).
 */
export async function verifyChainStream(records: AsyncIterable<VerifyRecord> | Iterable<VerifyRecord>, keys: VerifyKeys, options?: VerifyOptions): Promise<VerifyReport> {
  checkRecordSource(records, 'records');
  const run = startRun(keys, options);
  for await (const rec of records) run.intake.add(rec);
  return finishRun(run);
}

interface Run {
  macs: MacVerifier;
  intake: IntakeBuilder;
  settle: number;
  options: VerifyOptions;
  /** Order "chain": chains judged as they end. */
  stream?: ChainStream;
}

/**
 * The checked options, the MAC verifier over the keys, and the settle
 * time: what every way of reading checks first, in one place.
 */
function keyed(keys: VerifyKeys, raw: VerifyOptions | undefined): { macs: MacVerifier; settle: number; options: VerifyOptions } {
  const options = checkVerifyOptions(raw);
  const macs = new MacVerifier(parseKeys(keys), new KeyStepBudget({ base: options.keyStepBudget ?? KEY_STEP_BUDGET.base, perRecord: KEY_STEP_BUDGET.perRecord }));
  return { macs, settle: options.settleMs ?? 0, options };
}

function startRun(keys: VerifyKeys, raw: VerifyOptions | undefined): Run {
  const { macs, settle, options } = keyed(keys, raw);
  if ((options.order ?? 'any') === 'any') return { macs, intake: new IntakeBuilder(macs), settle, options };
  if (!options.asOf) throw new AuditConfigError('order "chain" needs asOf: chains are judged before the newest record is known');
  const asOf = options.asOf.getTime();
  const stream = new ChainStream(macs, checkOptions(options, asOf, (options.storedAsOf ?? options.asOf).getTime(), settle));
  return { macs, intake: new IntakeBuilder(macs, stream), settle, options, stream };
}

/** One chain's check options: `asOf` resolved, and the settle cut-offs. */
function checkOptions(options: VerifyOptions, asOf: number, storedAsOf: number, settle: number): ChainCheckOptions {
  // Settled: the chain as it stood at asOf - settle, its later records pending.
  return { ...options, asOf: asOf - settle, ...(settle > 0 ? { pendingAfter: asOf - settle, pendingStoredAfter: storedAsOf - settle } : {}) };
}

/**
 * {@link verifyChainStream} over input that can be read twice (files, not
 * stdin), in memory that does not grow with the input as long as each
 * chain's records come in seq order, as their producer wrote them, however
 * the chains are interleaved. A first read, without keys (no MAC work),
 * finds those chains and the newest times; the second judges them record by
 * record as the one-read verifier would, and keeps the records of any other
 * chain (a few fields each, as the one-read verifier keeps every chain's)
 * to judge them the same way at the end. The report is the one
 * verifyChainStream gives. Throws when the two reads differ (the input was
 * written to meanwhile).
 */
export async function verifyChainTwoPass(read: () => AsyncIterable<VerifyRecord> | Iterable<VerifyRecord>, keys: VerifyKeys, options?: VerifyOptions): Promise<VerifyReport> {
  if (typeof read !== 'function') throw new AuditConfigError(`read must be a function returning the records (called once per pass), got ${describeValue(read)}`);
  const { macs, settle, options: opts } = keyed(keys, options);
  if ((opts.order ?? 'any') !== 'any') throw new AuditConfigError('a two-pass verification reads records in any order; order must be "any"');
  const pass = () => {
    const records = read();
    checkRecordSource(records, 'read()');
    return records;
  };
  // The first read needs no key: it only learns where each chain's records stand.
  const probe = new ChainOrderProbe();
  const first = new IntakeBuilder(new MacVerifier(new Map()), probe);
  for await (const rec of pass()) first.add(rec);
  const { asOf, storedAsOf } = referenceTimes(first.out, opts);
  const chains = new InterleavedChains(probe.inOrder(), macs, checkOptions(opts, asOf, storedAsOf, settle), probe.claims());
  const second = new IntakeBuilder(macs, chains);
  for await (const rec of pass()) second.add(rec);
  if (chains.changed || second.out.records !== first.out.records || second.out.ignored !== first.out.ignored) {
    throw new Error(`the input changed between the two reads of a two-pass verification (${first.out.records} then ${second.out.records} audit records): verify a copy that is not being written to`);
  }
  const judged = chains.finish();
  return report(second.out, judged, judged.chains);
}

/**
 * The default `asOf` (ms) from the input's newest times: with `settleMs`
 * (records still arriving) the newest record's time; else the newest open,
 * checkpoint or close of any chain, which the logger dates itself (any other
 * event_time may be its caller's, and one dated ahead made every open chain
 * look truncated), or the newest record's when there is none; now when the
 * input has no time at all. `audit-trail verify --db` applies it to the
 * newest times stored.
 */
export function defaultAsOf(newest: number, newestMark: number, settleMs = 0): number {
  const t = Number.isNaN(newestMark) || settleMs > 0 ? newest : newestMark;
  return Number.isNaN(t) ? Date.now() : t;
}

/** `asOf` and the store's own reference time for one-read verification: given, or {@link defaultAsOf}. */
function referenceTimes(input: Intake, options: VerifyOptions): { asOf: number; storedAsOf: number } {
  const asOf = options.asOf?.getTime() ?? defaultAsOf(input.newest, input.newestMark, options.settleMs);
  // The store's clock has its own reference: the newest storedAt, unless asOf is given.
  const storedAsOf = options.storedAsOf?.getTime() ?? options.asOf?.getTime() ?? (Number.isNaN(input.newestStored) ? asOf : input.newestStored);
  return { asOf, storedAsOf };
}

function finishRun({ macs, intake: { out: input }, settle, options, stream }: Run): VerifyReport {
  if (stream) {
    stream.end();
    return report(input, { findings: stream.findings, claims: stream.claims }, stream.chains);
  }
  const { asOf, storedAsOf } = referenceTimes(input, options);
  const opts = checkOptions(options, asOf, storedAsOf, settle);
  const findings: Finding[] = [];
  const chains: ChainSummary[] = [];
  for (const [chainId, entries] of input.chains) {
    const r = checkChain(chainId, entries, macs, opts);
    for (const f of r.findings) findings.push(f);
    chains.push(r.summary);
  }
  return report(input, claimUnsigned(findings, chains, input.unsigned), chains);
}

/** The report: the intake's findings, then the chains' and the claims', and each chain's count of findings naming it. */
function report(input: Intake, judged: { findings: Finding[]; claims: UnsignedClaims }, chains: ChainSummary[]): VerifyReport {
  const findings: Finding[] = [...input.findings, ...judged.findings];
  const claims = judged.claims;
  // A chain is clean only if no finding at all names it (schema and projection findings included).
  const perChain = new Map<string | null, number>();
  for (const f of findings) perChain.set(f.chain_id, (perChain.get(f.chain_id) ?? 0) + 1);
  for (const c of chains) {
    c.findings = perChain.get(c.chain_id) ?? 0;
    c.ok = c.findings === 0;
  }
  return { ok: findings.length === 0, findings, chains, records: input.records, unsigned: claims.free, ignored: input.ignored };
}
