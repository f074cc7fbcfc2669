import { escapeControls, escapeFormatChars } from '@audit-trail/schema';

/**
 * Characters a terminal draws as nothing, or as a blank, that format
 * characters (Cf) do not cover: the rest of Unicode's
 * Default_Ignorable_Code_Point (U+034F COMBINING GRAPHEME JOINER, the
 * variation selectors U+FE00-FE0F, the Hangul fillers U+115F, U+1160, U+3164,
 * U+FFA0), U+2800 BRAILLE PATTERN BLANK, a symbol that prints as a space,
 * and the space separators (Zs) other than U+0020: U+00A0 NO-BREAK SPACE,
 * U+1680, U+2000-200A, U+202F, U+205F, U+3000. `admin\u034F` and
 * `admin\u3164` printed as `admin` (found by a probe), and so did
 * `admin\u00A0` at the end of a padded table cell (found by a probe).
 * A character class body, for the report's JSON escaping too.
 */
export const UNSEEN_CHARS = String.raw`\p{Default_Ignorable_Code_Point}\u115F\u1160\u2800\u3164\uFFA0\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000`;

const UNSEEN = new RegExp(`[${UNSEEN_CHARS}]`, 'gu');

/**
 * A string as the CLI prints it to a terminal: control characters escaped as
 * `\xNN` (schema escapeControls, cut to `max`), format characters as
 * `\uNNNN` (schema escapeFormatChars: a right-to-left override in a user id
 * would otherwise reorder the row), and the other characters that print as
 * nothing or a blank ({@link UNSEEN_CHARS}) the same way, so what an analyst
 * reads is what is stored, in the order it is stored. Backslashes are kept:
 * messages quote values this already escaped; output that must be read back
 * exactly doubles them first (report cells, `cellText`).
 */
export function terminalText(value: string, max: number): string {
  return escapeFormatChars(escapeControls(value, max)).replace(UNSEEN, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A value the user gave (a flag value, a report or command name), as an
 * error message echoes it: quoted, cut to `max` characters, and with control
 * characters written as `\xNN` ({@link terminalText}). A pasted escape sequence must not recolour,
 * retitle or clear the terminal the message lands on, nor a newline forge a
 * line of output after it.
 */
export function shown(value: string, max = 80): string {
  return `"${terminalText(value, max)}"`;
}

/** A file name for a message: unquoted, as shells and `ls` print them, its control characters escaped as in {@link shown}. */
export function shownPath(file: string): string {
  return terminalText(file, 1000);
}

/**
 * An error message as printed on stderr: each line with its control
 * characters escaped. A safety net under {@link shown}: messages of other
 * packages (the sink's, the verifier's) may quote a URL, a file name or a
 * key id as given. Line feeds are kept, since some messages (schema drift)
 * list one item per line.
 */
export function messageText(message: string): string {
  return message
    .split('\n')
    .map((line) => terminalText(line, 100_000))
    .join('\n');
}

/** `n` and its noun, singular for one: `counted(1, 'chain')` is "1 chain", `counted(2, 'chain')` "2 chains". */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
