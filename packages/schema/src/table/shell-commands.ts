import type { Dialect } from './columns.js';
import { eventsTable, jsonTrue, sinceDays } from './query-sql.js';

/**
 * Which command lines open a shell, for the shell reports. Docker's event
 * stream carries no TTY flag, so a shell opened by `docker exec -it` is known
 * by its command line alone: a shell, or a program that opens one (`su`,
 * `login`), or a launcher that runs one (`sudo -u app bash`, `timeout 3600
 * bash`, `chroot / bash`). The CTE `launches` reads each command line word by
 * word, as the launchers themselves parse it, in SQL that runs alike on
 * SQLite, PostgreSQL and SQL Server: no regular expressions (SQLite's core and
 * SQL Server have none), only string functions and a recursive CTE. Words are
 * compared in lower case (SQL Server compares text case-insensitively), so
 * options are too: `sudo -S` reads as `sudo -s`.
 */

/** Shells whose start counts as "a shell was opened", by name or by path (`/bin/bash -l`), in any case. */
export const SHELLS = ['sh', 'bash', 'rbash', 'ash', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'csh', 'tcsh'] as const;

/** Programs that open a login shell themselves, whatever their arguments (`login -f root`). */
export const SHELL_OPENERS = ['login'] as const;

/**
 * How a launcher's first word that is no option is read: `program`, the
 * program it runs; `duration` (timeout) or `directory` (chroot), then the
 * program; `user` (su), then arguments for the shell, which make it run a
 * script, not an interactive shell; `file` (script's typescript), ignored.
 */
type Operand = 'program' | 'duration' | 'directory' | 'user' | 'file';

/** How a launcher takes its options and the program it runs (util-linux, coreutils, sudo). */
interface Launcher {
  /** Options whose argument is the next word; a short one also as the last of two letters (`sudo -iu app`). */
  args?: readonly string[];
  /** Options whose argument is the command run (`su -c bash`, `script -c bash`); given attached (`--command=ls`), it is not read. */
  command?: readonly string[];
  /** Options after which it opens a shell when no program follows (`sudo -i`, `sudo -s`); a short one also first of several letters. */
  shell?: readonly string[];
  operand: Operand;
  /** Given no program, it opens a shell: su, script, nsenter, and chroot once it has its directory. */
  bare?: boolean;
}

/**
 * The launchers. `busybox` runs the applet its next word names and `python`
 * what `pty.spawn(...)` names in its code; they are read apart (see
 * {@link launchesCte}). Not read: a login shell by user name through runuser
 * (`runuser -l app`: runuser is read as sudo is), env's `-S` with options in
 * its string, and options after the program's name (`sudo bash` is a shell
 * whatever follows).
 */
export const SHELL_LAUNCHERS: Readonly<Record<string, Launcher>> = {
  env: { args: ['-u', '--unset', '-c', '--chdir'], command: ['-s', '--split-string'], operand: 'program' },
  sudo: {
    args: ['-u', '--user', '-g', '--group', '-p', '--prompt', '-r', '--role', '-t', '--type', '-c', '--close-from', '-d', '--chdir', '--chroot', '--command-timeout', '--other-user', '--host'],
    shell: ['-i', '-s', '--login', '--shell'],
    operand: 'program',
  },
  su: { args: ['-s', '--shell', '-g', '--group', '--supp-group', '-w', '--whitelist-environment'], command: ['-c', '--command', '--session-command'], operand: 'user', bare: true },
  runuser: { args: ['-u', '--user', '-g', '--group', '--supp-group', '-s', '--shell', '-w', '--whitelist-environment'], command: ['-c', '--command', '--session-command'], operand: 'program' },
  setsid: { operand: 'program' },
  nice: { args: ['-n', '--adjustment'], operand: 'program' },
  nohup: { operand: 'program' },
  timeout: { args: ['-s', '--signal', '-k', '--kill-after'], operand: 'duration' },
  stdbuf: { args: ['-i', '--input', '-o', '--output', '-e', '--error'], operand: 'program' },
  nsenter: { args: ['-t', '--target', '-s', '--setuid', '-g', '--setgid'], operand: 'program', bare: true },
  chroot: { args: ['--userspec', '--groups'], operand: 'directory' },
  script: { command: ['-c', '--command'], operand: 'file', bare: true },
};

