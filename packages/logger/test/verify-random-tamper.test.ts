import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuditLogger, verifyChain, verifyChainTwoPass, type SigningOptions, type VerifyOptions, type VerifyReport } from '../src/index.js';
import { authFailure, fakeClock, SECRET, verifyLines } from './helpers.js';
import { prngInt } from '../../../test/support/prng.js';


const sealing = generateKeyPairSync('x25519');
const keys = { k1: { secret: SECRET } };
const sealedKeys = { v1: { privateKey: sealing.privateKey } };

/** A closed chain of 3-30 events, 1-20 s apart, with checkpoints at random places, as the logger wrote it. */
async function randomChain(rand: (n: number) => number, sealed: boolean, instance = 'a1'): Promise<string[]> {
  const out: string[] = [];
  const clock = fakeClock();
  const timing = { checkpointIntervalMs: 60_000, epochMaxEvents: 1 + rand(8) };
  const signing: SigningOptions = sealed ? { mode: 'sealed', kid: 'v1', publicKey: sealing.publicKey, ...timing } : { mode: 'shared', kid: 'k1', secret: SECRET, ...timing };
  const log = createAuditLogger({ service: 'api', instance, destination: { write: (s: string) => void out.push(...s.split('\n').filter(Boolean)) }, signing, now: clock.now, runtime: false });
  // The fake clock does not fire the logger's interval timer: checkpoint as it would, and at random.
  let sinceCheckpoint = 0;
  for (let i = 0, n = 3 + rand(28); i < n; i++) {
    const step = 1000 + rand(19_000);
    if (sinceCheckpoint + step >= 55_000) {
      log.checkpoint();
      sinceCheckpoint = 0;
    }
    clock.advance(step);
    sinceCheckpoint += step;
    log.webauthnAuthFailure(authFailure(`user-${i}`));
    if (rand(5) === 0) {
      log.checkpoint();
      sinceCheckpoint = 0;
    }
  }
  clock.advance(1000);
  await log.close();
  return out;
}

/**
 * The chains' lines interleaved as several producers write into one file or
 * table, with unsigned copies of some records (their producers' downgrades).
 */
function interleave(chains: string[][], rand: (n: number) => number): string[] {
  const ls: string[] = [];
  const at = chains.map(() => 0);
  while (at.some((i, c) => i < chains[c]!.length)) {
    const c = rand(chains.length);
    if (at[c]! < chains[c]!.length) ls.push(chains[c]![at[c]!++]!);
    if (rand(8) === 0) {
      const rec = JSON.parse(ls.at(-1)!);
      delete rec.integrity;
      ls.push(JSON.stringify(rec));
    }
  }
  return ls;
}

type Tamper = (ls: string[], rand: (n: number) => number) => string;

/** One edit an attacker with write access to the stored lines (not the key) could make. */
const TAMPERS: Tamper[] = [
  (ls, rand) => {
    const i = rand(ls.length);
    ls.splice(i, 1);
    return `delete line ${i + 1}`;
  },
  (ls, rand) => {
    const i = rand(ls.length - 1);
    [ls[i], ls[i + 1]] = [ls[i + 1]!, ls[i]!];
    return `swap lines ${i + 1} and ${i + 2}`;
  },
  (ls, rand) => {
    const i = rand(ls.length);
    ls.splice(rand(ls.length + 1), 0, ls[i]!);
    return `replay line ${i + 1}`;
  },
  (ls, rand) => {
    const k = 1 + rand(Math.min(5, ls.length - 1));
    ls.splice(ls.length - k, k);
    return `cut the last ${k} lines`;
  },
  (ls, rand) => {
    const events = ls.map((l, i) => [l, i] as const).filter(([l]) => l.includes('"user_id"'));
    const [, i] = events[rand(events.length)]!;
    const rec = JSON.parse(ls[i]!);
    rec.user_id = `${rec.user_id}x`;
    ls[i] = JSON.stringify(rec);
    return `edit user_id on line ${i + 1}`;
  },
  (ls, rand) => {
    const i = rand(ls.length);
    const rec = JSON.parse(ls[i]!);
    rec.event_time = new Date(Date.parse(rec.event_time) - 1000).toISOString();
    ls[i] = JSON.stringify(rec);
    return `backdate line ${i + 1} by 1 s`;
  },
  (ls, rand) => {
    const i = rand(ls.length);
    const rec = JSON.parse(ls[i]!);
    delete rec.integrity;
    ls[i] = JSON.stringify(rec);
    return `strip the integrity of line ${i + 1}`;
  },
  (ls, rand) => {
    const a = rand(ls.length);
    const b = rand(ls.length);
    const ra = JSON.parse(ls[a]!);
    const rb = JSON.parse(ls[b]!);
    // Two signed lines only (a table also holds unsigned ones); else delete one.
    if (a === b || !ra.integrity || !rb.integrity) return TAMPERS[0]!(ls, rand);
    [ra.integrity.mac, rb.integrity.mac] = [rb.integrity.mac, ra.integrity.mac];
    ls[a] = JSON.stringify(ra);
    ls[b] = JSON.stringify(rb);
    return `swap the macs of lines ${a + 1} and ${b + 1}`;
  },
];

