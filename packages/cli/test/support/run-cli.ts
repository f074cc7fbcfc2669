import { PassThrough } from 'node:stream';
import { main } from '../../src/main.js';

/** What one in-process run of the CLI printed, and its exit code. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `audit-trail ARGV` in-process with captured stdout/stderr, an
 * environment of its own (nothing from the test process leaks in) and an
 * optional stdin (a text, or a stream of the test's own); `tty` makes stderr
 * claim to be a terminal.
 */
export async function runCli(argv: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string | NodeJS.ReadableStream; tty?: boolean } = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
  const stdin = typeof opts.stdin === 'object' ? opts.stdin : new PassThrough().end(opts.stdin ?? '');
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(argv, { stdin, stdout, stderr, env: opts.env ?? {} });
  return { code, out, err };
}