/** How many words of a command line are read at most (a launcher of a launcher...); SQL Server stops a recursion at 100. */
const MAX_WORDS = 32;

/**
 * A CONTAINER_EXEC that opened a shell: a TTY or interactive session, or a
 * command line whose first word names a shell or opener (`program`, from
 * {@link commandProgram}), or that {@link launchesCte} finds opens one
 * through a launcher. Reads the rows of `eventsWithDoc`.
 */
export function shellOpened(dialect: Dialect): string {
  return `(${jsonTrue(dialect, 'process.tty', 'doc')}
      OR ${jsonTrue(dialect, 'process.interactive', 'doc')}
      OR program IN (${[...SHELLS, ...SHELL_OPENERS].map((s) => `'${s}'`).join(', ')})
      OR id IN (SELECT id FROM launches WHERE state = 'shell'))`;
}

/** The base name of the first word of `command_line`, in lower case: the program it starts. */
export function commandProgram(dialect: Dialect): string {
  const f = sqlText(dialect);
  return f.baseName(f.firstWord(lowerCommand(dialect)));
}

/**
 * `command_line` in lower case, without leading spaces, ending in a space. On
 * SQL Server as NVARCHAR(MAX): appending a space to a full NVARCHAR(4000)
 * would be cut back to 4000 characters.
 */
function lowerCommand(dialect: Dialect): string {
  const f = sqlText(dialect);
  return f.concat(f.ltrim(dialect === 'mssql' ? 'LOWER(CAST(command_line AS NVARCHAR(MAX)))' : 'lower(command_line)'), "' '");
}

/** `WITH RECURSIVE` where the keyword is needed (PostgreSQL) and allowed (SQLite); SQL Server refuses it. */
export function withRecursive(dialect: Dialect): string {
  return dialect === 'mssql' ? 'WITH' : 'WITH RECURSIVE';
}

/**
 * The recursive CTE `launches` (under {@link withRecursive}): for each
 * CONTAINER_EXEC of the last :days days, its command line read one word a
 * row: `word`, and `rest`, the words after it, ending in a space (so that no
 * step copies the text to append one). `state` is what `word` is: `cmd` a
 * program; a launcher's name, one of its options or operands; `skip:<state>`
 * an option's argument, then `<state>`; `python` code, where `pty.spawn(`
 * names the program. A state ending in `+` opens a shell when no word
 * follows (`su -`, `sudo -i`, `chroot /`). It ends at `shell` (a shell
 * opened) or `no`.
 */
export function launchesCte(dialect: Dialect): string {
  const f = sqlText(dialect);
  const command = lowerCommand(dialect);
  // Only the command lines a launcher starts: the first word decides the others (shellOpened).
  // Walking all 200 000 of a benchmark took 1.9 s on PostgreSQL, three times the rest of the report.
  const launched = `(${commandProgram(dialect)} IN (${['busybox', ...Object.keys(SHELL_LAUNCHERS)].map((n) => `'${n}'`).join(', ')}) OR ${commandProgram(dialect)} LIKE 'python%')`;
  return `launches (id, word, rest, state, step) AS (
  SELECT id, ${f.cast(f.firstWord(command))}, ${f.cast(f.afterFirstWord(command))}, ${f.state("'cmd'")}, 0
  FROM ${eventsTable(dialect)}
  WHERE event_type = 'CONTAINER_EXEC'
    AND ${sinceDays(dialect, 'event_timestamp', 'days')}
    AND ${launched}
  UNION ALL
  SELECT id, ${f.cast(f.firstWord('rest'))}, ${f.cast(f.afterFirstWord('rest'))},
         ${f.state(nextState(f))},
         step + 1
  FROM launches
  WHERE state NOT IN ('shell', 'no') AND step < ${MAX_WORDS}
)`;
}

