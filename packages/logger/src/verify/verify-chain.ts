import { checkChain } from './chain-check.js';
import { AuditConfigError } from '../errors.js';
import { MacVerifier } from './chain-mac.js';
import { KEY_STEP_BUDGET, KeyStepBudget } from './epoch-keys.js';
import { IntakeBuilder, type UnsignedEntry } from './intake.js';
import { parseKeys } from './keyring.js';
import type { ChainSummary, Finding, VerifyKeys, VerifyOptions, VerifyRecord, VerifyReport } from './types.js';

/**
 * Verifies signed chains (INTEGRITY.md, format v1) in stored records, from
 * NDJSON files or database rows alike, and reports every finding with its
 * code, chain and seq, plus a summary per chain. Records of several chains
 * may be mixed in any order. Throws AuditConfigError only for unusable keys or options;
 * problems in the records are findings, never exceptions.
 */
export function verifyChain(records: Iterable<VerifyRecord>, keys: VerifyKeys, options: VerifyOptions = {}): VerifyReport {
  const run = startRun(keys, options);
  for (const rec of records) run.intake.add(rec);
  return finishRun(run, options);
}

/**
 * {@link verifyChain} over a stream of records (database pages, a file read
 * in chunks): each record is checked as it arrives and only a few fields of
 * it are kept, so a table far larger than memory can be verified. Keys and
 * options are checked before the first record is read.
 */
export async function verifyChainStream(records: AsyncIterable<VerifyRecord> | Iterable<VerifyRecord>, keys: VerifyKeys, options: VerifyOptions = {}): Promise<VerifyReport> {
  const run = startRun(keys, options);
  for await (const rec of records) run.intake.add(rec);
  return finishRun(run, options);
}

interface Run {
  macs: MacVerifier;
  intake: IntakeBuilder;
  settle: number;
}

function startRun(keys: VerifyKeys, options: VerifyOptions): Run {
  const macs = new MacVerifier(parseKeys(keys), new KeyStepBudget({ base: wholeOption('keyStepBudget', options.keyStepBudget, KEY_STEP_BUDGET.base), perRecord: KEY_STEP_BUDGET.perRecord }));
  return { macs, intake: new IntakeBuilder(macs), settle: wholeOption('settleMs', options.settleMs, 0) };
}

function finishRun({ macs, intake: { out: input }, settle }: Run, options: VerifyOptions): VerifyReport {
  const asOf = options.asOf?.getTime() ?? (Number.isNaN(input.newest) ? Date.now() : input.newest);
  // The store's clock has its own reference: the newest storedAt, unless asOf is given.
  const storedAsOf = options.asOf?.getTime() ?? (Number.isNaN(input.newestStored) ? asOf : input.newestStored);
  const findings: Finding[] = [...input.findings];
  const chains: ChainSummary[] = [];
  for (const [chainId, entries] of input.chains) {
    // Settled: the chain as it stood at asOf - settle, its later records pending.
    const r = checkChain(chainId, entries, macs, { ...options, asOf: asOf - settle, ...(settle > 0 ? { pendingAfter: asOf - settle, pendingStoredAfter: storedAsOf - settle } : {}) });
    for (const f of r.findings) findings.push(f);
    chains.push(r.summary);
  }
  const unsigned = claimUnsigned(input.unsigned, chains, findings);
  // A chain is clean only if no finding at all names it (schema and projection findings included).
  const perChain = new Map<string | null, number>();
  for (const f of findings) perChain.set(f.chain_id, (perChain.get(f.chain_id) ?? 0) + 1);
  for (const c of chains) {
    c.findings = perChain.get(c.chain_id) ?? 0;
    c.ok = c.findings === 0;
  }
  return { ok: findings.length === 0, findings, chains, records: input.records, unsigned, ignored: input.ignored };
}

/**
 * UNSIGNED_IN_SIGNED_CHAIN: an unsigned record claiming the producer (same
 * service and instance) of a signed chain, dated within that chain's life
 * (open chains: from their first record on). A downgrade to unsigned must
 * not pass as an ordinary unsigned event. Returns how many unsigned records
 * belong to no chain.
 */
function claimUnsigned(unsigned: UnsignedEntry[], chains: ChainSummary[], findings: Finding[]): number {
  // Chains by producer: a table holds thousands of chains (one per process
  // start) and millions of unsigned records; each looks at its producer's only.
  const producer = (service: string | null | undefined, instance: string | null | undefined) => JSON.stringify([service ?? null, instance ?? null]);
  const byProducer = new Map<string, ChainSummary[]>();
  for (const c of chains) {
    const k = producer(c.service, c.instance);
    const list = byProducer.get(k);
    if (list) list.push(c);
    else byProducer.set(k, [c]);
  }
  let free = 0;
  for (const u of unsigned) {
    const owner = byProducer.get(producer(u.service, u.instance))?.find(
      (c) =>
        c.first_time !== null &&
        u.time >= Date.parse(c.first_time) &&
        (!c.closed || (c.last_time !== null && u.time <= Date.parse(c.last_time))),
    );
    if (!owner) {
      free++;
      continue;
    }
    findings.push({
      code: 'UNSIGNED_IN_SIGNED_CHAIN',
      chain_id: owner.chain_id,
      seq: null,
      message: `record without integrity claims producer ${owner.service}/${owner.instance ?? '-'} of this signed chain`,
      ...(u.location ? { location: u.location } : {}),
      ...(u.eventId ? { event_id: u.eventId } : {}),
    });
  }
  return free;
}

/** A non-negative integer option, or `def` when it is not given. */
function wholeOption(name: string, n: number | undefined, def: number): number {
  if (n === undefined) return def;
  if (!Number.isSafeInteger(n) || n < 0) throw new AuditConfigError(`${name} must be a non-negative integer, got ${String(n)}`);
  return n;
}
