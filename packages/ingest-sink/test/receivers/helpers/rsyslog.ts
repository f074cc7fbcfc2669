import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { untilListening } from '../../helpers/ports.js';

/** Forwarding targets: rsyslog omfwd over TCP with the given framing and the RFC 5424 template, unless `template` says otherwise. */
export interface RsyslogTarget {
  port: number;
  framing: 'octet-counted' | 'traditional';
  /**
   * The omfwd template, RSYSLOG_SyslogProtocol23Format when absent; `null`
   * sets none, so omfwd uses its own default (RSYSLOG_TraditionalForwardFormat).
   */
  template?: string | null;
  /**
   * Over TLS (RFC 5425) with the gtls driver (Debian's rsyslog-gnutls):
   * the server's certificate must be signed by `caFile` and name
   * `permittedPeer`; with `certFile`, rsyslog presents it (mutual TLS).
   */
  tls?: { caFile: string; certFile?: string; keyFile?: string; permittedPeer: string };
}

/**
 * Starts Debian's rsyslogd unprivileged on loopback (observed-clients.md):
 * own config, work directory and pid file, no imuxsock/imklog, as user
 * nobody via setpriv, so the machine's syslog is never touched. It listens
 * on `inputPort` (imtcp) and forwards every message to each target.
 */
export async function startRsyslog(dir: string, inputPort: number, targets: RsyslogTarget[]): Promise<ChildProcess> {
  if (!existsSync('/usr/sbin/rsyslogd')) throw new Error('rsyslogd is not installed (apt-get install rsyslog)');
  const work = join(dir, 'rsyslog-work');
  mkdirSync(work, { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(work, 0o777);
  const conf = join(dir, 'rsyslog.conf');
  const tlsFiles = targets.find((t) => t.tls)?.tls;
  if (tlsFiles && !readdirSync('/usr/lib').some((d) => existsSync(join('/usr/lib', d, 'rsyslog', 'lmnsd_gtls.so')))) throw new Error('rsyslog gtls driver is not installed (apt-get install rsyslog-gnutls)');
  if (targets.some((t) => t.tls && (t.tls.caFile !== tlsFiles!.caFile || t.tls.certFile !== tlsFiles!.certFile || t.tls.keyFile !== tlsFiles!.keyFile))) throw new Error('one set of TLS files for all targets (rsyslog global settings)');
  const actions = targets
    .map((t) => {
      const template = t.template === null ? '' : ` template="${t.template ?? 'RSYSLOG_SyslogProtocol23Format'}"`;
      const tls = t.tls ? ` StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="${t.tls.permittedPeer}"` : '';
      return `action(type="omfwd" target="127.0.0.1" port="${t.port}" protocol="tcp"${template}${t.framing === 'octet-counted' ? ' TCP_Framing="octet-counted"' : ''}${tls})`;
    })
    .join('\n');
  const tlsGlobals = tlsFiles
    ? ` DefaultNetstreamDriverCAFile="${tlsFiles.caFile}"${tlsFiles.certFile ? ` DefaultNetstreamDriverCertFile="${tlsFiles.certFile}" DefaultNetstreamDriverKeyFile="${tlsFiles.keyFile}"` : ''}`
    : '';
  writeFileSync(
    conf,
    `global(workDirectory="${work}" maxMessageSize="64k"${tlsGlobals})\nmodule(load="imtcp")\ninput(type="imtcp" port="${inputPort}" address="127.0.0.1")\n${actions}\n`,
  );
  chmodSync(conf, 0o644);
  const asRoot = process.getuid?.() === 0;
  const cmd = asRoot ? 'setpriv' : '/usr/sbin/rsyslogd';
  const args = ['-n', '-f', conf, '-i', join(work, 'rsyslogd.pid')];
  const child = spawn(cmd, asRoot ? ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/usr/sbin/rsyslogd', ...args] : args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await untilListening(inputPort, child, () => stderr, 'rsyslogd');
  return child;
}

/** Runs util-linux `logger` with `args` (a message to a syslog port). */
export function logger(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile('logger', args, { timeout: 10_000 }, (err, _o, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve())));
}

/** Waits (20 s at most) until `cond` holds; syslog has no ack to wait for. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}