/** The state after `word` (`''` when the command line has ended) in `state`. */
function nextState(f: SqlText): string {
  const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
  const names = Object.keys(SHELL_LAUNCHERS);
  const entered = (name: string) => (SHELL_LAUNCHERS[name]!.bare ? `${name}+` : name);
  const byProgram = names.filter((n) => SHELL_LAUNCHERS[n]!.operand === 'program');
  const base = f.baseName('word');
  // The program a word names: a shell, a launcher (in its first state), or nothing that opens one. A
  // simple CASE takes the base name once, and only of a word read as a program (taking it of every
  // word made the walk 2.3x slower on SQLite). Python only when its code calls pty.spawn.
  const program = `CASE ${base} ${[...SHELLS, ...SHELL_OPENERS].map((s) => `WHEN '${s}' THEN 'shell'`).join(' ')}
              WHEN 'busybox' THEN 'cmd'
${names.map((n) => `              WHEN '${n}' THEN '${entered(n)}'`).join('\n')}
              ELSE CASE WHEN ${base} LIKE 'python%' AND ${f.position('rest', "'pty.spawn('")} > 0 THEN 'python' ELSE 'no' END END`;
  // What pty.spawn('/bin/bash') or pty.spawn(["bash", "-i"]) runs: its first word, quotes and brackets read as spaces.
  const quotes = ["''''", `'"'`, "'['", "','"];
  const spawnArg = quotes.reduce((t, c) => `replace(${t}, ${c}, ' ')`, f.from('word', `${f.position('word', "'pty.spawn('")} + 10`));
  const spawned = f.baseName(f.firstWord(f.concat(f.ltrim(spawnArg), "' '")));
  return `CASE WHEN state LIKE 'skip:%' THEN CASE WHEN word = '' THEN 'no' ELSE ${f.from('state', '6')} END
         WHEN word = '' THEN CASE WHEN state LIKE '%+' THEN 'shell' ELSE 'no' END
         WHEN state = 'python' THEN CASE WHEN ${f.position('word', "'pty.spawn('")} > 0 AND ${spawned} IN (${list(SHELLS)}) THEN 'shell' ELSE 'python' END
         WHEN state IN ('cmd', 'cmd+')
           OR (state IN (${list(byProgram.map(entered).concat(byProgram.filter((n) => SHELL_LAUNCHERS[n]!.shell).map((n) => `${n}+`)))}) AND word NOT LIKE '-%' AND (state <> 'env' OR word NOT LIKE '%=%'))
         THEN ${program}
${names.map((n) => optionStep(f, n)).filter(Boolean).map((w) => `         ${w}`).join('\n')}
         ELSE 'no' END`;
}

/** `WHEN state IN (...) THEN ...`: the step through one of `name`'s options or operands (a program is read by {@link nextState}). */
function optionStep(f: SqlText, name: string): string {
  const l = SHELL_LAUNCHERS[name]!;
  const plus = (s: string) => `${s}+`;
  const states = l.operand === 'user' ? [plus(name), plus(`${name}-user`)] : l.bare ? [plus(name)] : l.shell ? [name, plus(name)] : [name];
  // An option word, or a short one as the last of two letters (`-iu`, `-lc`).
  // One IN list each, not a comparison per option: PostgreSQL's JIT compiled the longer CASE for
  // longer than the report then ran.
  const option = (opts: readonly string[]) => {
    const letters = opts.filter((o) => /^-[a-z]$/.test(o)).map((o) => `'${o[1]}'`);
    const cluster = letters.length ? ` OR (word LIKE '-__' AND ${f.from('word', '3')} IN (${letters.join(', ')}))` : '';
    return `(word IN (${opts.map((o) => `'${o}'`).join(', ')})${cluster})`;
  };
  const when: string[] = [];
  // After `--`, the next word is an operand even if it starts with `-`.
  const afterProgram = states.every((s) => s.endsWith('+')) ? "'cmd+'" : states.some((s) => s.endsWith('+')) ? "CASE WHEN state LIKE '%+' THEN 'cmd+' ELSE 'cmd' END" : "'cmd'";
  const dashes = { program: afterProgram, duration: "'skip:cmd'", directory: "'skip:cmd+'", user: 'state', file: 'state' }[l.operand];
  if (dashes !== 'state') when.push(`WHEN word = '--' THEN ${dashes}`);
  if (l.command) {
    when.push(`WHEN ${option(l.command)} THEN 'cmd'`);
    // The command attached to its option (`-cls`, `--command=ls`) is not read: no shell, rather than su's or script's own.
    when.push(`WHEN ${l.command.map((o) => (o.startsWith('--') ? `word LIKE '${o}=%'` : `word LIKE '${o}_%'`)).join(' OR ')} THEN 'no'`);
  }
  const shellFlag = l.shell?.map((o) => (o.startsWith('--') ? `word = '${o}'` : `word LIKE '${o}%'`)).join(' OR ');
  if (l.args) when.push(`WHEN ${option(l.args)} THEN ${f.concat("'skip:'", shellFlag ? `CASE WHEN ${shellFlag} THEN '${plus(name)}' ELSE state END` : 'state')}`);
  if (shellFlag) when.push(`WHEN ${shellFlag} THEN '${plus(name)}'`);
  // Other options keep the state; an operand that is the program was read by nextState.
  const operand = { program: 'state', duration: "'cmd'", directory: "'cmd+'", user: `CASE WHEN state = '${plus(name)}' THEN '${plus(`${name}-user`)}' ELSE 'no' END`, file: 'state' }[l.operand];
  if (operand !== 'state') when.push(`WHEN word LIKE '-%' THEN state`);
  if (when.length === 0) return '';
  return `WHEN state IN (${states.map((s) => `'${s}'`).join(', ')}) THEN CASE ${when.join(' ')} ELSE ${operand} END`;
}

