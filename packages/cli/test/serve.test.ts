import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FluentClient } from '@fluent-org/logger';
import { completeEvent } from '@audit-trail/schema';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { tempDir } from '../../ingest-sink/test/receivers/helpers/real-sink.js';
import { killAllServe, spawnServe } from '../../ingest-sink/test/receivers/helpers/serve-process.js';
import { makeTestCerts } from '../../ingest-sink/test/receivers/helpers/tls-certs.js';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** A valid failure event; `i` only makes the user distinct. */
const event = (i: number): Record<string, unknown> =>
  completeEvent(
    { event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: `u-${i}`, error: { code: 'BAD_SIGNATURE', message: 'signature did not verify' }, webauthn: { failure_stage: 'signature' as never } },
    { producer: { service: 'serve-test' } },
  ) as unknown as Record<string, unknown>;

/** The event_ids in the events table of a SQLite file. */
function storedIds(db: string): Set<string> {
  const conn = new Database(db, { readonly: true });
  try {
    return new Set((conn.prepare('SELECT event_id FROM security_audit_events').all() as { event_id: string }[]).map((r) => r.event_id));
  } finally {
    conn.close();
  }
}

describe('audit-trail serve', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('at-serve-');
  });
  afterAll(() => {
    killAllServe();
    tmp.remove();
  });

  it('prints usage and refuses bad settings with exit 2', async () => {
    expect((await runCli(['serve', '--help'])).out).toContain('--shared-key-file');
    expect((await runCli(['serve'])).err).toContain('--db (or AUDIT_TRAIL_DB_URL) is required');
    expect((await runCli(['serve', '--db', 'sqlite::memory:', '--forward', 'nonsense'])).code).toBe(2);
    expect((await runCli(['serve', '--bogus'])).code).toBe(2);
    expect((await runCli(['serve', '--db', 'sqlite:x.db', '--tls-cert', 'a.pem'])).err).toContain('--tls-cert needs its key: --tls-key (AUDIT_TRAIL_TLS_KEY, or tlsKey in a config file)');
    expect((await runCli(['serve', '--db', 'sqlite:x.db', '--syslog', 'tls://:6514'])).err).toContain('--syslog tls://... needs a certificate and its key: --tls-cert');
    expect((await runCli(['serve', '--db', 'sqlite:x.db', '--heap-growing-percent', 'lots'])).err).toContain('--heap-growing-percent must be an integer');
    const cfg = join(tmp.dir, 'bad.json');
    writeFileSync(cfg, '{"db":"sqlite:x.db","unknown":1}');
    expect((await runCli(['serve', '--config', cfg])).err).toContain('unknown key "unknown"');
    // Used to start, then end the process with a RangeError at the first connection.
    writeFileSync(cfg, '{"db":"sqlite:x.db","limits":{"idleTimeoutMs":-1}}');
    expect(await runCli(['serve', '--config', cfg])).toMatchObject({ code: 2, err: expect.stringContaining('limits.idleTimeoutMs must be a whole number from 1 to 2147483647 (got -1)') });
    // A value of the wrong JSON type: exit 2 naming the key (it crashed with "value.trim is not a function").
    for (const [value, message] of [['{"forward":0}', 'forward must be a string, got a number (0)'], ['{"health":false}', 'health must be a string, got a boolean (false)'], ['{"sharedKeyFiles":[0]}', 'sharedKeyFiles must be an array of non-empty strings (file names), got an array ([0])']] as [string, string][]) {
      writeFileSync(cfg, value);
      expect(await runCli(['serve', '--db', 'sqlite:x.db', '--config', cfg])).toEqual({ code: 2, out: '', err: `audit-trail serve: config file ${cfg}: ${message}\nRun "audit-trail serve --help" for usage.\n` });
    }
    expect((await runCli(['serve', '--db', 'sqlite:x.db', '--shared-key-file', join(tmp.dir, 'missing')])).err).toContain('cannot read shared key file');
    expect(await runCli(['serve', '--db', 'sqlite:x.db', '--spool-max-bytes', '500MB'])).toMatchObject({ code: 2, err: expect.stringContaining('--spool-max-bytes must be a whole number of bytes, or one with KiB, MiB or GiB') });
  });

  it('names values checked together as they were given: a config file key or a variable, not a flag that was never given (found by a probe)', async () => {
    const cfg = join(tmp.dir, 'together.json');
    const refusal = async (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
      writeFileSync(cfg, JSON.stringify({ db: 'sqlite:x.db', ...config }));
      const run = await runCli(['serve', '--config', cfg], { env });
      expect(run.code).toBe(2);
      return run.err.split('\n')[0];
    };
    expect(await refusal({ tlsCert: 'a.pem' })).toBe(`audit-trail serve: config file ${cfg}: tlsCert needs its key: --tls-key (AUDIT_TRAIL_TLS_KEY, or tlsKey in a config file)`);
    expect(await refusal({ tlsKey: 'a.key' })).toBe(`audit-trail serve: config file ${cfg}: tlsKey needs its certificate: --tls-cert (AUDIT_TRAIL_TLS_CERT, or tlsCert in a config file)`);
    expect(await refusal({ heapGrowingPercent: 'lots' })).toMatch(new RegExp(`^audit-trail serve: config file ${cfg}: heapGrowingPercent must be an integer`));
    expect(await refusal({}, { AUDIT_TRAIL_SYSLOG: 'tls://:6514' })).toMatch(/^audit-trail serve: AUDIT_TRAIL_SYSLOG tls:\/\/\.\.\. needs a certificate and its key/);
    const users = join(tmp.dir, 'users');
    writeFileSync(users, 'alice:pw\n');
    expect(await refusal({ usersFile: users })).toMatch(new RegExp(`^audit-trail serve: config file ${cfg}: usersFile: user authentication needs a shared key file too`));
    // A flag given over the file's value is named as the flag.
    writeFileSync(cfg, JSON.stringify({ db: 'sqlite:x.db', tlsCert: 'b.pem' }));
    expect((await runCli(['serve', '--config', cfg, '--tls-cert', 'a.pem'])).err).toMatch(/^audit-trail serve: --tls-cert needs its key/);
  });

  it('refuses a TLS key that is not the certificate\'s with exit 2 before it creates the database or its spool (found by a probe)', async () => {
    const certs = makeTestCerts(tmp.dir);
    const cert = join(tmp.dir, 'mismatch.crt');
    const key = join(tmp.dir, 'mismatch.key');
    writeFileSync(cert, certs.serverCert);
    writeFileSync(key, certs.clientKey);
    const db = join(tmp.dir, 'mismatch.db');
    const run = await runCli(['serve', '--db', `sqlite:${db}`, '--forward', '127.0.0.1:0', '--health', 'off', '--tls-cert', cert, '--tls-key', key]);
    expect(run).toMatchObject({ code: 2, err: expect.stringMatching(/^audit-trail serve: the forward receiver's TLS certificate, key or CA cannot be used \(.*key values mismatch\)/) });
    expect([existsSync(db), existsSync(`${db}.spool`)]).toEqual([false, false]);
  });

  it('puts the spool where --spool says, with the limit --spool-max-bytes (or the environment) gives, which /healthz reports', async () => {
    const db = join(tmp.dir, 'spool-flags.db');
    const spool = join(tmp.dir, 'volume', 'spool');
    const server = await spawnServe(['--db', `sqlite:${db}`, '--forward', '127.0.0.1:0', '--health', '127.0.0.1:0', '--spool', spool], { AUDIT_TRAIL_SPOOL_MAX_BYTES: '3MiB' });
    const health = (await (await fetch(`http://127.0.0.1:${server.started.health!.port}/healthz`)).json()) as { sink: { spoolMaxBytes: number } };
    expect(health.sink.spoolMaxBytes).toBe(3 * 1024 * 1024);
    // The spool and the partial-line journal are in the directory given, none beside the database.
    expect(existsSync(join(spool, 'partial-lines.journal'))).toBe(true);
    expect(existsSync(`${db}.spool`)).toBe(false);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.lines.find((l) => l.msg === 'aggregator stopped')).toMatchObject({ spooled: { events: 0, bytes: 0 } });
  });

  it('stops as gracefully on SIGHUP (a foreground serve whose terminal closes) as on SIGTERM: exit 0, saying what stays spooled (its default action ended the process at once; found by a probe)', async () => {
    const server = await spawnServe(['--db', `sqlite:${join(tmp.dir, 'hup.db')}`, '--forward', '127.0.0.1:0', '--health', 'off']);
    server.child.kill('SIGHUP');
    expect(await server.exited).toBe(0);
    expect(server.lines.find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGHUP' });
    expect(server.lines.find((l) => l.msg === 'aggregator stopped')).toMatchObject({ spooled: { events: 0, bytes: 0 } });
  });

  it('serves forward with a shared key from a file, reports counters on /healthz, drains on SIGTERM and exits 0', async () => {
    const keyFile = join(tmp.dir, 'keys');
    writeFileSync(keyFile, 'old-secret-key\nnew-secret-key\n');
    const cfg = join(tmp.dir, 'serve.json');
    const db = join(tmp.dir, 'serve.db');
    // The config file names a port the environment overrides: flags > env > file.
    writeFileSync(cfg, JSON.stringify({ db: `sqlite:${db}`, forward: '127.0.0.1:1', health: '127.0.0.1:0', selfHostname: 'aggregator', heapGrowingPercent: 20 }));
    const server = await spawnServe(['--config', cfg, '--shared-key-file', keyFile], { AUDIT_TRAIL_FORWARD: '127.0.0.1:0' });
    expect(server.started.forward.port).toBeGreaterThan(1);
    const client = new FluentClient('svc', {
      ack: { ackTimeout: 20_000 },
      security: { clientHostname: 'client', sharedKey: 'new-secret-key', username: '', password: '' },
      socket: { host: '127.0.0.1', port: server.started.forward.port, disableReconnect: true },
    });
    await client.connect();
    const events = Array.from({ length: 20 }, (_, i) => event(i));
    await Promise.all(events.map((e) => client.emit('audit', e)));
    await client.disconnect();

    const health = (await (await fetch(`http://127.0.0.1:${server.started.health!.port}/healthz`)).json()) as {
      status: string;
      receivers: { forward: { accepted: number; acks: number } };
      sink: { received: number };
      partialLines: { open: number; bytes: number };
    };
    expect(health.status).toBe('ok');
    expect(health.partialLines).toEqual({ open: 0, bytes: 0 });
    expect(health.receivers.forward.accepted).toBe(20);
    expect(health.sink.received).toBe(20);
    expect((await fetch(`http://127.0.0.1:${server.started.health!.port}/other`)).status).toBe(404);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const conn = new Database(db, { readonly: true });
    const n = (conn.prepare('SELECT count(*) AS n FROM security_audit_events').get() as { n: number }).n;
    conn.close();
    expect(n).toBe(20);
    const msgs = server.lines.map((l) => l.msg);
    expect(msgs).toContain('forward receiver listening');
    expect(msgs).toContain('shutdown complete');
    expect(server.lines.find((l) => l.msg === 'aggregator started')).toMatchObject({ heapGrowingPercent: 20 });
    expect(JSON.stringify(server.lines)).not.toContain('secret-key');
  });

  it('warns once at start when the forward receiver listens beyond loopback with no key and no client certificates (found by a probe)', async () => {
    const db = join(tmp.dir, 'open.db');
    const open = await spawnServe(['--db', `sqlite:${db}`, '--forward', '0.0.0.0:0', '--health', 'off']);
    open.child.kill('SIGTERM');
    expect(await open.exited).toBe(0);
    expect(open.lines.filter((l) => l.level === 'warn' && String(l.msg).startsWith('forward receiver accepts any client'))).toHaveLength(1);
    const local = await spawnServe(['--db', `sqlite:${db}`, '--forward', '127.0.0.1:0', '--health', 'off']);
    local.child.kill('SIGTERM');
    expect(await local.exited).toBe(0);
    expect(local.lines.some((l) => String(l.msg).startsWith('forward receiver accepts any client'))).toBe(false);
  });

  it('serves forward over TLS and syslog from flags and environment, logging JSON', async () => {
    const certs = makeTestCerts(tmp.dir);
    writeFileSync(join(tmp.dir, 'srv.crt'), certs.serverCert);
    writeFileSync(join(tmp.dir, 'srv.key'), certs.serverKey);
    const db = join(tmp.dir, 'tls.db');
    const server = await spawnServe(['--db', `sqlite:${db}`, '--forward', '127.0.0.1:0', '--tls-cert', join(tmp.dir, 'srv.crt'), '--tls-key', join(tmp.dir, 'srv.key'), '--health', 'off'], {
      AUDIT_TRAIL_SYSLOG: '127.0.0.1:0',
    });
    const client = new FluentClient('svc', {
      ack: { ackTimeout: 20_000 },
      socket: { host: '127.0.0.1', port: server.started.forward.port, disableReconnect: true, tls: { ca: certs.ca } },
    });
    await client.connect();
    const events = Array.from({ length: 5 }, (_, i) => event(i));
    await Promise.all(events.map((e) => client.emit('audit', e)));
    await client.disconnect();
    const viaSyslog = event(100);
    await new Promise<void>((resolve, reject) => {
      const s = connect(server.started.syslog!.port, '127.0.0.1', () => s.end(`<14>1 - host webauthn-api - - - ${JSON.stringify(viaSyslog)}\n`, () => resolve()));
      s.on('error', reject);
    });
    // No wait: SIGTERM lets open syslog connections deliver what they sent before the sink is flushed.
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const ids = storedIds(db);
    for (const e of [...events, viaSyslog]) expect(ids.has(e.event_id as string)).toBe(true);
    expect(server.lines.find((l) => l.msg === 'forward receiver listening')).toMatchObject({ level: 'info', tls: true });
    expect(server.lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string')).toBe(true);
  });

  it('serves syslog over TLS (--syslog tls://) beside forward in clear text (--forward tcp://), one certificate', async () => {
    const certs = makeTestCerts(tmp.dir);
    writeFileSync(join(tmp.dir, 'srv2.crt'), certs.serverCert);
    writeFileSync(join(tmp.dir, 'srv2.key'), certs.serverKey);
    const db = join(tmp.dir, 'syslog-tls.db');
    const server = await spawnServe(['--db', `sqlite:${db}`, '--forward', 'tcp://127.0.0.1:0', '--syslog', 'tls://127.0.0.1:0', '--tls-cert', join(tmp.dir, 'srv2.crt'), '--tls-key', join(tmp.dir, 'srv2.key'), '--health', 'off']);
    const client = new FluentClient('svc', { ack: { ackTimeout: 20_000 }, socket: { host: '127.0.0.1', port: server.started.forward.port, disableReconnect: true } });
    await client.connect();
    const viaForward = event(200);
    await client.emit('audit', viaForward);
    await client.disconnect();
    const viaSyslog = event(201);
    await new Promise<void>((resolve, reject) => {
      const msg = `<14>1 - host webauthn-api - - - ${JSON.stringify(viaSyslog)}`;
      const s = connectTls({ host: '127.0.0.1', port: server.started.syslog!.port, ca: certs.ca, servername: 'localhost' }, () => s.end(`${Buffer.byteLength(msg)} ${msg}`, () => resolve()));
      s.on('error', reject);
    });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const ids = storedIds(db);
    expect([ids.has(viaForward.event_id as string), ids.has(viaSyslog.event_id as string)]).toEqual([true, true]);
    expect(server.lines.find((l) => l.msg === 'forward receiver listening')).toMatchObject({ tls: false });
    expect(server.lines.find((l) => l.msg === 'syslog receiver listening')).toMatchObject({ tls: true, udp: false });
  });
  it('keeps serving when the reader of its log goes away (EPIPE on stderr), and still drains on SIGTERM (found by a probe)', async () => {
    // `audit-trail serve 2>&1 | logger -t audit-trail`, or a log pipeline that restarts:
    // the next log line met EPIPE, whose unhandled 'error' ended the aggregator (exit 1).
    const db = join(tmp.dir, 'epipe.db');
    const server = await spawnServe(['--db', `sqlite:${db}`, '--forward', '127.0.0.1:0', '--health', '127.0.0.1:0']);
    server.child.stderr!.destroy();
    // A request that is not msgpack: the receiver closes the connection and logs why.
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: server.started.forward.port }, () => s.write(Buffer.from([0xc1, 0xc1, 0xc1])));
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const client = new FluentClient('svc', { ack: { ackTimeout: 20_000 }, socket: { host: '127.0.0.1', port: server.started.forward.port, disableReconnect: true } });
    await client.connect();
    const events = Array.from({ length: 5 }, (_, i) => event(300 + i));
    await Promise.all(events.map((e) => client.emit('audit', e)));
    await client.disconnect();
    expect((await fetch(`http://127.0.0.1:${server.started.health!.port}/livez`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const ids = storedIds(db);
    expect(events.every((e) => ids.has(e.event_id as string))).toBe(true);
  });
});
