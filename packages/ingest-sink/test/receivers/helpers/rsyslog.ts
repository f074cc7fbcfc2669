import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { untilListening } from '../../helpers/ports.js';

/** Forwarding targets: rsyslog omfwd over TCP with the given framing and the RFC 5424 template. */
export interface RsyslogTarget {
  port: number;
  framing: 'octet-counted' | 'traditional';
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
  const actions = targets
    .map(
      (t) =>
        `action(type="omfwd" target="127.0.0.1" port="${t.port}" protocol="tcp" template="RSYSLOG_SyslogProtocol23Format"${t.framing === 'octet-counted' ? ' TCP_Framing="octet-counted"' : ''})`,
    )
    .join('\n');
  writeFileSync(
    conf,
    `global(workDirectory="${work}" maxMessageSize="64k")\nmodule(load="imtcp")\ninput(type="imtcp" port="${inputPort}" address="127.0.0.1")\n${actions}\n`,
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