/** The string functions the CTE is written with, per dialect. */
interface SqlText {
  /** Text up to the first space of `text`, which ends in a space or is empty. */
  firstWord(text: string): string;
  /** Text after the first space of `text` (which ends in a space), without leading spaces. */
  afterFirstWord(text: string): string;
  /** Text after the last `/` of `path` (all of it when there is none). */
  baseName(path: string): string;
  /** `text` without leading spaces. */
  ltrim(text: string): string;
  /** Where `needle` first starts in `text`, 0 when nowhere. */
  position(text: string, needle: string): string;
  /** `text` from character `start` on. */
  from(text: string, start: string): string;
  concat(a: string, b: string): string;
  /** A text column of the CTE: SQL Server wants one type in both of its parts. */
  cast(text: string): string;
  /** The state column, likewise. */
  state(text: string): string;
}

function sqlText(dialect: Dialect): SqlText {
  switch (dialect) {
    case 'mssql':
      return {
        // `+ ' '` for the empty rest: LEFT's length -1 is an error that stops the whole report.
        firstWord: (t) => `LEFT(${t}, CHARINDEX(' ', ${t} + ' ') - 1)`,
        afterFirstWord: (t) => `LTRIM(SUBSTRING(${t}, CHARINDEX(' ', ${t}) + 1, 4000))`,
        baseName: (p) => `RIGHT(${p}, CHARINDEX('/', REVERSE(${p}) + '/') - 1)`,
        ltrim: (t) => `LTRIM(${t})`,
        position: (t, n) => `CHARINDEX(${n}, ${t})`,
        from: (t, s) => `SUBSTRING(${t}, ${s}, 4000)`,
        concat: (a, b) => `${a} + ${b}`,
        cast: (t) => `CAST(${t} AS NVARCHAR(MAX))`,
        state: (t) => `CAST(${t} AS VARCHAR(32))`,
      };
    case 'postgres':
      return {
        firstWord: (t) => `split_part(${t}, ' ', 1)`,
        afterFirstWord: (t) => `ltrim(substr(${t}, strpos(${t}, ' ') + 1))`,
        baseName: (p) => `regexp_replace(${p}, '^.*/', '')`,
        ltrim: (t) => `ltrim(${t})`,
        position: (t, n) => `strpos(${t}, ${n})`,
        from: (t, s) => `substr(${t}, ${s})`,
        concat: (a, b) => `${a} || ${b}`,
        cast: (t) => t,
        state: (t) => `CAST(${t} AS TEXT)`,
      };
    case 'sqlite':
      return {
        firstWord: (t) => `substr(${t}, 1, instr(${t}, ' ') - 1)`,
        afterFirstWord: (t) => `ltrim(substr(${t}, instr(${t}, ' ') + 1))`,
        // No reverse search: rtrim strips the trailing characters that are not `/`, which leaves the
        // directory part, whose length is where the name starts.
        baseName: (p) => `substr(${p}, length(rtrim(${p}, replace(${p}, '/', ''))) + 1)`,
        ltrim: (t) => `ltrim(${t})`,
        position: (t, n) => `instr(${t}, ${n})`,
        from: (t, s) => `substr(${t}, ${s})`,
        concat: (a, b) => `${a} || ${b}`,
        cast: (t) => t,
        state: (t) => t,
      };
  }
}
