import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/receivers/aggregator.js';
import { newCounters } from '../../src/receivers/counters.js';
import { startSyslogServer } from '../../src/receivers/syslog/server.js';
import { makeEvent } from './helpers/events.js';
import { freePort } from '../helpers/ports.js';
import { logger, startRsyslog, until } from './helpers/rsyslog.js';
import { readEvents, sqliteSink, tempDir } from './helpers/real-sink.js';
import { makeTestCerts, type TestCerts } from './helpers/tls-certs.js';


/** Resolves with how the server ended a connection that sent `frame`: the bytes it answered and whether it was closed. */
function sendAndWatch(socket: import('node:net').Socket, frame: string): Promise<{ answered: number; error?: string }> {
  return new Promise((resolve) => {
    let answered = 0;
    let error: string | undefined;
    socket.on('data', (d: Buffer) => (answered += d.length));
    socket.on('error', (e) => (error = e.message));
    socket.on('close', () => resolve({ answered, ...(error ? { error } : {}) }));
    socket.on('connect', () => socket.write(frame));
    socket.on('secureConnect', () => socket.write(frame));
  });
}

describe('interop: logger -> Debian rsyslog (gtls, RFC 5425) -> syslog receiver over TLS -> real SQLite sink', () => {
  let tmp: ReturnType<typeof tempDir>;
  let certs: TestCerts;
  /** Requires client certificates (--tls-ca); fed by an rsyslog that presents one. */
  let agg: Aggregator;
  /** Server certificate only, as in examples/deploy/kubernetes; fed by an rsyslog with a CA file and no certificate. */
  let serverAuth: Aggregator;
  const rsyslogs: ChildProcess[] = [];
  let mutualInput: number;
  let serverAuthInput: number;
  let file: string;
  let sink: Awaited<ReturnType<typeof sqliteSink>>['sink'];

  beforeAll(async () => {
    tmp = tempDir();
    certs = makeTestCerts(tmp.dir);
    ({ sink, file } = await sqliteSink(tmp.dir));
    const server = { cert: certs.serverCert, key: certs.serverKey };
    agg = await startAggregator({ sink, forward: { port: 0 }, syslog: { port: 0, tls: { ...server, ca: certs.ca } } });
    serverAuth = await startAggregator({ sink, forward: { port: 0 }, syslog: { port: 0, tls: server } });
    // rsyslogd runs as nobody: its config and certificate files must be readable by it.
    chmodSync(tmp.dir, 0o755);
    const pem = (name: string, text: string) => {
      const f = join(tmp.dir, name);
      writeFileSync(f, text);
      chmodSync(f, 0o644);
      return f;
    };
    const caFile = pem('rs-ca.pem', certs.ca);
    mutualInput = await freePort();
    rsyslogs.push(
      await startRsyslog(join(tmp.dir, 'mutual'), mutualInput, [
        { port: agg.syslog!.port, framing: 'octet-counted', tls: { caFile, certFile: pem('rs-client.pem', certs.clientCert), keyFile: pem('rs-client.key', certs.clientKey), permittedPeer: 'localhost' } },
      ]),
    );
    serverAuthInput = await freePort();
    rsyslogs.push(await startRsyslog(join(tmp.dir, 'server-auth'), serverAuthInput, [{ port: serverAuth.syslog!.port, framing: 'octet-counted', tls: { caFile, permittedPeer: 'localhost' } }]));
  }, 60_000);
  afterAll(async () => {
    for (const r of rsyslogs) r.kill('SIGTERM');
    await agg?.close();
    await serverAuth?.close();
    await sink?.close();
    tmp?.remove();
  });

  it('stores audit lines rsyslog relays over TLS, with its client certificate and with the server\'s alone, and counts non-audit messages', async () => {
    for (const [a, input, base] of [[agg, mutualInput, 300], [serverAuth, serverAuthInput, 320]] as const) {
      const events = Array.from({ length: 10 }, (_, i) => makeEvent(base + i));
      for (const e of events) await logger(['--rfc5424', '--tcp', '-n', '127.0.0.1', '-P', String(input), '-t', 'webauthn-api', JSON.stringify(e)]);
      await logger(['--rfc5424', '--tcp', '-n', '127.0.0.1', '-P', String(input), '-t', 'nginx', 'GET / HTTP/1.1 200']);
      await until(() => a.counters.syslog.events >= 11, 'rsyslog to relay every message over TLS');
      await sink.flush();
      const rows = readEvents(file).filter((r) => events.some((e) => e.event_id === r.event_id));
      expect(rows).toHaveLength(10);
      expect(rows[0]!.source_tag).toBe('webauthn-api');
      expect(a.counters.syslog).toMatchObject({ accepted: 10, nonAudit: 1, badFrames: 0, authFailures: 0 });
    }
  });

  it('refuses clear text and a client certificate from another CA on the TLS port, stores nothing from them, and opens no UDP socket', async () => {
    const before = { ...agg.counters.syslog };
    const line = JSON.stringify(makeEvent(399));
    const frame = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;
    const msg = `<134>1 2026-12-06T05:00:00Z host app - - - ${line}`;
    // Clear text: the server reads it as a broken ClientHello and closes.
    const clear = await sendAndWatch(connectTcp(agg.syslog!.port, '127.0.0.1'), frame(msg));
    expect(clear.answered).toBeLessThan(64);
    const stranger = await sendAndWatch(connectTls({ host: '127.0.0.1', port: agg.syslog!.port, ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey, servername: 'localhost' }), frame(msg));
    expect(stranger.answered).toBe(0);
    await until(() => agg.counters.syslog.authFailures - before.authFailures >= 2, 'both handshakes to fail');
    expect(agg.counters.syslog.events).toBe(before.events);
    await sink.flush();
    expect(readEvents(file).some((r) => r.event_id === JSON.parse(line).event_id)).toBe(false);
    // The UDP port of the same number is free: nothing listens there in clear text.
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(agg.syslog!.port, '127.0.0.1', () => resolve());
    });
    udp.close();
  });

  it('refuses a certificate and key given the wrong way round with a typed error naming the receiver, not OpenSSL\'s "no start line" alone', async () => {
    const deps = { sink: sink as never, counters: newCounters(), log: () => undefined };
    await expect(startSyslogServer({ port: 0, tls: { cert: certs.serverKey, key: certs.serverCert } }, deps)).rejects.toMatchObject({
      name: 'ConfigError',
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^the syslog receiver's TLS certificate, key or CA cannot be used \(.*\): tls.cert must be the PEM certificate, tls.key its private key$/),
    });
  });
});
