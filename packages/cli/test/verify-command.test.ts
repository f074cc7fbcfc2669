import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditLogger, generateSealingKeyPair } from '@audit-trail/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'at-cli-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = Buffer.alloc(32, 0x33).toString('base64');
writeFileSync(join(dir, 'k1.b64'), `${SECRET}\n`);

const run = runCli;

async function chainFile(name: string, signing: NonNullable<Parameters<typeof createAuditLogger>[0]>['signing'], events = 3): Promise<string> {
  const file = join(dir, name);
  const log = createAuditLogger({ service: 'api', runtime: false, destination: file, signing });
  for (let i = 0; i < events; i++) log.containerStart({ container: { id: 'abcdefabcdef' } });
  await log.close();
  return file;
}

describe('audit-trail verify', () => {
  it('prints a summary per clean chain and exits 0 (key from --secret-file)', async () => {
    const file = await chainFile('clean.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET });
    const r = await run(['verify', '--secret-file', `k1=${join(dir, 'k1.b64')}`, file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OK {3}chain=[0-9a-f-]{36} service=api .* records=5 seq=1-5 .* closed$/m);
    // One of a thing is said in the singular.
    expect(r.out).toMatch(/^5 records, 1 chain \(1 clean\), 0 findings; 0 unsigned records outside chains, 0 other lines skipped$/m);
  });

  it('verifies a file a producer is appending to as it was when opened: the two reads agree, exit 0 (it failed with exit 2, "the input changed between the two reads"; found by a probe)', async () => {
    const signing = { mode: 'shared' as const, kid: 'k1', secret: SECRET };
    const file = await chainFile('live.ndjson', signing, 3000);
    // A live producer: another chain appending to the same file on every turn of the event loop while verify reads it.
    const live = createAuditLogger({ service: 'api', runtime: false, destination: file, signing });
    let running = true;
    let appended = 0;
    const append = () => {
      if (!running) return;
      live.containerStart({ container: { id: 'abcdefabcdef' } });
      appended++;
      setImmediate(append);
    };
    setImmediate(append);
    const r = await run(['verify', '--secret-file', `k1=${join(dir, 'k1.b64')}`, file]);
    running = false;
    await live.close();
    expect(appended).toBeGreaterThan(0);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // The closed chain whole, and the live one up to where the file ended when verify opened it.
    expect(r.out).toMatch(/^OK {3}chain=[0-9a-f-]{36} service=api .* records=3002 seq=1-3002 .* closed$/m);
    expect(r.out).toMatch(/^\d+ records, 2 chains \(2 clean\), 0 findings;/m);
  });

  it('never repeats a key given where a file name or key id belongs (found by a probe)', async () => {
    const file = await chainFile('leak.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET });
    // 33 random bytes: base64 without padding, so `KEY=FILE` splits at the = the user typed; '+' and '/' make it no key id.
    const key = `+/${randomBytes(33).toString('base64').slice(2)}`;
    for (const args of [['--secret-file', `k1=${key}`], ['--secret-file', `${key}=${join(dir, 'k1.b64')}`]]) {
      const r = await run(['verify', ...args, file]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).not.toContain(key);
      expect(r.err).not.toContain(key.slice(0, 20));
      expect(r.err).toMatch(/looks like a base64 key/);
    }
    // A name that is not key-like is still shown, to find the mistake.
    const missing = await run(['verify', '--secret-file', `k1=${join(dir, 'no-such.b64')}`, file]);
    expect(missing.err).toContain('no-such.b64');
  });

  it('never repeats a key given in place of KID=FILE, nor a PEM key, a wrapped base64 secret or a keyring\'s JSON given as a file name (found by a probe)', async () => {
    const file = await chainFile('leak2.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET });
    const padded = randomBytes(32).toString('base64'); // `openssl rand -base64 32`: ends in =, where KID=FILE was looked for
    const wrapped = randomBytes(64).toString('base64').replace(/(.{64})/, '$1\n'); // `openssl rand -base64 64`: 64 columns
    const pem = (await import('node:crypto')).generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const body = pem.split('\n')[1]!;
    const ring = JSON.stringify({ keys: [{ kid: 'k1', secret: padded }] });
    const cases: [string[], string][] = [
      [['--secret-file', padded], padded],
      [['--secret-file', wrapped.replace('\n', '')], wrapped.replace('\n', '')],
      [['--private-key-file', pem], body],
      [['--secret-file', `k1=${wrapped}`], wrapped.split('\n')[0]!],
      [['--private-key-file', `v1=${pem}`], body],
      [['--keyring', ring], padded],
    ];
    for (const [args, secret] of cases) {
      const r = await run(['verify', ...args, file]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).not.toContain(secret.slice(0, 20));
    }
    expect((await run(['verify', '--secret-file', padded, file])).err).toMatch(/got a value of 44 characters \(not shown: it looks like a key, not KID=FILE\)/);
    expect((await run(['verify', '--private-key-file', `v1=${pem}`, file])).err).toMatch(/looks like a base64 key, not shown/);
    // Names and specs that hold no key are still shown, to find the mistake.
    expect((await run(['verify', '--secret-file', 'k1.b64', file])).err).toContain('"k1.b64"');
    expect((await run(['verify', '--secret-file', `k1=${join(dir, 'My Keys', 'k1.b64')}`, file])).err).toContain('My Keys');
  });

  it('refuses a key file, keyring or private key file that is not a regular file (/dev/zero, read whole it grew to gigabytes) or is over 1 MiB: exit 2 naming the file and the limit; a normal key file still works', async () => {
    const file = await chainFile('bounded.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET });
    const big = join(dir, 'big.b64');
    writeFileSync(big, `${SECRET}\n${' '.repeat(1024 * 1024)}`);
    const bigRing = join(dir, 'big-ring.json');
    writeFileSync(bigRing, JSON.stringify({ keys: [{ kid: 'k1', secret_file: join(dir, 'k1.b64') }], pad: ' '.repeat(1024 * 1024) }));
    const refused: [string[], string][] = [
      [['--secret-file', 'k1=/dev/zero'], 'key file /dev/zero is a character device, not a regular file: refusing to read it'],
      [['--keyring', '/dev/zero'], 'key file /dev/zero is a character device, not a regular file: refusing to read it'],
      [['--private-key-file', 'v1=/dev/zero'], 'key file /dev/zero is a character device, not a regular file: refusing to read it'],
      [['--secret-file', `k1=${big}`], `key file ${big} is larger than the limit of 1048576 bytes (1 MiB): refusing to read it`],
      [['--keyring', bigRing], `key file ${bigRing} is larger than the limit of 1048576 bytes (1 MiB): refusing to read it`],
    ];
    for (const [flags, message] of refused) {
      expect(await run(['verify', ...flags, file]), flags.join(' ')).toEqual({ code: 2, out: '', err: `audit-trail verify: ${message}\nRun "audit-trail verify --help" for usage.\n` });
    }
    expect(await run(['verify', '--secret-file', `k1=${join(dir, 'k1.b64')}`, file])).toMatchObject({ code: 0, err: '' });
  });

  it('exits 1 when the input holds no signed chain: an empty file, or unsigned records only', async () => {
    const empty = join(dir, 'empty.ndjson');
    writeFileSync(empty, '');
    const unsigned = await chainFile('unsigned.ndjson', false, 2);
    const one = await chainFile('one-unsigned.ndjson', false, 1);
    for (const [file, counts] of [[empty, '0 records, 0 unsigned'], [unsigned, '2 records, 2 unsigned'], [one, '1 record, 1 unsigned']] as const) {
      const r = await run(['verify', '--secret-file', `k1=${join(dir, 'k1.b64')}`, file]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`audit-trail verify: no signed chain in the input (${counts}, 0 other lines): nothing was verified\n`);
    }
  });

  it('takes the keys of its flags only: the environment\'s keyring is not added to a --keyring (found by a probe)', async () => {
    const pair = generateSealingKeyPair();
    const sealed = await chainFile('sealed-env.ndjson', { mode: 'sealed', kid: 'verifier-env', publicKey: pair.publicKey });
    writeFileSync(join(dir, 'v.pem'), pair.privateKey);
    writeFileSync(join(dir, 'sealed-ring.json'), JSON.stringify({ keys: [{ kid: 'verifier-env', private_key_file: join(dir, 'v.pem') }] }));
    writeFileSync(join(dir, 'shared-ring.json'), JSON.stringify({ keys: [{ kid: 'k1', secret_file: join(dir, 'k1.b64') }] }));
    const env = { AUDIT_TRAIL_KEYRING_FILE: join(dir, 'sealed-ring.json') };
    // Without a key flag the environment's keyring verifies the sealed chain...
    expect(await run(['verify', sealed], { env })).toMatchObject({ code: 0 });
    // ...and with --keyring it is not consulted: the sealed chain's key is unknown.
    for (const flags of [['--keyring', join(dir, 'shared-ring.json')], ['--secret-file', `k1=${join(dir, 'k1.b64')}`]]) {
      const r = await run(['verify', ...flags, sealed], { env });
      expect(r.code, flags[0]).toBe(1);
      expect(r.out, flags[0]).toContain('KEY_UNKNOWN');
    }
  });

  it('reports each finding with code, chain and seq, and exits 1', async () => {
    const file = await chainFile('tampered.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET });
    const ls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const rec = JSON.parse(ls[2]!);
    rec.container.id = '000000000000';
    ls[2] = JSON.stringify(rec);
    ls.splice(1, 1);
    writeFileSync(file, `${ls.join('\n')}\n`);
    const r = await run(['verify', file], { env: { AUDIT_TRAIL_KID: 'k1', AUDIT_TRAIL_SECRET_FILE: join(dir, 'k1.b64') } });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`MAC_INVALID chain=${rec.integrity.chain_id} seq=3 at ${file}:2`);
    expect(r.out).toContain(`SEQ_GAP chain=${rec.integrity.chain_id} seq=2`);
    expect(r.out).toMatch(/^FAIL chain=/m);
  });

  it('--json escapes bidi, C1 and zero-width characters of stored values (a forged service name), as report --format json does; the JSON still parses to them', async () => {
    const file = await chainFile('forged-service.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET });
    const hostile = 'api\u202egpj.exe\u009b2J\u200bx';
    const ls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    ls[0] = JSON.stringify({ ...JSON.parse(ls[0]!), producer: { ...JSON.parse(ls[0]!).producer, service: hostile } });
    writeFileSync(file, `${ls.join('\n')}\n`);
    const r = await run(['verify', '--json', '--secret-file', `k1=${join(dir, 'k1.b64')}`, file]);
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/[\u202e\u009b\u200b]/);
    expect(r.out).toContain('api\\u202egpj.exe\\u009b2J\\u200bx');
    // Parsed, the values are as stored.
    expect(JSON.stringify(JSON.parse(r.out))).toContain(hostile);
  });

  it('reads a file twice and reports what one read of the same lines (stdin) reports: interleaved chains, a replayed line, two lines swapped', async () => {
    const [a, b] = [await chainFile('two-a.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET }, 6), await chainFile('two-b.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET }, 6)];
    const la = readFileSync(a, 'utf8').split('\n').filter(Boolean);
    const lb = readFileSync(b, 'utf8').split('\n').filter(Boolean);
    const mixed = la.flatMap((l, i) => [l, lb[i]!]);
    const clean = join(dir, 'two-clean.ndjson');
    writeFileSync(clean, `${mixed.join('\n')}\n`);
    mixed.splice(9, 0, mixed[2]!);
    [mixed[5], mixed[7]] = [mixed[7]!, mixed[5]!];
    const edited = join(dir, 'two-edited.ndjson');
    writeFileSync(edited, `${mixed.join('\n')}\n`);
    const keyArgs = ['--secret-file', `k1=${join(dir, 'k1.b64')}`];
    for (const [file, code] of [[clean, 0], [edited, 1]] as const) {
      const fromFile = await run(['verify', '--json', ...keyArgs, file]);
      const fromStdin = await run(['verify', '--json', ...keyArgs, '-'], { stdin: readFileSync(file, 'utf8') });
      expect(fromFile.code).toBe(code);
      expect(fromFile.out.replaceAll(JSON.stringify(file).slice(1, -1), 'stdin')).toBe(fromStdin.out);
    }
    const codes = JSON.parse((await run(['verify', '--json', ...keyArgs, edited])).out).findings.map((f: { code: string }) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['SEQ_DUPLICATE', 'REORDERED']));
    // A pipe (<(cat file)) cannot be read twice: read once, the same report (it was ESPIPE, exit 2).
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    const script = 'exec "$0" --conditions=@audit-trail/source --import tsx "$1" verify --json --secret-file "$2" <(cat "$3")';
    const child = spawn('bash', ['-c', script, process.execPath, bin, `k1=${join(dir, 'k1.b64')}`, edited], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    const pipeName = (JSON.parse(out) as { findings: { location?: string }[] }).findings.find((f) => f.location)!.location!.replace(/:\d+$/, '');
    expect(out.replaceAll(pipeName, edited)).toBe((await run(['verify', '--json', ...keyArgs, edited])).out);
  });

  it('--key-steps bounds the epoch key derivations: a forged epoch is reported at once, a raised budget derives it', async () => {
    const file = await chainFile('far-epoch.ndjson', { mode: 'shared', kid: 'k1', secret: SECRET });
    const ls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const rec = JSON.parse(ls[1]!);
    rec.integrity.epoch = 2_000;
    ls[1] = JSON.stringify(rec);
    writeFileSync(file, `${ls.join('\n')}\n`);
    const key = `k1=${join(dir, 'k1.b64')}`;
    const tight = await run(['verify', '--secret-file', key, '--key-steps', '0', file]);
    expect(tight.code).toBe(1);
    expect(tight.out).toMatch(/MAC_INVALID chain=\S+ seq=2 .*epoch 2000 was not checked/);
    const raised = await run(['verify', '--secret-file', key, '--key-steps', '5000', file]);
    expect(raised.out).toMatch(/MAC_INVALID chain=\S+ seq=2 .*MAC does not match/);
    const bad = await run(['verify', '--secret-file', key, '--key-steps', '-3', file]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--key-steps');
  });

  it('a line whose bytes are not valid UTF-8 is SCHEMA_INVALID, though its lossy decoding still matches the MAC', async () => {
    const file = join(dir, 'utf8.ndjson');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: file, signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
    log.webauthnAuthFailure({ user_id: 'u1', error: { code: 'E', message: 'odd \uFFFD char' }, webauthn: { failure_stage: 'signature' } });
    await log.close();
    const key = `k1=${join(dir, 'k1.b64')}`;
    expect((await run(['verify', '--secret-file', key, file])).code).toBe(0);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from('\uFFFD', 'utf8'));
    writeFileSync(file, Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]));
    const r = await run(['verify', '--secret-file', key, file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^SCHEMA_INVALID chain=\\S+ seq=2 at ${file}:2: the line is not valid UTF-8`, 'm'));
    expect(r.out).not.toContain('MAC_INVALID');
    expect(r.out).toMatch(/ 1 chain \(0 clean\), 1 finding; /);
  });

  it('--json prints the report; "-" reads stdin; sealed keys from a keyring file', async () => {
    const kp = generateSealingKeyPair();
    writeFileSync(join(dir, 'v1.key'), kp.privateKey);
    writeFileSync(join(dir, 'keyring.json'), JSON.stringify({ keys: [{ kid: 'v1', private_key_file: 'v1.key' }] }));
    const file = await chainFile('sealed.ndjson', { mode: 'sealed', kid: 'v1', publicKey: kp.publicKey });
    const r = await run(['verify', '--json', '--keyring', join(dir, 'keyring.json'), '-'], { stdin: readFileSync(file, 'utf8') });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.ok).toBe(true);
    expect(report.chains[0]).toMatchObject({ mode: 'sealed', kid: 'v1', records: 5, closed: true });
    const none = await run(['verify', '--json', '-'], { stdin: readFileSync(file, 'utf8') });
    expect(none.code).toBe(1);
    expect(JSON.parse(none.out).findings[0].code).toBe('KEY_UNKNOWN');
  });

  it('escapes control characters from the input in its output', async () => {
    const line = JSON.stringify({ log_type: 'security_audit', event_id: '\u001b[2Jevil', integrity: { chain_id: '\u001b]0;x\u0007', seq: 1 } });
    const r = await run(['verify', '-'], { stdin: line });
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(r.out).toContain('SCHEMA_INVALID');
  });

  it('usage errors exit 2 with a hint; --help explains keys and exit codes', async () => {
    expect((await run(['verify'])).code).toBe(2);
    const bad = await run(['verify', '--secret-file', 'nokid', 'x.ndjson']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('KID=FILE');
    const missing = await run(['verify', join(dir, 'does-not-exist.ndjson')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('ENOENT');
    const shortKey = join(dir, 'short.b64');
    writeFileSync(shortKey, 'c2hvcnQ=');
    const short = await run(['verify', '--secret-file', `k1=${shortKey}`, join(dir, 'clean.ndjson')]);
    expect(short.code).toBe(2);
    expect(short.err).not.toContain('c2hvcnQ');
    const help = await run(['verify', '--help']);
    expect(help.code).toBe(0);
    for (const word of ['--secret-file', '--private-key-file', '--keyring', '--json', 'TAIL_TRUNCATED', 'Exit status']) expect(help.out).toContain(word);
    expect((await run(['--help'])).out).toMatch(/verify +Verify signed chains/);
  });

  it('--db on a database that does not exist fails loudly instead of reporting clean chains, with exit 2 (nothing judged), not 1 (a finding)', async () => {
    const r = await run(['verify', '--db', 'sqlite:./nothing.db']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot open SQLite database .*nothing\.db/);
    expect(r.out).not.toMatch(/OK|clean/);
  });
});
