import { UsageError, type CommandIo } from './command.js';
import { commandLoaders, commandSummaries } from './commands/index.js';

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
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write('0.1.0\n');
    return 0;
  }
  const load = commandLoaders[name];
  if (!load) {
    io.stderr.write(`audit-trail: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`audit-trail ${name}: ${err.message}\nRun "audit-trail ${name} --help" for usage.\n`);
      return 2;
    }
    io.stderr.write(`audit-trail ${name}: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}
