/**
 * The launcher table of the shell reports (src/table/shell-commands.ts). The
 * CTE compares a command line's words in lower case, so an option written
 * in upper case matched no word on SQLite and PostgreSQL and the lower-case
 * option on SQL Server, which compares case-insensitively: xargs's `-I`, `-L`,
 * `-E` and `-P` did (found by a review).
 */
import { describe, expect, it } from 'vitest';
import { SHELL_LAUNCHERS } from '../src/table/shell-commands.js';

type Options = { args?: readonly string[]; command?: readonly string[]; shell?: readonly string[]; asUser?: readonly string[]; then?: Options };
const optionsOf = (l: Options): string[] => [...(l.args ?? []), ...(l.command ?? []), ...(l.shell ?? []), ...(l.asUser ?? []), ...(l.then ? optionsOf(l.then) : [])];

describe('SHELL_LAUNCHERS', () => {
  it('writes every option in lower case, as the reports read the words they compare it with', () => {
    const upper = Object.entries(SHELL_LAUNCHERS).flatMap(([name, l]) => optionsOf(l).filter((o) => o !== o.toLowerCase()).map((o) => `${name} ${o}`));
    expect(upper).toEqual([]);
  });
});
