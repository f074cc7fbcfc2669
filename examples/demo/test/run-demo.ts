import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the demo as `npm run demo -- ARGS` does, in the working directory `cwd`; stdout and stderr as one text. */
export function runDemo(cwd: string, args: string[] = []): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(repo, 'node_modules/.bin/tsx'), ['-C', '@audit-trail/source', join(repo, 'examples/demo/src/main.ts'), ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}
