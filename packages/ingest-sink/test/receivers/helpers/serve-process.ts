import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** A child `audit-trail serve` process and what it logged. */
export interface ServeProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  started: { forward: { port: number }; syslog?: { port: number }; health?: { port: number } };
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** Kills every serve process still running (afterAll of a failed test). */
export function killAllServe(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running.clear();
}

/**
 * Starts `audit-trail serve ARGS` from the TypeScript sources (tsx) and waits
 * for its "aggregator started" log line. `cwd` (default the repository) is
 * where a server database's default spool directory lands.
 */
export async function spawnServe(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<ServeProcess> {
  // tsx by path: from another working directory `--import tsx` would not resolve.
  const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsx, '--conditions', '@audit-trail/source', join(ROOT, 'packages/cli/src/bin.ts'), 'serve', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const started = await new Promise<ServeProcess['started']>((resolve, reject) => {
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      raw += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const obj = JSON.parse(line) as Record<string, unknown>;
          lines.push(obj);
          if (obj.msg === 'aggregator started') resolve(obj as never);
        } catch {
          lines.push({ text: line });
        }
      }
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before starting: ${raw}`)));
  });
  return { child, lines, started, exited };
}
