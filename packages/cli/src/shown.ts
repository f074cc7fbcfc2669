import { escapeControls, escapeFormatChars } from '@audit-trail/schema';

/**
 * A string as the CLI prints it to a terminal: control characters escaped as
 * `\xNN` (schema escapeControls, cut to `max`), and format characters as
 * `\uNNNN` (schema escapeFormatChars: a right-to-left override in a user id
 * would otherwise reorder the row), so what an analyst reads is what is
 * stored, in the order it is stored.
 */
export function terminalText(value: string, max: number): string {
  return escapeFormatChars(escapeControls(value, max));
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
