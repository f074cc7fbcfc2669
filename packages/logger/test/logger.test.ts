import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LOG_TYPE, parseAuditEvent, SCHEMA_VERSION } from '@audit-trail/schema';
import { describe, expect, it, vi } from 'vitest';
import { AuditClosedError, AuditConfigError, AuditValidationError, createAuditLogger } from '../src/index.js';
import { authFailure, codes, lines, SECRET, tmpDir, verifyLines } from './helpers.js';

const base = { service: 'api', runtime: false as const };

function fileLogger(extra: Parameters<typeof createAuditLogger>[0] = {}) {
  const file = join(tmpDir(), 'audit.ndjson');
  return { file, log: createAuditLogger({ ...base, destination: file, ...extra }) };
}

describe('createAuditLogger: writing events', () => {
  it('writes exactly the validated event as one line, synchronously, with the envelope filled in', () => {
    const { file, log } = fileLogger({ version: '1.2.3', instance: 'api-7' });
    const ev = log.webauthnAuthFailure(authFailure());
    const ls = lines(file); // read before any flush: sync by default
    expect(ls).toHaveLength(1);
    const obj = JSON.parse(ls[0]!);
    expect(obj).toEqual(ev);
    expect(obj).toMatchObject({ log_type: LOG_TYPE, schema_version: SCHEMA_VERSION, event_type: 'WEBAUTHN_AUTH_FAILURE', outcome: 'failure', severity: 3 });
    expect(obj.producer).toEqual({ service: 'api', version: '1.2.3', sdk_version: '0.1.0', instance: 'api-7' });
    expect(obj.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    for (const k of ['level', 'time', 'pid', 'hostname', 'msg']) expect(obj).not.toHaveProperty(k);
    expect(parseAuditEvent(ls[0]!).ok).toBe(true);
  });

  it('writes client_ip and peer_ip as one text per address (IPv4-mapped as IPv4, IPv6 as RFC 5952), on both validation paths and before signing (found by a probe: bursts counted two spellings as two IPs)', async () => {
    const { file, log } = fileLogger({ signing: { mode: 'shared', kid: 'k1', secret: SECRET } });
    // The fast path (no envelope key in the draft), and the general one (a runtime given).
    log.webauthnAuthFailure({ ...authFailure(), client_ip: '::ffff:203.0.113.7', peer_ip: '2001:DB8:0:0:0:0:0:6' });
    log.webauthnAuthFailure({ ...authFailure(), client_ip: '::FFFF:C000:0204', runtime: { host: 'h' } });
    log.webauthnAuthFailure({ ...authFailure(), client_ip: '2001:db8::6' });
    await log.close();
    const events = lines(file).map((l) => JSON.parse(l)).filter((e) => e.event_type === 'WEBAUTHN_AUTH_FAILURE');
    expect(events.map((e) => [e.client_ip, e.peer_ip])).toEqual([
      ['203.0.113.7', '2001:db8::6'],
      ['192.0.2.4', undefined],
      ['2001:db8::6', undefined],
    ]);
    expect(codes(verifyLines(lines(file), { k1: { secret: SECRET } }))).toEqual([]);
    // What is not an address (a zone id) is left for validation to refuse.
    const bad = fileLogger({ onInvalid: 'throw' });
    expect(() => bad.log.webauthnAuthFailure({ ...authFailure(), client_ip: 'fe80::1%eth0' })).toThrow(AuditValidationError);
  });

  it('has a typed helper per event type and a generic emit', () => {
    const { file, log } = fileLogger();
    log.webauthnRegSuccess({ user_id: 'u', webauthn: { credential_id: 'AAAA' } });
    log.webauthnRegFailure({ error: { code: 'X', message: 'm' }, webauthn: { failure_stage: 'attestation' } });
    log.webauthnAuthSuccess({ user_id: 'u', webauthn: { credential_id: 'AAAA', sign_count: 3, user_verified: true } });
    log.webauthnAuthFailure(authFailure());
    log.webauthnCounterRegression({ user_id: 'u', webauthn: { credential_id: 'AAAA', sign_count: 3, stored_sign_count: 9, signature_valid: true } });
    log.containerExec({ container: { id: 'abcdefabcdef' }, process: { command_line: 'sh' } });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    log.containerStop({ container: { id: 'abcdefabcdef' } });
    log.containerPrivileged({ container: { id: 'abcdefabcdef', privileged: true } });
    log.emit({ event_type: 'CONTAINER_START', container: { id: '0123456789ab' } });
    const types = lines(file).map((l) => JSON.parse(l).event_type);
    expect(types).toEqual([
      'WEBAUTHN_REG_SUCCESS', 'WEBAUTHN_REG_FAILURE', 'WEBAUTHN_AUTH_SUCCESS', 'WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_COUNTER_REGRESSION',
      'CONTAINER_EXEC', 'CONTAINER_START', 'CONTAINER_STOP', 'CONTAINER_PRIVILEGED', 'CONTAINER_START',
    ]);
  });

  it('writes to any stream you pass (a Writable here)', async () => {
    const chunks: string[] = [];
    const sink = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
    const log = createAuditLogger({ ...base, destination: sink });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    await log.flush();
    expect(chunks.join('').split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('child loggers and context', () => {
  it('binds validated fields; the draft wins; nested objects merge', () => {
    const { file, log } = fileLogger({ runtime: { swarm_node: 'n1' } });
    const child = log.child({ correlation: { request_id: 'r1', session_id: 's1' }, user_id: 'u1', client_ip: '198.51.100.2' });
    const grandchild = child.child({ correlation: { request_id: 'r2' } });
    grandchild.webauthnAuthFailure({ ...authFailure('u9'), runtime: { k8s_pod: 'p' } } as never);
    const obj = JSON.parse(lines(file)[0]!);
    expect(obj.correlation).toEqual({ request_id: 'r2', session_id: 's1' });
    expect(obj.user_id).toBe('u9');
    expect(obj.client_ip).toBe('203.0.113.7');
    expect(obj.runtime).toEqual({ swarm_node: 'n1', k8s_pod: 'p' });
  });

  it('lets the drafts of a child leave out the fields it binds, in TypeScript as at run time (the README example); an unbound field stays required', () => {
    const { file, log } = fileLogger();
    const req = log.child({ correlation: { request_id: 'req-8f3a' }, client_ip: '198.51.100.2', user_id: 'u-1842' });
    // Compiles without user_id or client_ip: the child binds them.
    const success = req.webauthnAuthSuccess({ webauthn: { credential_id: 'AAECAwQF', sign_count: 7, user_verified: true } });
    expect(success).toMatchObject({ event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: 'u-1842', client_ip: '198.51.100.2', correlation: { request_id: 'req-8f3a' } });
    const viaEmit = req.child({ user_agent: 'ua' }).emit({ event_type: 'WEBAUTHN_AUTH_SUCCESS', webauthn: { credential_id: 'AAECAwQF', sign_count: 8, user_verified: true } });
    expect(viaEmit).toMatchObject({ user_id: 'u-1842', user_agent: 'ua' });
    // @ts-expect-error user_id is required of a logger that does not bind it...
    const unbound = log.webauthnAuthSuccess({ webauthn: { credential_id: 'AAECAwQF', sign_count: 9, user_verified: true } });
    // ...and at run time the draft is a schema violation, kept as such.
    expect(unbound.event_type).toBe('AUDIT_SCHEMA_VIOLATION');
    // Bindings that may be undefined bind nothing, so they leave user_id required.
    const maybe: { user_id?: string } = { user_id: 'u-2' };
    // @ts-expect-error user_id may be unbound
    log.child(maybe).webauthnAuthSuccess({ webauthn: { credential_id: 'AAECAwQF', sign_count: 10, user_verified: true } });
    expect(lines(file).map((l) => JSON.parse(l).event_type)).toEqual(['WEBAUTHN_AUTH_SUCCESS', 'WEBAUTHN_AUTH_SUCCESS', 'AUDIT_SCHEMA_VIOLATION', 'WEBAUTHN_AUTH_SUCCESS']);
  });

  it('keeps a bound value when the draft gives the field as undefined ("not given"), nested correlation and runtime too', () => {
    const { file, log } = fileLogger({ runtime: { swarm_node: 'n1' } });
    const req = log.child({ correlation: { request_id: 'r1' }, client_ip: '198.51.100.2', user_id: 'u1' });
    const none = undefined as string | undefined;
    const failure = req.webauthnAuthFailure({ ...authFailure(), client_ip: none, correlation: { request_id: none, session_id: 's1' }, runtime: { swarm_node: none } } as never);
    expect(failure).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', client_ip: '198.51.100.2', correlation: { request_id: 'r1', session_id: 's1' }, runtime: { swarm_node: 'n1' } });
    // A required field bound by the child: a valid event, not a violation record for a missing user_id.
    const success = req.webauthnAuthSuccess({ user_id: none, webauthn: { credential_id: 'AAECAwQF', sign_count: 7, user_verified: true } });
    expect(success).toMatchObject({ event_type: 'WEBAUTHN_AUTH_SUCCESS', user_id: 'u1' });
    expect(lines(file).map((l) => JSON.parse(l))).toEqual([failure, success]);
  });

  it('keeps a parent\'s binding when a child binds the field, or a nested one, as undefined', () => {
    const { file, log } = fileLogger({ runtime: { swarm_node: 'n1' } });
    const req = log.child({ correlation: { request_id: 'r1' }, user_id: 'u1', runtime: { k8s_pod: 'web-0' } });
    const none = undefined as string | undefined;
    const inner = req.child({ user_id: none, correlation: { request_id: none, session_id: 's1' }, runtime: { k8s_pod: none, k8s_container: 'api' } });
    const { user_id: _drafted, ...draft } = authFailure();
    const ev = inner.webauthnAuthFailure(draft);
    expect(ev).toMatchObject({ user_id: 'u1', correlation: { request_id: 'r1', session_id: 's1' }, runtime: { swarm_node: 'n1', k8s_pod: 'web-0', k8s_container: 'api' } });
    expect(JSON.parse(lines(file)[0]!)).toEqual(ev);
  });

  it('flags a bound user_agent over 1024 characters as truncated, as it does a draft\'s', () => {
    const { file, log } = fileLogger();
    const ua = `Mozilla/5.0 ${'x'.repeat(2000)}`;
    const ev = log.child({ user_agent: ua }).webauthnAuthFailure(authFailure());
    expect(ev.user_agent).toBe(ua.slice(0, 1024));
    expect(ev.user_agent_truncated).toBe(true);
    expect(JSON.parse(lines(file)[0]!)).toEqual(ev);
    // The same value given in the draft: the same event fields.
    expect(log.webauthnAuthFailure({ ...authFailure(), user_agent: ua })).toMatchObject({ user_agent: ev.user_agent, user_agent_truncated: true });
  });

  it('refuses invalid or unknown bindings with AuditValidationError', () => {
    const { log } = fileLogger();
    expect(() => log.child({ client_ip: 'nope' })).toThrowError(AuditValidationError);
    try {
      log.child({ level: 10 } as never);
      expect.unreachable();
    } catch (err) {
      expect((err as AuditValidationError).code).toBe('AUDIT_VALIDATION');
      expect((err as AuditValidationError).issues[0]!.path).toBe('level');
    }
  });

  it('takes runtime fields from the environment (Swarm templates, K8s downward API, Docker hostname)', () => {
    const file = join(tmpDir(), 'a.ndjson');
    const env = { SWARM_NODE: 'node-1', SWARM_SERVICE: 'web', SWARM_TASK_ID: 'tsk1', POD_NAMESPACE: 'prod', K8S_POD_NAME: 'web-0', HOSTNAME: '0123456789ab', AUDIT_TRAIL_SERVICE: 'svc-env' };
    const log = createAuditLogger({ env, destination: file, runtime: { k8s_node: 'kn' } });
    const ev = log.containerStart({ container: { id: 'abcdefabcdef' } });
    expect(ev.runtime).toEqual({ container_id: '0123456789ab', swarm_node: 'node-1', swarm_service: 'web', swarm_task_id: 'tsk1', k8s_namespace: 'prod', k8s_pod: 'web-0', k8s_node: 'kn' });
    expect(ev.producer).toMatchObject({ service: 'svc-env', instance: '0123456789ab' });
  });

  it('keeps a runtime field of the environment that the runtime option gives as undefined', () => {
    const env = { AUDIT_TRAIL_HOST: 'node-a', K8S_POD_NAME: 'web-0', AUDIT_TRAIL_SERVICE: 'svc' };
    const log = createAuditLogger({ env, destination: join(tmpDir(), 'a.ndjson'), runtime: { host: undefined, k8s_container: 'api' } });
    expect(log.containerStart({ container: { id: 'abcdefabcdef' } }).runtime).toEqual({ host: 'node-a', k8s_pod: 'web-0', k8s_container: 'api' });
  });

  it('rejects unusable configuration with AuditConfigError', () => {
    expect(() => createAuditLogger({ env: {}, destination: join(tmpDir(), 'x') })).toThrowError(AuditConfigError);
    expect(() => createAuditLogger({ ...base, env: { SWARM_NODE: 'bad\nnode' }, runtime: undefined, destination: join(tmpDir(), 'x') })).toThrowError(/runtime/);
    expect(() => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), signing: { mode: 'shared', kid: 'k1', secret: 'c2hvcnQ=' } })).toThrowError(/at least 32 are required/);
    expect(() => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), signing: { mode: 'shared', kid: 'bad kid', secret: SECRET } })).toThrowError(AuditConfigError);
    expect(() => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), env: { AUDIT_TRAIL_SIGNING: 'shared' } })).toThrowError(/AUDIT_TRAIL_KID/);
    // A misspelt mode is named before the key id it needs.
    expect(() => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), env: { AUDIT_TRAIL_SIGNING: 'hmac' } })).toThrowError(/^AUDIT_TRAIL_SIGNING must be shared, sealed or off, got "hmac"$/);
  });

  it('refuses a key id that is the shared secret (written in every record), in any of its spellings, without repeating it; a verifier\'s keyring still takes such a key', () => {
    const bytes = Buffer.alloc(32, 0x5a);
    const b64url = bytes.toString('base64url');
    const make = (signing: unknown, env?: Record<string, string>) => () => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), signing: signing as never, ...(env ? { env } : {}) });
    for (const [kid, secret] of [[b64url, b64url], [b64url, bytes.toString('base64')], [b64url, bytes]] as const) {
      const err = (() => {
        try {
          make({ mode: 'shared', kid, secret })();
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err, String(secret)).toBeInstanceOf(AuditConfigError);
      expect(err!.message).toMatch(/^the key id is the shared secret itself/);
      expect(err!.message).not.toContain(b64url.slice(0, 12));
    }
    expect(make(undefined, { AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: b64url, AUDIT_TRAIL_SECRET: bytes.toString('base64') })).toThrowError(/^the key id is the shared secret itself/);
    // A secret too short under a key id that may be a key: the key id is not repeated either.
    expect(make({ mode: 'shared', kid: b64url, secret: 'c2hvcnQ=' })).toThrowError(new RegExp(`^secret of key with a 43-character id has 5 bytes`));
    // A 43-character key id that is another key's name (a JWK thumbprint) is fine.
    expect(make({ mode: 'shared', kid: Buffer.alloc(32, 1).toString('base64url'), secret: b64url })).not.toThrow();
    // Verifying is not refused: a keyring naming such a key still loads, so logs signed before this check can be checked.
    const report = verifyLines([], { [b64url]: { secret: b64url } });
    expect(report.findings).toEqual([]);
  });

  it('names a signing option missing or of the wrong type (options from JavaScript or JSON) with AuditConfigError, not a TypeError', () => {
    const make = (signing: unknown) => () => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), signing: signing as never });
    expect(make({ mode: 'sealed', kid: 'k1' })).toThrowError(/^sealing public key is missing: expected PEM or base64 text, or a KeyObject$/);
    expect(make({ mode: 'shared', kid: 'k1' })).toThrowError(/^secret of key "k1" is missing: expected base64 text or a Buffer$/);
    expect(make({ mode: 'shared', kid: 'k1', secret: 42 })).toThrowError(/secret of key "k1" is a number/);
    expect(make({ mode: 'shared', secret: SECRET })).toThrowError(/^key id \(kid\) is missing: expected a string$/);
    expect(make({ mode: 'sealed', kid: null, publicKey: 'x' })).toThrowError(AuditConfigError);
    expect(() => verifyLines([], { k1: { privateKey: undefined as never } })).toThrowError(/is missing/);
  });

  it('refuses a clock that returns an Invalid Date with AuditConfigError, at creation and, when it goes bad later, at emit, and writes nothing', () => {
    const bad = () => new Date(Number.NaN);
    const signing = { mode: 'shared' as const, kid: 'k1', secret: SECRET };
    expect(() => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), now: bad, signing })).toThrowError(/options.now returned an Invalid Date/);
    expect(() => createAuditLogger({ ...base, destination: join(tmpDir(), 'x'), now: bad })).toThrowError(/^options.now returned an Invalid Date; it must return a valid Date$/);
    let good = true;
    const { file, log } = fileLogger({ now: () => (good ? new Date() : bad()) });
    good = false;
    expect(() => log.webauthnAuthFailure(authFailure())).toThrowError(AuditConfigError);
    expect(() => log.emit({ event_type: 'WEBAUTHN_AUTH_FAILURE', ...authFailure() })).toThrowError(/^options.now returned an Invalid Date; it must return a valid Date$/);
    expect(lines(file)).toEqual([]);
  });
});

