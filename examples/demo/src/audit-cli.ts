import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The built `audit-trail` command (npm ci builds it through the root prepare script). */
export const CLI_BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));

function ensureBuilt(): void {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run "npm run build" (npm ci does it) first`);
}

/** What a finished `audit-trail` run printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `audit-trail ARGS` to completion, with `env` added to the environment. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** A running `audit-trail serve`. */
export interface RunningServe {
  forwardPort: number;
  /** Its JSON log lines so far (the aggregator logs its own operation). */
  logs: Record<string, unknown>[];
  /** SIGTERM: it drains in-flight requests, flushes the sink and exits 0. */
  stop(): Promise<number>;
}

/**
 * Starts `audit-trail serve` as a child process on free loopback ports and
 * resolves once it logs that it listens (its forward port is in that line).
 */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<RunningServe> {
  ensureBuilt();
  const child: ChildProcess = spawn(process.execPath, [CLI_BIN, 'serve', ...args], {
    env: { ...process.env, ...env },
    // A server database's spool lives under the working directory.
    ...(cwd ? { cwd } : {}),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('audit-trail serve did not start within 20 s')), 20_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    void exited.then((code) => fail(new Error(`audit-trail serve exited with code ${code}: ${JSON.stringify(logs.slice(-3))}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line };
      }
      logs.push(entry);
      const forward = entry.forward as { port?: number } | undefined;
      if (entry.msg === 'aggregator started' && forward?.port) {
        clearTimeout(timer);
        resolve({
          forwardPort: forward.port,
          logs,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
  });
}
