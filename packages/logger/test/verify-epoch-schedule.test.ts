import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { macInput } from '../src/signing/canonical.js';
import { evolveKey, hmac } from '../src/signing/kdf.js';
import { generateSealingKeyPair, unwrapRootKey, x25519PrivateFromRaw } from '../src/signing/seal.js';
import { createAuditLogger } from '../src/index.js';
import { authFailure, codes, fakeClock, lines, SECRET, tmpDir, verifyLines } from './helpers.js';

const parse = (l: string) => JSON.parse(l) as Record<string, any>;

/**
 * A sealed chain over six one-minute epochs (fake clock): five events 10 s
 * apart and a checkpoint each minute, then the close. Returns its lines and
 * the verifier's private key.
 */
async function sealedChain(): Promise<{ ls: string[]; privateKey: string }> {
  const pair = generateSealingKeyPair();
  const file = join(tmpDir(), 'sealed.ndjson');
  const clock = fakeClock(Date.parse('2026-03-01T12:00:00.000Z'));
  const log = createAuditLogger({ service: 'login-api', destination: file, now: clock.now, runtime: false, signing: { mode: 'sealed', kid: 'v1', publicKey: pair.publicKey } });
  for (let minute = 0; minute < 6; minute++) {
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      log.webauthnAuthFailure(authFailure(`user-${minute}-${i}`));
    }
    log.checkpoint();
  }
  clock.advance(1000);
  await log.close();
  return { ls: lines(file), privateKey: pair.privateKey };
}

/**
 * What an attacker who took over the producer at its last epoch holds: that
 * epoch's key only (here unwrapped and evolved with the verifier's key, as a
 * stand-in for reading it out of the producer's memory).
 */
function stolenLastKey(ls: string[], privateKey: string): { key: Buffer; epoch: number } {
  const open = parse(ls[0]!);
  const chainId = open.integrity.chain_id as string;
  let key = unwrapRootKey(open.chain.wrapped_key, x25519PrivateFromRaw(Buffer.from(privateKey, 'base64url')), chainId);
  const epoch = parse(ls.at(-1)!).integrity.epoch as number;
  for (let e = 1; e <= epoch; e++) key = evolveKey(key, chainId, e);
  stolenFrom.set(key, epoch);
  return { key, epoch };
}

/** The epoch of each stolen key, for resignFrom to evolve it further. */
const stolenFrom = new Map<Buffer, number>();

/**
 * Re-signs records from index `from` on at `epoch` (one for all, or one per
 * record), relinking `prev`, after `edit` ran on each: under `key` at that
 * epoch, or the key `key` evolves to for a later one.
 */
function resignFrom(ls: string[], from: number, key: Buffer, epoch: number | ((rec: Record<string, any>, i: number) => number), edit: (rec: Record<string, any>, i: number) => void): string[] {
  const out = [...ls];
  const chainId = parse(out[0]!).integrity.chain_id as string;
  const base = typeof epoch === 'number' ? epoch : undefined;
  const keyAt = (e: number) => {
    const from = base ?? stolenFrom.get(key)!;
    let k = key;
    for (let x = from + 1; x <= e; x++) k = evolveKey(k, chainId, x);
    return k;
  };
  let prev = from === 0 ? '' : (parse(out[from - 1]!).integrity.mac as string);
  for (let i = from; i < out.length; i++) {
    const rec = parse(out[i]!);
    edit(rec, i);
    rec.integrity.epoch = typeof epoch === 'number' ? epoch : epoch(rec, i);
    rec.integrity.prev = prev;
    delete rec.integrity.mac;
    rec.integrity.mac = hmac(typeof epoch === 'number' ? key : keyAt(rec.integrity.epoch), macInput(rec));
    prev = rec.integrity.mac;
    out[i] = JSON.stringify(rec);
  }
  return out;
}

