import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

/**
 * `node:util` parseArgs (strict: unknown options are errors), with a parse
 * failure turned into a {@link UsageError}, so every command answers a typo
 * the same way: one line on stderr and exit code 2.
 */
export function parseCommandArgs<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