describe('verifyChain against random tampering (seeded)', () => {
  it('passes 150 untouched random chains (shared and sealed) and finds every one of 1 500 random edits', async () => {
    // Judged 10 minutes after the chain ended: a cut tail then shows (CHECKPOINT_MISSING) even without its close.
    const asOf = (ls: string[]) => new Date(Date.parse(JSON.parse(ls.at(-1)!).event_time) + 600_000);
    for (let seed = 1; seed <= 150; seed++) {
      const rand = prngInt(seed * 69069);
      const sealed = seed % 3 === 0;
      const chain = await randomChain(rand, sealed);
      const k = sealed ? sealedKeys : keys;
      expect(verifyLines(chain, k, { asOf: asOf(chain) }).findings, `seed ${seed}`).toEqual([]);
      for (let t = 0; t < 10; t++) {
        const ls = [...chain];
        const what = TAMPERS[rand(TAMPERS.length)]!(ls, rand);
        const r = verifyLines(ls, k, { asOf: asOf(chain) });
        expect(r.ok, `seed ${seed}: ${what} went unnoticed`).toBe(false);
      }
    }
  });
});

/** The report with its findings and chains in a fixed order: the two ways of reading judge the same things in another order. */
function normalised(r: VerifyReport) {
  const key = (x: unknown) => JSON.stringify(x);
  return { ...r, findings: [...r.findings].sort((a, b) => key(a).localeCompare(key(b))), chains: [...r.chains].sort((a, b) => a.chain_id.localeCompare(b.chain_id)) };
}

/** The lines as `verify --db` reads a table: chain records by (chain_id, seq) from their signed JSON, then the rest in stored order (stable). */
function byChain<R extends { event: string }>(records: R[]): R[] {
  const place = (l: string): [number, string, number] => {
    try {
      const i = JSON.parse(l).integrity;
      if (typeof i?.chain_id === 'string' && Number.isSafeInteger(i.seq) && i.seq >= 1) return [0, i.chain_id, i.seq];
    } catch {
      // Not JSON: read with the rest.
    }
    return [1, '', 0];
  };
  return records
    .map((r, at) => ({ r, at, p: place(r.event) }))
    .sort((a, b) => a.p[0] - b.p[0] || a.p[1].localeCompare(b.p[1]) || a.p[2] - b.p[2] || a.at - b.at)
    .map((x) => x.r);
}

describe('verifyChain with order "chain" (seeded)', () => {
  it('reports what the unordered verifier reports for tables of several chains, unsigned records and random edits, with and without settle', async () => {
    let judged = 0;
    let edited = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rand = prngInt(seed * 40503);
      const sealed = seed % 4 === 0;
      const chains = await Promise.all(Array.from({ length: 1 + rand(4) }, (_, c) => randomChain(rand, sealed, `a${c}`)));
      const ls = interleave(chains, rand);
      const edits = [];
      for (let t = rand(4); t > 0; t--) edits.push(TAMPERS[rand(TAMPERS.length)]!(ls, rand));
      const newest = Math.max(...ls.map((l) => Date.parse(JSON.parse(l).event_time)));
      const options: VerifyOptions = { asOf: new Date(newest + 1000 * rand(900)), checkOrder: false, ...(rand(3) === 0 ? { settleMs: 1000 * rand(120) } : {}) };
      const k = sealed ? sealedKeys : keys;
      const records = ls.map((event, i) => ({ event, location: `line ${i + 1}` }));
      const any = verifyChain(records, k, options);
      const ordered = verifyChain(byChain(records), k, { ...options, order: 'chain' });
      expect(normalised(ordered), `seed ${seed}: ${edits.join(', ') || 'untouched'}`).toEqual(normalised(any));
      judged += ordered.chains.length;
      if (edits.length > 0) edited++;
    }
    // Not a vacuous comparison: chains were judged, and most tables were edited.
    expect(judged).toBeGreaterThan(100);
    expect(edited).toBeGreaterThan(30);
  });

  it('reports a chain record read out of (chain_id, seq) order, as a row whose columns were edited would be, and still judges its chain without it', async () => {
    const rand = prngInt(99);
    const [a, b] = await Promise.all([randomChain(rand, false, 'a0'), randomChain(rand, false, 'a1')]);
    const sorted = byChain([...a!, ...b!].map((event) => ({ event })));
    const moved = sorted.findIndex((r) => JSON.parse(r.event).integrity.seq === 2);
    const [row] = sorted.splice(moved, 1);
    sorted.push(row!);
    const report = verifyChain(sorted, keys, { order: 'chain', asOf: new Date('2030-01-01T00:00:00Z') });
    const chainId = JSON.parse(row!.event).integrity.chain_id;
    expect(report.findings.filter((f) => f.chain_id === chainId).map((f) => f.code).sort()).toEqual(['REORDERED', 'SEQ_GAP']);
    expect(report.findings.find((f) => f.code === 'REORDERED')!.message).toMatch(/^seq 2 is stored after its chain was judged/);
    expect(report.ok).toBe(false);
    expect(() => verifyChain([], keys, { order: 'chain' })).toThrow(/order "chain" needs asOf/);
  });
});