describe('invalid input never disappears', () => {
  const hostile = {
    event_type: 'WEBAUTHN_AUTH_FAILURE',
    user_id: 'u1',
    client_ip: 'not-an-ip',
    error: { code: 'X', message: 'm' },
    webauthn: { failure_stage: 'signature' },
    attestationObject: 'o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YV',
    response: { clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0', signature: 'MEUCIQ', publicKey: 'pQECAyYgASFYIA', userHandle: 'dTE' },
    headers: { Authorization: 'Bearer s3cr3t-token', cookie: 'sid=abcdef', 'x-trace': 'keep' },
    custom: { ssn: '123-45-6789' },
  };

  it('writes AUDIT_SCHEMA_VIOLATION with the issues and the redacted original (default)', () => {
    const { file, log } = fileLogger({ redact: ['custom.ssn'] });
    const ev = log.emit(hostile as never);
    expect(ev.event_type).toBe('AUDIT_SCHEMA_VIOLATION');
    const line = lines(file)[0]!;
    const obj = JSON.parse(line);
    expect(obj.violation.attempted_event_type).toBe('WEBAUTHN_AUTH_FAILURE');
    expect(obj.violation.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['client_ip', 'attestationObject']));
    for (const secret of ['o2NmbXRk', 'eyJ0eXBl', 'MEUCIQ', 'pQECAyYg', 's3cr3t', 'sid=abcdef', '123-45-6789']) expect(line).not.toContain(secret);
    const original = JSON.parse(obj.violation.original);
    expect(original.headers).toEqual({ Authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-trace': 'keep' });
    expect(original.custom.ssn).toBe('[REDACTED]');
    expect(original.user_id).toBe('u1');
  });

  it('censors common secret-bearing keys in the original (tokens, client secrets, API keys, private keys, one-time codes, session cookies), whatever their case or separators, and keeps the schema\'s own fields', () => {
    const { file, log } = fileLogger();
    const secrets = {
      access_token: 'v-access', refreshToken: 'v-refresh', id_token: 'v-id', token: 'v-token', client_secret: 'v-client',
      API_KEY: 'v-apikey1', apikey: 'v-apikey2', privateKey: 'v-private', private_key: 'v-private2', otp: '123456', passcode: 'v-pass',
      session: 'v-session', credentials: { user: 'bob', pass: 'v-creds' }, aws_secret_access_key: 'v-aws', new_password: 'v-newpw',
      headers: { 'x-auth-token': 'v-xauth', 'X-Api-Key': 'v-xapi', 'Set-Cookie': 'v-setcookie', 'x-trace': 'keep' },
    };
    const ev = log.emit({
      event_type: 'WEBAUTHN_AUTH_SUCCESS',
      user_id: 'u1',
      client_ip: 'not-an-ip',
      correlation: { session_id: 'sess-42', request_id: 'r1' },
      webauthn: { credential_id: 'AAECAwQF', sign_count: 1, user_verified: true, signature_valid: true },
      ...secrets,
    } as never);
    expect(ev.event_type).toBe('AUDIT_SCHEMA_VIOLATION');
    const line = lines(file)[0]!;
    expect(line.match(/v-[a-z0-9]+|123456/g)).toBeNull();
    const original = JSON.parse(JSON.parse(line).violation.original);
    for (const key of Object.keys(secrets)) if (key !== 'headers') expect(original[key], key).toBe('[REDACTED]');
    expect(original.headers).toEqual({ 'x-auth-token': '[REDACTED]', 'X-Api-Key': '[REDACTED]', 'Set-Cookie': '[REDACTED]', 'x-trace': 'keep' });
    // What the violation is about stays readable: fields the schema defines are never censored.
    expect(original).toMatchObject({ user_id: 'u1', client_ip: 'not-an-ip', correlation: { session_id: 'sess-42' }, webauthn: { credential_id: 'AAECAwQF', signature_valid: true } });
  });

  it("throws AuditValidationError with onInvalid: 'throw' and writes nothing", () => {
    const { file, log } = fileLogger({ onInvalid: 'throw' });
    let caught: unknown;
    try {
      log.emit(hostile as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AuditValidationError);
    expect((caught as AuditValidationError).code).toBe('AUDIT_VALIDATION');
    expect((caught as AuditValidationError).issues.some((i) => i.path === 'client_ip')).toBe(true);
    expect((caught as Error).message).not.toContain('s3cr3t');
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('refuses keys the logger owns instead of dropping them', () => {
    const { file, log } = fileLogger();
    log.emit({ ...authFailure(), event_type: 'WEBAUTHN_AUTH_FAILURE', msg: 'hello' } as never);
    log.emit({ event_type: 'AUDIT_CHAIN_OPEN', chain: {} } as never);
    log.emit(null as never);
    const out = lines(file).map((l) => JSON.parse(l));
    expect(out.map((o) => o.event_type)).toEqual(['AUDIT_SCHEMA_VIOLATION', 'AUDIT_SCHEMA_VIOLATION', 'AUDIT_SCHEMA_VIOLATION']);
    expect(out[0].violation.issues[0].path).toBe('msg');
    expect(out[1].violation.issues[0].message).toMatch(/written by the logger/);
  });

  it('removes user redact paths from the bound context of an AUDIT_SCHEMA_VIOLATION record too', () => {
    const { file, log } = fileLogger({ redact: ['client_ip', 'user_id'] });
    const child = log.child({ client_ip: '198.51.100.23', user_id: 'alice' });
    child.emit({ event_type: 'WEBAUTHN_AUTH_FAILURE' } as never);
    const out = lines(file).map((l) => JSON.parse(l));
    expect(out.at(-1).event_type).toBe('AUDIT_SCHEMA_VIOLATION');
    expect(JSON.stringify(out.at(-1))).not.toMatch(/198\.51\.100\.23|alice/);
  });

  it('removes user redact paths from valid events', () => {
    const { log } = fileLogger({ redact: ['client_ip', 'webauthn.credential_id'] });
    const ev = log.webauthnAuthFailure(authFailure()) as Record<string, any>;
    expect(ev.client_ip).toBeUndefined();
    expect(ev.webauthn.credential_id).toBeUndefined();
    expect(ev.user_id).toBe('user-1');
  });
});

describe('lifecycle and signing configuration', () => {
  it('emit and child after close throw AuditClosedError', async () => {
    const { log } = fileLogger();
    await log.close();
    expect(() => log.webauthnAuthFailure(authFailure())).toThrowError(AuditClosedError);
    expect(() => log.child({ user_id: 'u1' })).toThrowError(AuditClosedError);
    await log.close(); // idempotent
  });

  it('flush after close rejects with AuditClosedError, not the ended stream\'s own error, for every kind of destination', async () => {
    const signed = fileLogger({ signing: { mode: 'shared', kid: 'k1', secret: SECRET } }).log;
    const stderr = createAuditLogger({ ...base, destination: 'stderr' }); // writes nothing: no event
    const writable = createAuditLogger({ ...base, destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    for (const log of [fileLogger().log, signed, stderr, writable]) {
      await log.close();
      await expect(log.flush()).rejects.toThrowError(AuditClosedError);
      await expect(log.flush()).rejects.toThrowError(/^the audit logger is closed$/);
    }
    // Also while close() is still under way: close() flushes, await it instead.
    const { log } = fileLogger();
    const closing = log.close();
    await expect(log.flush()).rejects.toThrowError(AuditClosedError);
    await closing;
  });

  it('writes checkpoints on its interval even when idle', async () => {
    const { file, log } = fileLogger({ signing: { mode: 'shared', kid: 'k1', secret: SECRET, checkpointIntervalMs: 20 } });
    while (lines(file).filter((l) => l.includes('"AUDIT_CHECKPOINT"')).length < 2) await new Promise((r) => setTimeout(r, 10));
    await log.close();
    const ls = lines(file);
    expect(JSON.parse(ls[0]!).event_type).toBe('AUDIT_CHAIN_OPEN');
    expect(JSON.parse(ls.at(-1)!).event_type).toBe('AUDIT_CHAIN_CLOSE');
    // Generous slack: this test is about the timer firing while idle, not about its punctuality under load.
    expect(codes(verifyLines(ls, { k1: { secret: SECRET } }, { checkpointSlackMs: 600_000 }))).toEqual([]);
  });

  it('an idle epoch ends one interval after it began, also when the record count began it between two timer ticks', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      const signing = { mode: 'shared' as const, kid: 'k1', secret: SECRET, epochIntervalMs: 1000, epochMaxEvents: 2, checkpointIntervalMs: 3_600_000 };
      const { file, log } = fileLogger({ signing });
      // The epoch the signer holds the key of, read without signing (a record would evolve a due epoch itself).
      const held = () => (log as unknown as { core: { signer: { epoch: number } } }).core.signer.epoch;
      vi.advanceTimersByTime(1000); // idle: epoch 1 begins at 1.000 s
      expect(held()).toBe(1);
      vi.advanceTimersByTime(200);
      for (let i = 0; i < 3; i++) log.webauthnAuthFailure(authFailure()); // the third begins epoch 2 by count, at 1.200 s
      expect(held()).toBe(2);
      // Epoch 2's time is up at 2.200 s; a timer on a fixed 1 s phase kept its key until 3.000 s.
      vi.advanceTimersByTime(1050);
      expect(held()).toBe(3);
      vi.advanceTimersByTime(1000);
      expect(held()).toBe(4);
      await log.close();
      expect(codes(verifyLines(lines(file), { k1: { secret: SECRET } }))).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads signing keys from environment files', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'k.b64'), `${SECRET}\n`);
    const env = { AUDIT_TRAIL_SIGNING: 'shared', AUDIT_TRAIL_KID: 'k-env', AUDIT_TRAIL_SECRET_FILE: join(dir, 'k.b64'), AUDIT_TRAIL_EPOCH_MAX_EVENTS: '2' };
    const { file, log } = fileLogger({ env });
    log.webauthnAuthFailure(authFailure());
    log.webauthnAuthFailure(authFailure());
    await log.close();
    const ls = lines(file);
    expect(JSON.parse(ls[1]!).integrity).toMatchObject({ kid: 'k-env', seq: 2 });
    expect(JSON.parse(ls[0]!).chain.epoch_max_events).toBe(2);
    expect(codes(verifyLines(ls, { 'k-env': { secret: SECRET } }))).toEqual([]);
    expect(() => fileLogger({ env: { ...env, AUDIT_TRAIL_SECRET_FILE: join(dir, 'missing') } })).toThrowError(/cannot read key file/);
  });
});