describe('verifyChain holds epochs to the schedule the chain opened with (sealed mode forward security)', () => {
  it('a genuine sealed chain over six epochs is clean', async () => {
    const { ls, privateKey } = await sealedChain();
    const epochs = ls.map((l) => parse(l).integrity.epoch as number);
    expect(Math.max(...epochs)).toBe(5);
    expect(codes(verifyLines(ls, { v1: { privateKey } }))).toEqual([]);
  });

  it('the last epoch\'s key re-signing an edit of an epoch-0 record and everything after it, times kept: EPOCH_EARLY and EPOCH_OVERDUE', async () => {
    const { ls, privateKey } = await sealedChain();
    const { key, epoch } = stolenLastKey(ls, privateKey);
    // Seq 4 is an epoch-0 auth failure: rewritten to blame someone else.
    const forged = resignFrom(ls, 3, key, epoch, (rec, i) => {
      if (i === 3) rec.user_id = 'someone-else';
    });
    const r = verifyLines(forged, { v1: { privateKey } });
    // Every MAC verifies and the epochs never go down: only the schedule gives it away.
    expect(codes(r)).toEqual(['EPOCH_EARLY', 'EPOCH_OVERDUE']);
    expect(r.ok).toBe(false);
    expect(r.findings[0]!.message).toMatch(/^epoch 0 at seq 1 \(2026-03-01T12:00:00.000Z\) is followed by epoch 5 at seq 7 \(2026-03-01T12:00:50.000Z\), 50000 ms later; the 4 epoch\(s\) between them that are not full lasted at least 240000 ms$/);
    expect(r.findings[1]!.message).toMatch(/^epoch 5 signs seq 7 \(.*\) and seq \d+ \(.*\), \d+ ms apart; an epoch lasts at most epoch_interval_ms \(60000\)/);
  });

  it('the same forgery with every rewritten record re-dated into one minute after the edit: EPOCH_EARLY', async () => {
    const { ls, privateKey } = await sealedChain();
    const { key, epoch } = stolenLastKey(ls, privateKey);
    const t3 = Date.parse(parse(ls[2]!).event_time);
    const forged = resignFrom(ls, 3, key, epoch, (rec, i) => {
      rec.event_time = new Date(t3 + (i - 2) * 1000).toISOString();
      if (i === 3) rec.user_id = 'someone-else';
    });
    expect(codes(verifyLines(forged, { v1: { privateKey } }))).toEqual(['EPOCH_EARLY']);
  });

  it('the same key re-signing the whole chain, its OPEN included, every epoch raised by its own: EPOCH_EARLY at the OPEN (found by a review)', async () => {
    const { ls, privateKey } = await sealedChain();
    const { key, epoch } = stolenLastKey(ls, privateKey);
    const forged = resignFrom(ls, 0, key, (rec) => rec.integrity.epoch + epoch, (rec, i) => {
      if (i === 3) rec.user_id = 'someone-else';
    });
    const r = verifyLines(forged, { v1: { privateKey } });
    expect(codes(r)).toEqual(['EPOCH_EARLY']);
    expect(r.findings[0]).toMatchObject({ seq: 1 });
    expect(r.findings[0]!.message).toBe('the chain opens at epoch 5; a chain opens at epoch 0, so its OPEN was signed with a later key');
  });

  it('the same key skipping twice (N, then N+2 for the rest) so that a second skip would hide the first: EPOCH_EARLY (found by a review)', async () => {
    const { ls, privateKey } = await sealedChain();
    const { key, epoch } = stolenLastKey(ls, privateKey);
    const forged = resignFrom(ls, 3, key, (rec, i) => (i === 3 ? epoch : rec.integrity.epoch + epoch + 2), (rec, i) => {
      if (i === 3) rec.user_id = 'someone-else';
    });
    const r = verifyLines(forged, { v1: { privateKey } });
    expect(codes(r)).toContain('EPOCH_EARLY');
    expect(r.findings.find((f) => f.code === 'EPOCH_EARLY')!.message).toMatch(/^epoch 0 at seq 1 .* is followed by epoch 7 at seq 7 .*; the 6 epoch\(s\) between them that are not full lasted at least 360000 ms$/);
  });

  it('a logger opens its chain at epoch 0 however short its epochs (the key evolved between the constructor and the OPEN; found by a review)', async () => {
    const opens: number[] = [];
    for (let i = 0; i < 50; i++) {
      const file = join(tmpDir(), `o${i}.ndjson`);
      const log = createAuditLogger({ service: 'api', destination: file, runtime: false, signing: { mode: 'shared', kid: 'k1', secret: SECRET, epochIntervalMs: 1 } });
      await sleep(2);
      log.webauthnAuthFailure(authFailure('user'));
      await log.close();
      const ls = lines(file);
      opens.push(parse(ls[0]!).integrity.epoch);
      expect(codes(verifyLines(ls, { k1: { secret: SECRET } })), `logger ${i}`).toEqual([]);
    }
    expect(new Set(opens)).toEqual(new Set([0]));
  });

  it('the same key re-signing a tail it freed of every later checkpoint, or re-dated into the settle window: EPOCH_EARLY (found by a review)', async () => {
    // Defaults (60 s epochs and checkpoints), an event every 10 s for 30 minutes: about 30 epochs.
    const pair = generateSealingKeyPair();
    const file = join(tmpDir(), 'long.ndjson');
    const clock = fakeClock(Date.parse('2026-03-01T12:00:00.000Z'));
    const log = createAuditLogger({ service: 'login-api', destination: file, now: clock.now, runtime: false, signing: { mode: 'sealed', kid: 'v1', publicKey: pair.publicKey } });
    for (let i = 0; i < 180; i++) {
      clock.advance(10_000);
      log.webauthnAuthFailure(authFailure(`user-${i}`));
    }
    await log.close();
    const ls = lines(file);
    const keys = { v1: { privateKey: pair.privateKey } };
    expect(codes(verifyLines(ls, keys))).toEqual([]);
    const { key, epoch } = stolenLastKey(ls, pair.privateKey);
    const recs = ls.map(parse);
    const target = recs.findIndex((r) => r.event_type === 'WEBAUTHN_AUTH_FAILURE' && r.integrity.epoch === 2);
    // 1. Everything after the edited record but the events, at the stolen epoch: no checkpoint left to time them by.
    const events = [...ls.slice(0, target), ...ls.slice(target).filter((l) => parse(l).event_type === 'WEBAUTHN_AUTH_FAILURE')];
    const dropped = resignFrom(events, target, key, epoch, (rec, i) => {
      rec.integrity.seq = i + 1;
      if (i === target) rec.user_id = 'someone-else';
    });
    const r1 = verifyLines(dropped, keys);
    expect(codes(r1)).toEqual(['EPOCH_EARLY']);
    expect(r1.findings[0]!.message).toMatch(/^records after the last checkpoint \(seq \d+, epoch 2\) reach epoch \d+ at seq \d+; the \d+ epoch\(s\) between that are not full lasted at least \d+ ms, but the logger writes a checkpoint within 60000 ms \(plus slack\) of the last$/);
    // 2. The whole rest kept, re-dated just inside a 5-minute settle window, so that every forged record is pending.
    const settleMs = 300_000;
    let mark = target - 1;
    while (!['AUDIT_CHECKPOINT', 'AUDIT_CHAIN_OPEN'].includes(recs[mark]!.event_type)) mark--;
    const edge = Date.parse(recs[mark]!.event_time) + 90_000 + settleMs - 1;
    const settled = resignFrom(ls, target, key, epoch, (rec, i) => {
      rec.event_time = new Date(edge - (ls.length - 1 - i)).toISOString();
      if (i === target) rec.user_id = 'someone-else';
    });
    const r2 = verifyLines(settled, keys, { settleMs });
    expect(r2.chains[0]!.pending).toBeGreaterThan(100);
    expect(codes(r2)).toContain('EPOCH_EARLY');
  });

  it('an epoch holding more records than epoch_max_events: EPOCH_OVERDUE at the first one past it', async () => {
    const file = join(tmpDir(), 'max.ndjson');
    const clock = fakeClock();
    const log = createAuditLogger({ service: 'api', destination: file, now: clock.now, runtime: false, signing: { mode: 'shared', kid: 'k1', secret: SECRET, epochMaxEvents: 4 } });
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      log.webauthnAuthFailure(authFailure(`user-${i}`));
    }
    await log.close();
    const ls = lines(file);
    // Genuine: four records per epoch, the open included.
    expect(ls.map((l) => parse(l).integrity.epoch)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
    // Epoch 2's key re-signing the records of epoch 1 as its own: six records in epoch 2.
    const chainId = parse(ls[0]!).integrity.chain_id as string;
    const { sharedRootKey } = await import('../src/signing/kdf.js');
    const key2 = evolveKey(evolveKey(sharedRootKey(Buffer.from(SECRET, 'base64'), chainId), chainId, 1), chainId, 2);
    const r = verifyLines(resignFrom(ls, 6, key2, 2, () => undefined), { k1: { secret: SECRET } });
    // Epoch 1, left with two records, neither filled up nor lasted its minute: early as well.
    expect(codes(r)).toEqual(['EPOCH_EARLY', 'EPOCH_OVERDUE']);
    const overdue = r.findings.find((f) => f.code === 'EPOCH_OVERDUE')!;
    expect(overdue).toMatchObject({ seq: 11 });
    expect(overdue.message).toMatch(/^epoch 2 holds more than epoch_max_events \(4\) records/);
  });

  it('epochs skipped while idle, on real timers (epochs far shorter than checkpoints), are not findings', async () => {
    const file = join(tmpDir(), 'idle.ndjson');
    const log = createAuditLogger({ service: 'api', destination: file, runtime: false, signing: { mode: 'shared', kid: 'k1', secret: SECRET, epochIntervalMs: 20, checkpointIntervalMs: 150 } });
    for (let i = 0; i < 4; i++) {
      log.webauthnAuthFailure(authFailure(`user-${i}`));
      await sleep(120);
    }
    await log.close();
    const ls = lines(file);
    const epochs = ls.map((l) => parse(l).integrity.epoch as number);
    // The idle timer moved the key on between records, several epochs at a time.
    expect(epochs.some((e, i) => i > 0 && e - epochs[i - 1]! > 1)).toBe(true);
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
  });
});

