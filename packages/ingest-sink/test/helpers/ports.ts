import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** A free loopback TCP port (listen on 0, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once `port` on loopback accepts a connection (a server started as
 * a child process is ready); throws with the child's stderr when it exits
 * first or does not listen within 15 s.
 */
export async function untilListening(port: number, child: ChildProcess, stderr: () => string, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not listen on ${port}: ${stderr()}`);
}
