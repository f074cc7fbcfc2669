import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Runs `node fixture args` (a file of test/fixtures, from source) under strace
 * (Debian's package): its exit code, stdout, and the traced calls, one per
 * line, as `PID call(FD</path>, ...) = result` (`-y` prints each descriptor's
 * path). `straceArgs` choose what is traced (`-e trace=...`) and may tamper
 * with it (`-e inject=...`), which is how a test makes the kernel fail a call
 * it cannot make fail for real here (an fdatasync's EIO).
 */
export function traced(logDir: string, straceArgs: string[], fixture: string, ...args: string[]): Promise<{ code: number | null; out: string; trace: string[] }> {
  const log = join(logDir, 'strace.log');
  const child = spawn('strace', ['-f', '-qq', '-y', ...straceArgs, '-o', log, process.execPath, '--import', 'tsx', '--conditions', '@audit-trail/source', join(import.meta.dirname, '..', 'fixtures', fixture), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', async (code) => resolve({ code, out, trace: (await readFile(log, 'utf8')).split('\n') }));
  });
}
