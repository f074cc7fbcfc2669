import { spawn, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, untilListening } from './ports.js';

/**
 * Debian's PgBouncer in transaction pooling mode with one server connection
 * per database, in front of the test PostgreSQL (trust auth): every
 * transaction of every client may land on the same server session. It
 * refuses to run as root, so under root it runs as the `postgres` user.
 */
export async function startPgBouncer(target = { host: '127.0.0.1', port: 5432 }): Promise<{ port: number; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'at-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.host} port=${target.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 1',
      'max_client_conn = 50',
      'ignore_startup_parameters = extra_float_digits,options,application_name',
    ].join('\n'),
  );
  let user: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    user = { uid: id('-u'), gid: id('-g') };
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, f), user.uid, user.gid);
  }
  // Debian installs it in /usr/sbin, which a user's PATH may lack.
  const bin = existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer';
  const child = spawn(bin, [join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'], ...user });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await untilListening(port, child, () => stderr, 'pgbouncer');
  return {
    port,
    async close() {
      child.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
