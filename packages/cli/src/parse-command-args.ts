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
    // Node appends to an unknown option a hint about positionals that
    // quotes it unbalanced (`as in '-- "--frobnicate"`): the first sentence
    // says it all, and every command's usage line follows anyway.
    const e = err as Error & { code?: string };
    throw new UsageError(e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? e.message.replace(/\. To specify a positional argument[\s\S]*$/, '') : e.message);
  }
}
