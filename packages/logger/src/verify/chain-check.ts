import type { ChainEntry } from './intake.js';
import type { MacVerifier } from './chain-mac.js';
import type { ChainSummary, Finding, VerifyOptions } from './types.js';

const MARKS = new Set(['AUDIT_CHECKPOINT', 'AUDIT_CHAIN_CLOSE']);

interface OpenDetail {
  mode?: 'shared' | 'sealed';
  checkpoint_interval_ms?: number;
}

/**
 * Checks one chain (INTEGRITY.md "Verifier findings"): input order
 * (REORDERED), duplicates (SEQ_DUPLICATE), keys and MACs (KEY_UNKNOWN,
 * MAC_INVALID), then in seq order: gaps (SEQ_GAP, or TAIL_TRUNCATED when a
 * checkpoint or close names the missing records), `prev` links
 * (CHAIN_BREAK), epochs (EPOCH_REGRESSION), record kinds, and the
 * checkpoint cadence (CHECKPOINT_MISSING), also for an open chain's tail
 * against `asOf`. With `pendingAfter`, the seq-order checks stop at the
 * first record stamped after it and, when it has a storedAt, stored after
 * `pendingStoredAfter` (records still arriving, VerifyOptions.settleMs).
 */
export function checkChain(
  chainId: string,
  entries: ChainEntry[],
  macs: MacVerifier,
  opts: Omit<VerifyOptions, 'asOf'> & { asOf: number; pendingAfter?: number; pendingStoredAfter?: number },
): { findings: Finding[]; summary: ChainSummary } {
  const findings: Finding[] = [];
  const push = (code: Finding['code'], e: ChainEntry | null, seq: number | null, message: string) =>
    findings.push({
      code,
      chain_id: chainId,
      seq,
      message,
      ...(e?.location ? { location: e.location } : {}),
      ...(e?.eventId ? { event_id: e.eventId } : {}),
    });

  // Input order and duplicates.
  const bySeq = new Map<number, ChainEntry>();
  let maxSeen = 0;
  for (const e of entries) {
    const dup = bySeq.get(e.seq);
    if (dup) {
      const same = dup.mac === e.mac ? 'a replayed copy of' : 'a different record at the position of';
      push('SEQ_DUPLICATE', e, e.seq, `${same} seq ${e.seq}${dup.location ? ` (first at ${dup.location})` : ''}`);
      continue;
    }
    bySeq.set(e.seq, e);
    if (opts.checkOrder !== false && e.seq < maxSeen) push('REORDERED', e, e.seq, `seq ${e.seq} is stored after seq ${maxSeen}`);
    maxSeen = Math.max(maxSeen, e.seq);
  }
  const sorted = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const first = sorted[0]!;
  // Pending: recent by its event_time, and by storedAt where the store gave one (unsigned, so it only narrows).
  const cut = opts.pendingAfter === undefined ? -1 : sorted.findIndex((e) => e.time > opts.pendingAfter! && !(e.stored <= opts.pendingStoredAfter!));
  const judged = cut < 0 ? sorted : sorted.slice(0, cut);
  const open = bySeq.get(1)?.eventType === 'AUDIT_CHAIN_OPEN' ? bySeq.get(1) : undefined;
  const kid = (open ?? first).kid;
  const detail = (open?.chain ?? {}) as OpenDetail;

  macs.finish(chainId, kid, entries, first, push);

  // Seq order: gaps, links, epochs, kinds, cadence.
  const interval = Number.isSafeInteger(detail.checkpoint_interval_ms) ? detail.checkpoint_interval_ms! : undefined;
  const limit = interval === undefined ? undefined : interval + (opts.checkpointSlackMs ?? Math.ceil(interval / 2));
  let lastMark = open && !Number.isNaN(open.time) ? open : undefined;
  let windowReported = false;
  let closed: ChainEntry | undefined;
  let before: ChainEntry | undefined;
  for (const e of judged) {
    const expected = before ? before.seq + 1 : 1;
    if (e.seq > expected) {
      const names = MARKS.has(e.eventType) ? e.chain?.last_seq : undefined;
      const range = e.seq - 1 === expected ? `record ${expected} is` : `records ${expected}-${e.seq - 1} are`;
      if (typeof names === 'number' && names >= expected) push('TAIL_TRUNCATED', e, expected, `${range} missing; the ${e.eventType} at seq ${e.seq} names records up to ${names}`);
      else push('SEQ_GAP', e, expected, `${range} missing`);
    } else if (before && e.prev !== before.mac) {
      push('CHAIN_BREAK', e, e.seq, `prev does not match the mac of seq ${before.seq}`);
    }
    if (e.seq === 1 && e.prev !== '') push('CHAIN_BREAK', e, 1, 'record 1 must have an empty prev');
    if (before && e.epoch < before.epoch) push('EPOCH_REGRESSION', e, e.seq, `epoch ${e.epoch} after epoch ${before.epoch} at seq ${before.seq}`);
    if ((e.seq === 1) !== (e.eventType === 'AUDIT_CHAIN_OPEN')) push('SCHEMA_INVALID', e, e.seq, e.seq === 1 ? 'record 1 of a chain must be AUDIT_CHAIN_OPEN' : 'AUDIT_CHAIN_OPEN at a seq other than 1');
    if (closed) push('SCHEMA_INVALID', e, e.seq, `record after the AUDIT_CHAIN_CLOSE at seq ${closed.seq}`);
    if (e.eventType === 'AUDIT_CHAIN_CLOSE') closed = e;
    if (limit !== undefined && lastMark && !Number.isNaN(e.time)) {
      const late = e.time - lastMark.time > limit;
      if (late && !windowReported) {
        push('CHECKPOINT_MISSING', e, e.seq, `no checkpoint between seq ${lastMark.seq} (${iso(lastMark.time)}) and seq ${e.seq} (${iso(e.time)}); the interval is ${interval} ms`);
        windowReported = true;
      }
      if (MARKS.has(e.eventType)) {
        lastMark = e;
        windowReported = false;
      }
    }
    before = e;
  }
  const last = sorted[sorted.length - 1]!;
  const lastJudged = judged.at(-1);
  if (!closed && lastJudged && limit !== undefined && lastMark && opts.asOf - lastMark.time > limit) {
    push('CHECKPOINT_MISSING', lastJudged, lastJudged.seq + 1, `chain is not closed and its last checkpoint (seq ${lastMark.seq}, ${iso(lastMark.time)}) is older than the interval plus slack before ${iso(opts.asOf)}: records after it may have been removed`);
  }

  const times = sorted.map((e) => e.time).filter((t) => !Number.isNaN(t));
  const summary: ChainSummary = {
    chain_id: chainId,
    kid: kid || null,
    mode: detail.mode ?? null,
    service: first.service ?? null,
    instance: first.instance ?? null,
    records: entries.length,
    first_seq: first.seq,
    last_seq: last.seq,
    first_time: times.length ? iso(times.reduce((a, b) => Math.min(a, b))) : null,
    last_time: times.length ? iso(times.reduce((a, b) => Math.max(a, b))) : null,
    // A CLOSE among the pending records still ends the chain (UNSIGNED_IN_SIGNED_CHAIN dates records by it).
    closed: sorted.some((e) => e.eventType === 'AUDIT_CHAIN_CLOSE'),
    last_epoch: sorted.reduce((m, e) => Math.max(m, e.epoch), 0),
    pending: sorted.length - judged.length,
    findings: findings.length,
    ok: findings.length === 0,
  };
  return { findings, summary };
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
