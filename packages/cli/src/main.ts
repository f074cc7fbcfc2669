import { UsageError, type CommandIo } from './command.js';
import { commandLoaders, commandSummaries } from './commands/index.js';
import { messageText, shown } from './shown.js';

const HELP = `audit-trail: a security audit trail auditors can trust

Usage: audit-trail <command> [options]

Commands:
${Object.entries(commandSummaries)
  .map(([name, summary]) => `  ${name.padEnd(9)} ${summary}`)
  .join('\n')}

Run "audit-trail <command> --help" for the options of one command.
`;

/**
 * Runs the CLI with `argv` (without node and script) and resolves to the exit
 * code. Usage errors exit 2 with a one-line message; other errors exit 1.
 * Help that was asked for (`--help`, `help`) goes to stdout with exit 0; help
 * printed because no command was given is a usage error: stderr, exit 2, so
 * that a script's `audit-trail $CMD > out` with an empty $CMD shows the
 * mistake instead of burying it in `out`.
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    io.stderr.write(HELP);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write('0.1.0\n');
    return 0;
  }
  // Own keys only: "constructor" or "toString" is not a command.
  const load = Object.hasOwn(commandLoaders, name) ? commandLoaders[name] : undefined;
  if (!load) {
    io.stderr.write(`audit-trail: unknown command ${shown(name)}\n\n${HELP}`);
    return 2;
  }
  const command = await load();
  // Only options ask for help: after "--" every argument is a file name, and
  // a file named -h must be read (ingested, verified), not turned into help with exit 0.
  const end = rest.indexOf('--');
  const options = end === -1 ? rest : rest.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`audit-trail ${name}: ${messageText(err.message)}\nRun "audit-trail ${name} --help" for usage.\n`);
      return 2;
    }
    io.stderr.write(`audit-trail ${name}: ${messageText((err as Error)?.message ?? String(err))}\n`);
    return 1;
  }
}