describe('checkpoints: written when overdue, judged by the times the logger sets', () => {
  it('a caller emitting without yielding for longer than the interval still gets its checkpoints (written before the next record once due)', async () => {
    const file = join(tmpDir(), 'busy.ndjson');
    const clock = fakeClock();
    // The fake clock moves, timers never fire: as in a synchronous loop.
    const log = createAuditLogger({ service: 'batch', destination: file, now: clock.now, runtime: false, signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
    for (let i = 0; i < 12; i++) {
      clock.advance(25_000);
      log.webauthnAuthFailure(authFailure(`user-${i}`));
    }
    await log.close();
    const ls = lines(file);
    const checkpoints = ls.map(parse).filter((r) => r.event_type === 'AUDIT_CHECKPOINT');
    expect(checkpoints.map((r) => r.chain.reason)).toEqual(['overdue', 'overdue', 'overdue', 'overdue']);
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
  });

  it('an event its caller dated ahead neither fails its own chain nor moves the as-of time that judges another open chain', async () => {
    const dir = tmpDir();
    const clock = fakeClock();
    const signing = { mode: 'shared', kid: 'k1', secret: SECRET } as const;
    const a = createAuditLogger({ service: 'detector', instance: 'd-1', destination: join(dir, 'a.ndjson'), now: clock.now, runtime: false, signing });
    const b = createAuditLogger({ service: 'detector', instance: 'd-2', destination: join(dir, 'b.ndjson'), now: clock.now, runtime: false, signing });
    clock.advance(10_000);
    a.webauthnAuthFailure({ ...authFailure('user-a'), event_time: new Date(Date.parse('2026-01-01T00:00:10Z') + 180_000).toISOString() });
    b.webauthnAuthFailure(authFailure('user-b'));
    clock.advance(10_000);
    b.checkpoint();
    await a.close();
    // b is still open: its lines so far (it flushes each line as written).
    const both = [...lines(join(dir, 'a.ndjson')), ...lines(join(dir, 'b.ndjson'))];
    const r = verifyLines(both, { k1: { secret: SECRET } });
    expect(codes(r)).toEqual([]);
    expect(r.chains.map((c) => c.closed).sort()).toEqual([false, true]);
    // A later checkpoint of another chain still shows b's missing tail.
    clock.advance(120_000);
    const c = createAuditLogger({ service: 'detector', instance: 'd-3', destination: join(dir, 'c.ndjson'), now: clock.now, runtime: false, signing });
    await c.close();
    expect(codes(verifyLines([...both, ...lines(join(dir, 'c.ndjson'))], { k1: { secret: SECRET } }))).toEqual(['CHECKPOINT_MISSING']);
    await b.close();
  });
});