describe('verifyChainTwoPass (seeded)', () => {
  it('gives the report of the one-read verifier, finding for finding in the same order, for files of interleaved chains, unsigned copies and random edits', async () => {
    let judged = 0;
    let edited = 0;
    let streamed = 0;
    let claimedAsTheyCame = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const rand = prngInt(seed * 7919);
      const sealed = seed % 4 === 0;
      const chains = await Promise.all(Array.from({ length: 1 + rand(4) }, (_, c) => randomChain(rand, sealed, `a${c}`)));
      // Some producers still running: their chain has no CLOSE yet.
      for (const chain of chains) if (rand(3) === 0) chain.pop();
      const ls = interleave(chains, rand);
      // Unsigned records after some chains' last record: a closed chain does not claim them, a running one does.
      for (const chain of chains) {
        if (rand(2) === 0) continue;
        const rec = JSON.parse(chain.at(-1)!);
        delete rec.integrity;
        rec.event_time = new Date(Date.parse(rec.event_time) + 60_000).toISOString();
        ls.push(JSON.stringify(rec));
      }
      const edits = [];
      // Half the files untouched: their chains are in order and judged record by record.
      if (rand(2) === 0) for (let t = 1 + rand(3); t > 0; t--) edits.push(TAMPERS[rand(TAMPERS.length)]!(ls, rand));
      if (rand(6) === 0) ls.splice(rand(ls.length), 0, 'not json', '{"other":"app log"}');
      const newest = Math.max(...ls.flatMap((l) => (l.startsWith('{"other') || l === 'not json' ? [] : [Date.parse(JSON.parse(l).event_time)])));
      const options: VerifyOptions = { ...(rand(2) === 0 ? { asOf: new Date(newest + 1000 * rand(900)) } : {}), ...(rand(3) === 0 ? { settleMs: 1000 * rand(120) } : {}) };
      const k = sealed ? sealedKeys : keys;
      const records = ls.map((event, i) => ({ event, location: `line ${i + 1}` }));
      const one = verifyChain(records, k, options);
      let reads = 0;
      const two = await verifyChainTwoPass(() => (reads++, records), k, options);
      expect(reads).toBe(2);
      expect(two, `seed ${seed}: ${edits.join(', ') || 'untouched'}`).toEqual(one);
      judged += two.chains.length;
      if (edits.length > 0) edited++;
      else {
        streamed++;
        // Untouched: every chain in order, so unsigned records were claimed as they came.
        if (two.findings.some((f) => f.code === 'UNSIGNED_IN_SIGNED_CHAIN')) claimedAsTheyCame++;
      }
    }
    expect(judged).toBeGreaterThan(120);
    expect(edited).toBeGreaterThan(25);
    expect(streamed).toBeGreaterThan(25);
    expect(claimedAsTheyCame).toBeGreaterThan(10);
  });

  it('refuses input that changed between its two reads, and order "chain"', async () => {
    const rand = prngInt(5);
    const chain = await randomChain(rand, false);
    const records = chain.map((event, i) => ({ event, location: `line ${i + 1}` }));
    let reads = 0;
    // The second read has a record more (a file written to meanwhile).
    await expect(verifyChainTwoPass(() => (reads++ === 0 ? records : [...records, records[1]!]), keys)).rejects.toThrow(/the input changed between the two reads/);
    await expect(verifyChainTwoPass(() => records, keys, { order: 'chain', asOf: new Date() })).rejects.toThrow(/order must be "any"/);
  });
});
