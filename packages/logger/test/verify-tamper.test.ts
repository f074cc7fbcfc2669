import { describe, expect, it } from 'vitest';
import { evolveKey, hmac, sharedRootKey } from '../src/signing/kdf.js';
import { macInput } from '../src/signing/canonical.js';
import { createAuditLogger, iterateNdjson, ndjsonRecords, verifyChain } from '../src/index.js';
import { signedChain } from './chain-fixture.js';
import { lookAlike } from '../src/verify/unsigned-claims.js';
import { authFailure, codes, fakeClock, SECRET, SECRET2, tmpDir, lines, verifyLines } from './helpers.js';
import { join } from 'node:path';

const keys = { k1: { secret: SECRET } };
const parse = (l: string) => JSON.parse(l) as Record<string, any>;

/** Re-computes a record's MAC with the shared secret, as an attacker holding it could. */
function resign(rec: Record<string, any>, secret = SECRET): string {
  let key = sharedRootKey(Buffer.from(secret, 'base64'), rec.integrity.chain_id);
  for (let e = 1; e <= rec.integrity.epoch; e++) key = evolveKey(key, rec.integrity.chain_id, e);
  rec.integrity.mac = hmac(key, macInput(rec));
  return JSON.stringify(rec);
}

describe('verifyChain detects tampering (docs/integrity.md finding codes)', () => {
  it('a clean chain has no findings and a summary', async () => {
    const ls = await signedChain({ events: 6 });
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.chains).toHaveLength(1);
    expect(r.chains[0]).toMatchObject({ records: 8, first_seq: 1, last_seq: 8, closed: true, kid: 'k1', mode: 'shared', service: 'api', ok: true });
  });

  it('a field edited: MAC_INVALID at that seq', async () => {
    const ls = await signedChain({ events: 6 });
    const rec = parse(ls[3]!);
    rec.user_id = 'someone-else';
    ls[3] = JSON.stringify(rec);
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['MAC_INVALID']);
    expect(r.findings[0]).toMatchObject({ seq: 4, chain_id: rec.integrity.chain_id, location: 'test:4' });
  });

  it('a middle line deleted: SEQ_GAP', async () => {
    const ls = await signedChain({ events: 6 });
    ls.splice(3, 1);
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['SEQ_GAP']);
    expect(r.findings[0]!.seq).toBe(4);
  });

  it('the last lines deleted: TAIL_TRUNCATED at the close that names them', async () => {
    const ls = await signedChain({ events: 6 });
    ls.splice(5, 2); // events at seq 6 and 7; the CLOSE (seq 8) stays
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['TAIL_TRUNCATED']);
    expect(r.findings[0]!.seq).toBe(6);
  });

  it('the last lines before a checkpoint deleted: TAIL_TRUNCATED at the checkpoint', async () => {
    const ls = await signedChain({ events: 6, checkpointAfter: 4 });
    const cp = ls.findIndex((l) => parse(l).event_type === 'AUDIT_CHECKPOINT');
    ls.splice(cp - 2, 2);
    expect(codes(verifyLines(ls, keys))).toEqual(['TAIL_TRUNCATED']);
  });

  it('a tail deleted with its close: CHECKPOINT_MISSING once newer records exist', async () => {
    const a = await signedChain({ events: 6, instance: 'api-1' });
    const b = await signedChain({ events: 2, instance: 'api-2', start: Date.parse('2026-01-01T00:10:00Z') });
    const cut = a.slice(0, 5);
    const r = verifyLines([...cut, ...b], keys);
    expect(codes(r)).toEqual(['CHECKPOINT_MISSING']);
    expect(r.findings[0]).toMatchObject({ chain_id: parse(a[0]!).integrity.chain_id, seq: 6 });
  });

  it('no checkpoint within the interval: CHECKPOINT_MISSING at the next record the logger dates (a process stopped for minutes, timers silent)', async () => {
    const file = join(tmpDir(), 'a.ndjson');
    const clock = fakeClock();
    const log = createAuditLogger({ service: 'api', destination: file, now: clock.now, runtime: false, signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      log.webauthnAuthFailure(authFailure());
    }
    // An event dated by its caller long after the open is a claim, not the logger's clock: no finding by itself.
    log.webauthnAuthFailure({ ...authFailure(), event_time: '2026-01-01T00:30:00.000Z' });
    clock.advance(180_000);
    await log.close();
    const r = verifyLines(lines(file), keys);
    expect(codes(r)).toEqual(['CHECKPOINT_MISSING']);
    expect(r.findings[0]!.seq).toBe(7);
    expect(r.findings[0]!.message).toMatch(/^no checkpoint between seq 1 \(2026-01-01T00:00:00.000Z\) and seq 7 \(2026-01-01T00:03:04.000Z\)/);
  });

  it('two lines swapped: REORDERED', async () => {
    const ls = await signedChain({ events: 6 });
    [ls[2], ls[3]] = [ls[3]!, ls[2]!];
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['REORDERED']);
    expect(r.findings[0]!.seq).toBe(3);
    expect(codes(verifyLines(ls, keys, { checkOrder: false }))).toEqual([]);
  });

  it('a line copied from another chain: SEQ_GAP in that chain, the host chain stays clean', async () => {
    const a = await signedChain({ events: 6, instance: 'api-1' });
    const b = await signedChain({ events: 6, instance: 'api-2' });
    a.splice(4, 0, b[3]!);
    const r = verifyLines(a, keys);
    expect(codes(r)).toEqual(['SEQ_GAP']);
    expect(r.findings[0]).toMatchObject({ chain_id: parse(b[3]!).integrity.chain_id, seq: 1 });
    expect(r.chains.find((c) => c.chain_id === parse(a[0]!).integrity.chain_id)!.ok).toBe(true);
  });

  it('a line copied from another chain and renumbered to fit: MAC_INVALID, and the next link breaks', async () => {
    const a = await signedChain({ events: 6, instance: 'api-1' });
    const b = await signedChain({ events: 6, instance: 'api-2' });
    const forged = parse(b[3]!);
    const target = parse(a[3]!);
    forged.integrity = { ...target.integrity, mac: forged.integrity.mac };
    a[3] = JSON.stringify(forged);
    const r = verifyLines(a, keys);
    expect(codes(r)).toEqual(['CHAIN_BREAK', 'MAC_INVALID']);
    expect(r.findings.map((f) => [f.code, f.seq])).toContainEqual(['MAC_INVALID', 4]);
    expect(r.findings.map((f) => [f.code, f.seq])).toContainEqual(['CHAIN_BREAK', 5]);
  });

  it('an unsigned line inserted into a signed chain: UNSIGNED_IN_SIGNED_CHAIN', async () => {
    const a = await signedChain({ events: 6 });
    const file = join(tmpDir(), 'u.ndjson');
    const mid = Date.parse(parse(a[3]!).event_time) + 10;
    const u = createAuditLogger({ service: 'api', instance: 'api-1', destination: file, signing: false, runtime: false, now: () => new Date(mid) });
    u.webauthnAuthSuccess({ user_id: 'mallory', webauthn: { credential_id: 'AAAA', sign_count: 1, user_verified: true } });
    await u.close();
    a.splice(4, 0, lines(file)[0]!);
    const r = verifyLines(a, keys);
    expect(codes(r)).toEqual(['UNSIGNED_IN_SIGNED_CHAIN']);
    expect(r.findings[0]).toMatchObject({ chain_id: parse(a[0]!).integrity.chain_id, location: 'test:5' });
  });

  it('unsigned records are claimed by the signed chains of their service whatever instance they name (the instance is the forger\'s text; found by a probe), by their own instance\'s chain where there is one', async () => {
    // Two producers' chains over the same minutes; unsigned records naming the second, a third instance, another spelling, and none.
    const a = await signedChain({ events: 6, instance: 'api-1' });
    const b = await signedChain({ events: 6, instance: 'api-2' });
    const mid = Date.parse(parse(a[3]!).event_time) + 10;
    const file = join(tmpDir(), 'u.ndjson');
    for (const instance of ['api-2', 'api-9', 'API-1', undefined]) {
      const u = createAuditLogger({ service: 'api', ...(instance ? { instance } : {}), destination: file, signing: false, runtime: false, now: () => new Date(mid) });
      u.webauthnAuthSuccess({ user_id: `mallory-${instance}`, webauthn: { credential_id: 'AAAA', sign_count: 1, user_verified: true } });
      await u.close();
    }
    // And one of another service, which no chain here claims.
    const other = createAuditLogger({ service: 'billing', instance: 'api-1', destination: file, signing: false, runtime: false, now: () => new Date(mid) });
    other.webauthnAuthSuccess({ user_id: 'someone', webauthn: { credential_id: 'AAAA', sign_count: 1, user_verified: true } });
    await other.close();
    const unsigned = lines(file);
    const r = verifyLines([...a, ...b, ...unsigned], keys);
    const aId = parse(a[0]!).integrity.chain_id;
    const bId = parse(b[0]!).integrity.chain_id;
    expect(r.findings.map((f) => [f.code, f.chain_id])).toEqual([
      ['UNSIGNED_IN_SIGNED_CHAIN', bId],
      ['UNSIGNED_IN_SIGNED_CHAIN', aId],
      ['UNSIGNED_IN_SIGNED_CHAIN', aId],
      ['UNSIGNED_IN_SIGNED_CHAIN', aId],
    ]);
    expect(r.findings[0]!.message).toBe('record without integrity claims producer api/api-2 of this signed chain');
    expect(r.findings[1]!.message).toBe('record without integrity claims service api (instance "api-9") while this chain of its instance api-1 was signing');
    expect(r.unsigned).toBe(1);
  });

  it('an unsigned record claiming a service spelt to look like a signed chain\'s (case, another dash, a zero-width space, full-width letters) is claimed by that chain (found by a review)', async () => {
    const a = await signedChain({ events: 6, instance: 'api-1' });
    const mid = Date.parse(parse(a[3]!).event_time) + 10;
    const file = join(tmpDir(), 'u.ndjson');
    const spellings = ['API', 'a\u200bpi', '\uff41\uff50\uff49', ' api'];
    for (const service of spellings) {
      const u = createAuditLogger({ service, instance: 'api-1', destination: file, signing: false, runtime: false, now: () => new Date(mid) });
      u.webauthnAuthSuccess({ user_id: 'mallory', webauthn: { credential_id: 'AAAA', sign_count: 1, user_verified: true } });
      await u.close();
    }
    const written = lines(file);
    expect(written).toHaveLength(4);
    const r = verifyLines([...a, ...written], keys);
    const claimed = r.findings.filter((f) => f.code === 'UNSIGNED_IN_SIGNED_CHAIN');
    expect(claimed).toHaveLength(4);
    expect(claimed[0]!.message).toBe('record without integrity claims service api (written "API") (instance "api-1") while this chain of its instance api-1 was signing');
    expect(r.unsigned).toBe(0);
    // Dashes of every kind read as one, minus signs and the hyphen bullet included (found by a review).
    for (const dash of ['\u2010', '\u2011', '\u2013', '\u2014', '\u2212', '\u02d7', '\u2043', '\ufe63', '\uff0d']) expect(lookAlike(`Login${dash}API`), JSON.stringify(dash)).toBe('login-api');
    expect(lookAlike('login_api')).toBe('login_api');
  });

  it('integrity stripped from a record: UNSIGNED_IN_SIGNED_CHAIN and SEQ_GAP', async () => {
    const a = await signedChain({ events: 6 });
    const rec = parse(a[3]!);
    delete rec.integrity;
    a[3] = JSON.stringify(rec);
    expect(codes(verifyLines(a, keys))).toEqual(['SEQ_GAP', 'UNSIGNED_IN_SIGNED_CHAIN']);
  });

  it('a duplicate name inserted before the signed one (JSON.parse keeps the last, other parsers the first): SCHEMA_INVALID at that seq, the MAC still checking out', async () => {
    const ls = await signedChain({ events: 6 });
    const rec = parse(ls[3]!);
    // Also spelled with an escape: names compare decoded.
    for (const name of ['"user_id"', '"user\\u005fid"']) {
      const forged = [...ls];
      forged[3] = ls[3]!.replace('{', `{${name}:"mallory",`);
      expect(JSON.parse(forged[3]!).user_id).toBe(rec.user_id);
      const r = verifyLines(forged, keys);
      expect(codes(r)).toEqual(['SCHEMA_INVALID']);
      expect(r.findings[0]).toMatchObject({ seq: 4, chain_id: rec.integrity.chain_id, message: expect.stringMatching(/"user_id" occurs twice in one object/) });
    }
    // The same name in two different objects is fine.
    expect(codes(verifyLines(ls, keys))).toEqual([]);
  });

  it('a number respelled so JSON.parse reads the same value (4e0, 4.0, 3.99999999999999999999): SCHEMA_INVALID at that seq, the MAC still checking out (found by a probe)', async () => {
    const ls = await signedChain({ events: 6 });
    const rec = parse(ls[3]!);
    const seqText = `"seq":${rec.integrity.seq}`;
    expect(ls[3]).toContain(seqText);
    for (const spelling of ['4e0', '4.0', '3.99999999999999999999', '4.000000000000000001']) {
      const forged = [...ls];
      forged[3] = ls[3]!.replace(seqText, `"seq":${spelling}`);
      expect(JSON.parse(forged[3]!).integrity.seq).toBe(4);
      const r = verifyLines(forged, keys);
      expect(codes(r), spelling).toEqual(['SCHEMA_INVALID']);
      expect(r.findings[0]).toMatchObject({ seq: 4, chain_id: rec.integrity.chain_id, message: expect.stringContaining(`the number "${spelling}" is not written as a plain integer`) });
    }
    // Numbers inside strings are text, not literals.
    expect(codes(verifyLines(ls, keys))).toEqual([]);
    // Another app's lines in the same stream are not judged: a decimal number, a name twice (found by a review).
    const mixed = verifyLines([...ls, '{"level":30,"responseTime":1.23}', '{"a":1,"a":2}'], keys);
    expect(codes(mixed)).toEqual([]);
    expect(mixed.ignored).toBe(2);
  });

  it('a byte edited into invalid UTF-8 that decodes to the same U+FFFD: SCHEMA_INVALID at that seq, while the valid file is clean and a stray non-audit line is skipped', async () => {
    const ls = await signedChain({ events: 4 });
    const rec = parse(ls[2]!);
    rec.error.message = 'bad \uFFFD byte'; // stored as EF BF BD
    ls[2] = resign(rec);
    for (let i = 3, prev = rec.integrity.mac; i < ls.length; i++) {
      const next = parse(ls[i]!);
      next.integrity.prev = prev;
      ls[i] = resign(next);
      prev = next.integrity.mac;
    }
    const valid = Buffer.from(`${ls.join('\n')}\n{"msg":"app log \u00e9"}\n`, 'utf8');
    expect(codes(verifyChain(iterateNdjson(valid, 'f'), keys))).toEqual([]);
    // EF BF BD -> FF: other bytes, the same text after lossy decoding; the MAC still checks out.
    const at = valid.indexOf(Buffer.from('\uFFFD', 'utf8'));
    const edited = Buffer.concat([valid.subarray(0, at), Buffer.from([0xff]), valid.subarray(at + 3)]);
    const appLine = Buffer.from('{"msg":"other app \xff"}\n', 'latin1');
    const r = verifyChain(iterateNdjson(Buffer.concat([edited, appLine]), 'f'), keys);
    expect(codes(r)).toEqual(['SCHEMA_INVALID']);
    expect(r.findings[0]).toMatchObject({ seq: 3, chain_id: rec.integrity.chain_id, location: 'f:3' });
    expect(r.findings[0]!.message).toMatch(/not valid UTF-8/);
    expect(r.ignored).toBe(2);
    // ndjsonRecords, as the README's example uses it, takes the bytes too (found by a probe).
    expect(codes(verifyChain(ndjsonRecords(edited, 'f'), keys))).toEqual(['SCHEMA_INVALID']);
  });

  it('a MAC rewritten to another spelling of the same bytes (the last character\'s unused bits): MAC_INVALID', async () => {
    const ls = await signedChain({ events: 6 });
    const rec = parse(ls[3]!);
    const mac: string = rec.integrity.mac;
    // 32 bytes in 43 characters: the last one carries 4 bits and 2 unused ones.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac.at(-1)!);
    rec.integrity.mac = mac.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(rec.integrity.mac, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    ls[3] = JSON.stringify(rec);
    expect(codes(verifyLines(ls, keys))).toContain('MAC_INVALID');
  });

  it('a line replayed: SEQ_DUPLICATE', async () => {
    const ls = await signedChain({ events: 6 });
    ls.push(ls[2]!);
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['SEQ_DUPLICATE']);
    expect(r.findings[0]).toMatchObject({ seq: 3, location: 'test:9' });
  });

  it('an edited copy after the genuine line, with its MAC: SEQ_DUPLICATE does not call either one the replayed copy', async () => {
    const ls = await signedChain({ events: 6 });
    const rec = parse(ls[2]!);
    rec.user_id = 'mallory';
    ls.push(JSON.stringify(rec));
    const r = verifyLines(ls, keys);
    expect(codes(r).sort()).toEqual(['MAC_INVALID', 'SEQ_DUPLICATE']);
    const dup = r.findings.find((f) => f.code === 'SEQ_DUPLICATE')!;
    expect(dup.message).not.toMatch(/replayed/);
    expect(dup.message).toMatch(/^a second record with the MAC of seq 3 \(first at test:3\); the one whose MAC does not verify is edited$/);
    // The same line twice is a copy: replayed or resent.
    const again = await signedChain({ events: 6 });
    again.push(again[2]!);
    expect(verifyLines(again, keys).findings[0]!.message).toBe('a second copy of seq 3, the same signed record (first at test:3): replayed or resent');
  });

  it('the same line twice under a key that verifies neither: SEQ_DUPLICATE does not say one of them is edited (found by a review)', async () => {
    const ls = await signedChain({ events: 6 });
    ls.push(ls[2]!);
    const dup = verifyLines(ls, { k1: { secret: SECRET2 } }).findings.find((f) => f.code === 'SEQ_DUPLICATE')!;
    expect(dup.message).toBe('a second record with the MAC of seq 3 (first at test:3); neither MAC verifies: both are edited, or the key is not the one they were signed with');
  });

  it('a wrong key: one MAC_INVALID for the chain', async () => {
    const ls = await signedChain({ events: 6 });
    const r = verifyLines(ls, { k1: { secret: SECRET2 } });
    expect(codes(r)).toEqual(['MAC_INVALID']);
    expect(r.findings[0]!.message).toMatch(/wrong key/);
  });

  it('an unknown kid: KEY_UNKNOWN', async () => {
    const ls = await signedChain({ events: 2 });
    expect(codes(verifyLines(ls, { other: { secret: SECRET } }))).toEqual(['KEY_UNKNOWN']);
  });

  it('an epoch going backwards (re-signed with an older epoch key): EPOCH_REGRESSION', async () => {
    const ls = await signedChain({ events: 6, signing: { epochMaxEvents: 2 } });
    const last = parse(ls[ls.length - 1]!);
    expect(last.integrity.epoch).toBeGreaterThan(1);
    last.integrity.epoch = 0;
    ls[ls.length - 1] = resign(last);
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['EPOCH_REGRESSION']);
    expect(r.findings[0]!.seq).toBe(8);
  });

  it('huge forged epochs (one HKDF step per epoch to check) are refused within the key-step budget instead of derived for minutes', async () => {
    const ls = await signedChain({ events: 6 });
    // Descending, so that a cache of the highest key alone would not help.
    for (const [i, epoch] of [9_999_999, 9_000_000, 5_000_000].entries()) {
      const rec = parse(ls[2 + i]!);
      rec.integrity.epoch = epoch;
      ls[2 + i] = JSON.stringify(rec);
    }
    const r = verifyLines(ls, keys);
    const macs = r.findings.filter((f) => f.code === 'MAC_INVALID');
    expect(macs.map((f) => f.seq)).toEqual([3, 4, 5]);
    for (const f of macs) expect(f.message).toMatch(/was not checked: deriving its key would pass the verification's budget/);
    // The untouched records still verify; the forged epochs also go backwards.
    expect(codes(r)).toEqual(['EPOCH_REGRESSION', 'EPOCH_REGRESSION', 'EPOCH_REGRESSION', 'MAC_INVALID', 'MAC_INVALID', 'MAC_INVALID']);
  });

  it('an epoch beyond MAX_EPOCH, or a budget raised for a long fragment, are told apart', async () => {
    const ls = await signedChain({ events: 2 });
    const rec = parse(ls[1]!);
    rec.integrity.epoch = 10_000_001;
    ls[1] = JSON.stringify(rec);
    expect(verifyLines(ls, keys).findings.find((f) => f.code === 'MAC_INVALID')!.message).toMatch(/epoch 10000001 is out of range/);
    rec.integrity.epoch = 5_000;
    ls[1] = JSON.stringify(rec);
    const tight = verifyLines(ls, keys, { keyStepBudget: 0 });
    expect(tight.findings.find((f) => f.code === 'MAC_INVALID')!.message).toMatch(/was not checked/);
    const raised = verifyLines(ls, keys, { keyStepBudget: 10_000 });
    expect(raised.findings.find((f) => f.code === 'MAC_INVALID')!.message).toMatch(/MAC does not match/);
    expect(() => verifyLines(ls, keys, { keyStepBudget: -1 })).toThrow(/keyStepBudget/);
  });

  it('prev rewritten and re-signed: CHAIN_BREAK on both sides of the record', async () => {
    const ls = await signedChain({ events: 6 });
    const rec = parse(ls[4]!);
    rec.integrity.prev = parse(ls[2]!).integrity.mac;
    ls[4] = resign(rec);
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['CHAIN_BREAK', 'CHAIN_BREAK']);
    expect(r.findings.map((f) => f.seq)).toEqual([5, 6]);
  });

  it("prev emptied (or set at seq 1) and re-signed: the schema's SCHEMA_INVALID beside the CHAIN_BREAK, which the verifier still reports", async () => {
    // The schema ties prev to seq ('' exactly at seq 1, docs/integrity.md); the record stays in its
    // chain, so the link findings are those of any rewritten prev.
    const ls = await signedChain({ events: 6 });
    const rec = parse(ls[4]!);
    rec.integrity.prev = '';
    ls[4] = resign(rec);
    const r = verifyLines(ls, keys);
    expect(r.findings.map((f) => [f.code, f.seq])).toEqual([['SCHEMA_INVALID', 5], ['CHAIN_BREAK', 5], ['CHAIN_BREAK', 6]]);
    expect(r.findings[0]!.message).toMatch(/integrity\.prev: must be the mac of seq 4 \(43 characters\), not ''/);

    const first = await signedChain({ events: 2 });
    const open = parse(first[0]!);
    open.integrity.prev = parse(first[1]!).integrity.mac;
    first[0] = resign(open);
    const r1 = verifyLines(first, keys);
    // Re-signing changed its mac, so record 2's link breaks too.
    expect(r1.findings.map((f) => [f.code, f.seq])).toEqual([['SCHEMA_INVALID', 1], ['CHAIN_BREAK', 1], ['CHAIN_BREAK', 2]]);
    expect(r1.findings[1]!.message).toBe('record 1 must have an empty prev');
  });

  it('a line that is not an audit event: SCHEMA_INVALID; other JSON logs are skipped', async () => {
    const ls = await signedChain({ events: 2 });
    const r = verifyLines([...ls, '{"log_type":"security_audit","event_t', JSON.stringify({ level: 30, msg: 'app log' })], keys);
    expect(codes(r)).toEqual(['SCHEMA_INVALID']);
    expect(r.findings[0]).toMatchObject({ message: 'not valid JSON', location: 'test:5' });
    expect(r.ignored).toBe(1);
  });

  it('plain text lines of other programs on the same stream are skipped and counted; lines that look like damaged audit records are not', async () => {
    const ls = await signedChain({ events: 2 });
    const other = ['Server listening on :3000', '\u001b[31mERROR\u001b[0m db timeout', '42', '"a quoted string"', 'checking integrity of uploads', 'not json {'];
    const clean = verifyLines([...ls.slice(0, 2), ...other, ...ls.slice(2)], keys);
    expect(codes(clean)).toEqual([]);
    expect(clean.ok).toBe(true);
    expect(clean.ignored).toBe(other.length);
    // Each of these was (part of) an audit record: reported, never skipped.
    const damaged = [
      '  {"log_type":"security_audit"',
      '[1,2',
      `2026-12-06T07:00:00.000000000Z ${ls[1]}`,
      'event_type":"WEBAUTHN_AUTH_FAILURE","log_type":"security_audit"}',
      'x","integrity":{"v":1}}',
    ];
    const r = verifyLines([...ls, ...damaged], keys);
    expect(r.findings.map((f) => [f.code, f.message, f.location])).toEqual(damaged.map((_, i) => ['SCHEMA_INVALID', 'not valid JSON', `test:${ls.length + 1 + i}`]));
    expect(r.ignored).toBe(0);
  });

  it('a skipped line cannot hide a signed record: one replaced by plain text is a SEQ_GAP', async () => {
    const ls = await signedChain({ events: 4 });
    ls[2] = 'Server listening on :3000';
    const r = verifyLines(ls, keys);
    expect(codes(r)).toEqual(['SEQ_GAP']);
    expect(r.ignored).toBe(1);
  });

  it('records that are not log lines (a database row, a caller\'s own list) must all be JSON', async () => {
    const ls = await signedChain({ events: 1 });
    const r = verifyChain([...ls.map((event, i) => ({ event, location: `row ${i}` })), { event: 'Server listening on :3000', location: 'row x' }], keys);
    expect(codes(r)).toEqual(['SCHEMA_INVALID']);
    expect(r.findings[0]).toMatchObject({ message: 'not valid JSON', location: 'row x' });
  });

  it('a signed field edited to an invalid value: SCHEMA_INVALID and MAC_INVALID', async () => {
    const ls = await signedChain({ events: 3 });
    const rec = parse(ls[2]!);
    rec.client_ip = 'not-an-ip';
    ls[2] = JSON.stringify(rec);
    expect(codes(verifyLines(ls, keys))).toEqual(['MAC_INVALID', 'SCHEMA_INVALID']);
  });

  it('a signed record nested 20 000 levels deep (40 KB of brackets) is a finding, not a crash that leaves no verdict (found by a probe)', async () => {
    const ls = await signedChain({ events: 3 });
    ls[2] = ls[2]!.replace('{', `{"x":${'['.repeat(20_000)}${']'.repeat(20_000)},`);
    expect(codes(verifyLines(ls, keys))).toEqual(['MAC_INVALID', 'SCHEMA_INVALID']);
  });

  it('a non-integer number in signed content: SCHEMA_INVALID', async () => {
    const ls = await signedChain({ events: 3 });
    const rec = parse(ls[2]!);
    rec.webauthn.sign_count = 1.5;
    ls[2] = resign(rec);
    expect(codes(verifyLines(ls, keys))).toContain('SCHEMA_INVALID');
  });
});
