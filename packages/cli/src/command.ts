/** One `audit-trail` sub-command. */
export interface Command {
  /** The word typed after `audit-trail`. */
  name: string;
  /** One line for `audit-trail --help`. */
  summary: string;
  /** Full text for `audit-trail <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** Where a command reads and writes, so tests can run commands in-process. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Raised for a usage mistake; printed without a stack and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
