import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exampleEvents, INSERT_COLUMNS, parseAuditEvent, toRow } from '@audit-trail/schema';
import { describe, expect, it } from 'vitest';
import { createAuditLogger, generateSealingKeyPair, verifyChain, type VerifyRecord } from '../src/index.js';
import { signedChain } from './chain-fixture.js';
import { macInput } from '../src/signing/canonical.js';
import { evolveKey, hmac } from '../src/signing/kdf.js';
import { wrapRootKey, x25519PublicFromRaw } from '../src/signing/seal.js';
import { authFailure, codes, fakeClock, lines, SECRET, SECRET2, tmpDir, verifyLines } from './helpers.js';

describe('clean logs verify', () => {
  it('across several chains in one file (process restarts)', async () => {
    const file = join(tmpDir(), 'audit.ndjson');
    for (let run = 0; run < 3; run++) {
      const log = createAuditLogger({ service: 'api', destination: file, runtime: false, signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
      log.webauthnAuthFailure(authFailure());
      await log.close();
    }
    const r = verifyLines(lines(file), { k1: { secret: SECRET } });
    expect(codes(r)).toEqual([]);
    expect(r.chains).toHaveLength(3);
    expect(r.chains.every((c) => c.closed && c.records === 3)).toBe(true);
  });

  it('across key rotation: old chains keep verifying with their kid', async () => {
    const a = await signedChain({ events: 2, signing: { kid: 'k1', secret: SECRET } });
    const b = await signedChain({ events: 2, signing: { kid: 'k2', secret: SECRET2 } });
    const both = { k1: { secret: SECRET }, k2: { secret: SECRET2 } };
    const r = verifyLines([...a, ...b], both);
    expect(codes(r)).toEqual([]);
    expect(r.chains.map((c) => c.kid).sort()).toEqual(['k1', 'k2']);
    expect(codes(verifyLines([...a, ...b], { k2: { secret: SECRET2 } }))).toEqual(['KEY_UNKNOWN']);
  });

  it('across epochs by record count', async () => {
    const ls = await signedChain({ events: 25, signing: { epochMaxEvents: 4 } });
    const r = verifyLines(ls, { k1: { secret: SECRET } });
    expect(codes(r)).toEqual([]);
    expect(r.chains[0]!.last_epoch).toBe(6);
    const epochs = ls.map((l) => JSON.parse(l).integrity.epoch as number);
    expect(epochs.slice(0, 5)).toEqual([0, 0, 0, 0, 1]);
  });

  it('across epochs by time, the new epoch stated in the first record that uses it', async () => {
    const file = join(tmpDir(), 'audit.ndjson');
    const clock = fakeClock();
    const log = createAuditLogger({
      service: 'api',
      destination: file,
      runtime: false,
      now: clock.now,
      signing: { mode: 'shared', kid: 'k1', secret: SECRET, epochIntervalMs: 10_000, checkpointIntervalMs: 60_000 },
    });
    for (let i = 0; i < 5; i++) {
      clock.advance(6_000);
      log.webauthnAuthFailure(authFailure());
    }
    await log.close();
    const ls = lines(file);
    expect(ls.map((l) => JSON.parse(l).integrity.epoch)).toEqual([0, 0, 1, 1, 2, 2, 2]);
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }))).toEqual([]);
  });

  it('sealed mode verifies only with the verifier private key', async () => {
    const verifier = generateSealingKeyPair();
    const other = generateSealingKeyPair();
    const ls = await signedChain({ events: 5, signing: { mode: 'sealed', kid: 'v1', publicKey: verifier.publicKey, epochMaxEvents: 2 } as never });
    const open = JSON.parse(ls[0]!);
    expect(open.chain.mode).toBe('sealed');
    expect(open.chain.wrapped_key.alg).toBe('X25519-HKDF-SHA256-A256GCM');
    expect(JSON.stringify(open)).not.toContain(verifier.privateKey);
    const ok = verifyLines(ls, { v1: { privateKey: verifier.privateKey } });
    expect(codes(ok)).toEqual([]);
    expect(ok.chains[0]!.mode).toBe('sealed');
    const wrong = verifyLines(ls, { v1: { privateKey: other.privateKey } });
    expect(codes(wrong)).toEqual(['MAC_INVALID']);
    expect(wrong.findings[0]!.message).toMatch(/does not open/);
    // A shared secret under the sealed chain's kid: the chain says sealed, the key is shared.
    expect(codes(verifyLines(ls, { v1: { secret: SECRET } }))).toEqual(['KEY_UNKNOWN']);
    expect(codes(verifyLines(ls, {}))).toEqual(['KEY_UNKNOWN']);
  });

  it('a chain whose OPEN declares a mode other than its kid\'s key type is KEY_UNKNOWN: the sealed public key cannot pass a chain off as shared (found by a probe)', async () => {
    const verifier = generateSealingKeyPair();
    const ls = (await signedChain({ events: 5 })).map((l) => JSON.parse(l) as Record<string, any>);
    // Holding only the public key: a fresh k0, wrapped to the verifier, every record edited and signed again under kid v1.
    const chainId = ls[0]!.integrity.chain_id as string;
    const k0 = randomBytes(32);
    const epochKeys: Buffer[] = [k0];
    const keyOf = (e: number) => {
      while (epochKeys.length <= e) epochKeys.push(evolveKey(epochKeys[epochKeys.length - 1]!, chainId, epochKeys.length));
      return epochKeys[e]!;
    };
    const resign = (label: string) => {
      let prev = '';
      return ls.map((original) => {
        const r = structuredClone(original);
        if (r.integrity.seq === 1) r.chain = { ...r.chain, mode: label, wrapped_key: wrapRootKey(k0, x25519PublicFromRaw(Buffer.from(verifier.publicKey, 'base64url')), chainId) };
        if (r.integrity.seq === 3) r.user_id = 'mallory-edited';
        r.integrity = { ...r.integrity, kid: 'v1', prev };
        delete r.integrity.mac;
        r.integrity.mac = prev = hmac(keyOf(r.integrity.epoch), macInput(r));
        return JSON.stringify(r);
      });
    };
    const keyring = { k1: { secret: SECRET }, v1: { privateKey: verifier.privateKey } };
    // Labelled sealed, it is a sealed chain: what sealed mode can and cannot prove (docs/integrity.md).
    expect(codes(verifyLines(resign('sealed'), keyring))).toEqual([]);
    const forged = verifyLines(resign('shared'), keyring);
    expect(codes(forged)).toEqual(['KEY_UNKNOWN']);
    expect(forged.findings[0]!.message).toBe('the chain declares mode "shared" but key "v1" is a sealed-mode key; MACs checked with it prove nothing of a shared chain');
  });

  it('sealed mode verifies when records arrive before their AUDIT_CHAIN_OPEN (unordered database rows)', async () => {
    const verifier = generateSealingKeyPair();
    const ls = await signedChain({ events: 4, signing: { mode: 'sealed', kid: 'v1', publicKey: verifier.publicKey } as never });
    const reversed = [...ls].reverse();
    const keys = { v1: { privateKey: verifier.privateKey } };
    expect(codes(verifyLines(reversed, keys, { checkOrder: false }))).toEqual([]);
    const bad = JSON.parse(reversed[0]!);
    bad.chain.reason = 'edited';
    reversed[0] = JSON.stringify(bad);
    expect(codes(verifyLines(reversed, keys, { checkOrder: false }))).toEqual(['MAC_INVALID']);
    expect(codes(verifyLines(ls.slice(1), keys))).toEqual(['KEY_UNKNOWN', 'SEQ_GAP']);
  });

  it('sealed mode: a forged wrapped key in AUDIT_CHAIN_OPEN is a MAC_INVALID', async () => {
    const verifier = generateSealingKeyPair();
    const ls = await signedChain({ events: 2, signing: { mode: 'sealed', kid: 'v1', publicKey: verifier.publicKey } as never });
    const open = JSON.parse(ls[0]!);
    const iv = Buffer.from(open.chain.wrapped_key.iv, 'base64url');
    iv[0]! ^= 1;
    open.chain.wrapped_key.iv = iv.toString('base64url');
    ls[0] = JSON.stringify(open);
    expect(codes(verifyLines(ls, { v1: { privateKey: verifier.privateKey } }))).toEqual(['MAC_INVALID']);
  });

  it('database rows: projection columns are checked against the signed JSON (PROJECTION_MISMATCH)', async () => {
    const ls = await signedChain({ events: 3 });
    const names = INSERT_COLUMNS.map((c) => c.name);
    const rows: VerifyRecord[] = ls.map((line, i) => {
      const parsed = parseAuditEvent(line);
      if (!parsed.ok) throw new Error('fixture invalid');
      const values = toRow(parsed.event, { raw: line });
      return { event: line, location: `row ${i + 1}`, columns: Object.fromEntries(names.map((n, j) => [n, values[j]])) };
    });
    expect(codes(verifyChain(rows, { k1: { secret: SECRET } }))).toEqual([]);
    rows[2]!.columns!.user_id = 'someone-else';
    rows[3]!.columns!.event_timestamp = new Date(Date.parse(String(rows[3]!.columns!.event_timestamp)) + 1);
    const r = verifyChain(rows, { k1: { secret: SECRET } });
    expect(codes(r)).toEqual(['PROJECTION_MISMATCH']);
    expect(r.findings[0]).toMatchObject({ seq: 3, location: 'row 3' });
    rows[3]!.columns!.event_timestamp = new Date(Date.parse(String(rows[3]!.columns!.event_timestamp)) + 5000);
    expect(codes(verifyChain(rows, { k1: { secret: SECRET } }))).toEqual(['PROJECTION_MISMATCH', 'PROJECTION_MISMATCH']);
  });

  it('database rows: an event_timestamp read as text (SQLite) must be spelled as the sink writes it, or as the event_time itself (older sinks); another spelling of the same instant sorts elsewhere (found by a probe)', () => {
    const names = INSERT_COLUMNS.map((c) => c.name);
    const rowOf = (event: Record<string, unknown>, timestamp?: string): VerifyRecord => {
      const line = JSON.stringify(event);
      const parsed = parseAuditEvent(line);
      if (!parsed.ok) throw new Error('fixture invalid');
      const columns = Object.fromEntries(names.map((n, j) => [n, toRow(parsed.event, { raw: line })[j]]));
      if (timestamp !== undefined) columns.event_timestamp = timestamp;
      return { event: line, location: 'row 1', columns };
    };
    const mismatches = (r: VerifyRecord) => verifyChain([r], {}).findings.filter((f) => f.code === 'PROJECTION_MISMATCH').map((f) => f.message);
    const event = { ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_time: '2026-12-06T23:27:53.747Z' };
    expect(rowOf(event).columns!.event_timestamp).toBe('2026-12-06T23:27:53.747Z');
    expect(mismatches(rowOf(event))).toEqual([]);
    for (const respelled of ['+002026-12-06T23:27:53.747Z', '2026-12-06 23:27:53.747Z', '2026-12-06T23:27:53.7470Z', '2026-12-06T23:27:53.748Z']) {
      expect(mismatches(rowOf(event, respelled)), respelled).toEqual([expect.stringContaining('column event_timestamp')]);
    }
    // Read as a Date (PostgreSQL, SQL Server), the instant is compared.
    expect(mismatches({ ...rowOf(event), columns: { ...rowOf(event).columns, event_timestamp: new Date('2026-12-06T23:27:53.747Z') } })).toEqual([]);
    // Stored by a sink before 2026-12-05: the event's own spelling, kept.
    const whole = { ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_time: '2026-12-06T23:27:53Z' };
    expect(rowOf(whole).columns!.event_timestamp).toBe('2026-12-06T23:27:53.000Z');
    expect(mismatches(rowOf(whole, '2026-12-06T23:27:53Z'))).toEqual([]);
    expect(mismatches(rowOf(whole, '2026-12-06T23:27:53.0Z'))).toHaveLength(1);
  });

  it('database rows: client_ip holds the canonical address, or the event\'s own spelling (sinks before 2026-12-07); another address is a mismatch', () => {
    const names = INSERT_COLUMNS.map((c) => c.name);
    const line = JSON.stringify({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, client_ip: '2001:DB8:0:0:0:0:0:7' });
    const parsed = parseAuditEvent(line);
    if (!parsed.ok) throw new Error('fixture invalid');
    const columns = Object.fromEntries(names.map((n, j) => [n, toRow(parsed.event, { raw: line })[j]]));
    expect(columns.client_ip).toBe('2001:db8::7');
    const mismatches = (ip: string) => verifyChain([{ event: line, location: 'row 1', columns: { ...columns, client_ip: ip } }], {}).findings.filter((f) => f.code === 'PROJECTION_MISMATCH').length;
    expect([mismatches('2001:db8::7'), mismatches('2001:DB8:0:0:0:0:0:7'), mismatches('2001:db8::8'), mismatches('2001:DB8::7')]).toEqual([0, 0, 1, 1]);
  });

  it('database rows: a row holding JSON that is no audit record is SCHEMA_INVALID, not a skipped line (found by a probe: reports showed its forged columns)', async () => {
    const ls = await signedChain({ events: 1 });
    const rows: VerifyRecord[] = [...ls.map((event, i) => ({ event, location: `row ${i + 1}` })), { event: '{}', location: 'row x' }, { event: '{"level":30,"msg":"app log"}', location: 'row y' }];
    const r = verifyChain(rows, { k1: { secret: SECRET } });
    expect(r.findings.map((f) => [f.code, f.location])).toEqual([['SCHEMA_INVALID', 'row x'], ['SCHEMA_INVALID', 'row y']]);
    expect(r.findings[0]!.message).toMatch(/^not an audit record/);
    expect(r.ignored).toBe(0);
    // The same lines in a log stream are other programs' output, skipped and counted.
    const streamed = verifyLines([...ls, '{}', '{"level":30,"msg":"app log"}'], { k1: { secret: SECRET } });
    expect(codes(streamed)).toEqual([]);
    expect(streamed.ignored).toBe(2);
  });

  it('database rows: a column the transport may fill in (container, pod, namespace) is checked where the signed event holds it, and left alone where the transport gave it', async () => {
    const file = join(tmpDir(), 'exec.ndjson');
    const log = createAuditLogger({ service: 'detector', destination: file, runtime: false, signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
    log.containerExec({ container: { id: 'ab'.repeat(32), name: 'api-1' }, process: { command_line: 'sh' }, runtime: { k8s_namespace: 'shop', k8s_pod: 'api-7f9' } });
    log.webauthnAuthFailure(authFailure('user-1'));
    await log.close();
    const names = INSERT_COLUMNS.map((c) => c.name);
    // As the sink stores them: the second record's container and pod come from the transport (a Fluent Bit tag), unsigned.
    const meta = { container_id: 'cd'.repeat(32), container_name: 'collector', k8s_namespace: 'logging', k8s_pod: 'fluent-bit-x' };
    const rows: VerifyRecord[] = lines(file).map((line, i) => {
      const parsed = parseAuditEvent(line);
      if (!parsed.ok) throw new Error('fixture invalid');
      const values = toRow(parsed.event, { raw: line, ...meta });
      return { event: line, location: `row ${i + 1}`, columns: Object.fromEntries(names.map((n, j) => [n, values[j]])) };
    });
    expect(rows[1]!.columns).toMatchObject({ container_id: 'ab'.repeat(32), container_name: 'api-1', k8s_pod: 'api-7f9', k8s_namespace: 'shop' });
    expect(rows[2]!.columns).toMatchObject({ container_name: 'collector', k8s_pod: 'fluent-bit-x' });
    expect(codes(verifyChain(rows, { k1: { secret: SECRET } }))).toEqual([]);
    // The transport's values are not signed: editing them is not a finding.
    rows[2]!.columns!.k8s_pod = 'elsewhere';
    expect(codes(verifyChain(rows, { k1: { secret: SECRET } }))).toEqual([]);
    // The signed ones are.
    Object.assign(rows[1]!.columns!, { container_id: '00'.repeat(32), container_name: 'innocent', k8s_pod: 'other-pod', k8s_namespace: 'dev' });
    const r = verifyChain(rows, { k1: { secret: SECRET } });
    expect(codes(r)).toEqual(Array(4).fill('PROJECTION_MISMATCH'));
    expect(r.findings.map((f) => /column (\w+)/.exec(f.message)?.[1]).sort()).toEqual(['container_id', 'container_name', 'k8s_namespace', 'k8s_pod']);
    expect(r.findings.every((f) => f.seq === 2)).toBe(true);
  });
});
