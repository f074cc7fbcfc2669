import type { Dialect } from './columns.js';
import { eventsTable, jsonTrue, sinceDays } from './query-sql.js';

/**
 * Which command lines open a shell, for the shell reports. Docker's event
 * stream carries no TTY flag, so a shell opened by `docker exec -it` is known
 * by its command line alone: a shell, or a program that opens one (`su`,
 * `login`), or a launcher that runs one (`sudo -u app bash`, `timeout 3600
 * bash`, `chroot / bash`, `gosu app bash`). The CTE `launches` reads each
 * command line word by word, as the launchers themselves parse it (POSIX
 * getopt: `-Hiu app` is `-H -i -u app`), in SQL that runs alike on SQLite,
 * PostgreSQL and SQL Server: no regular expressions (SQLite's core and SQL
 * Server have none), only string functions and a recursive CTE. Words are
 * compared in lower case (SQL Server compares text case-insensitively), so
 * options are too: `sudo -S` reads as `sudo -s`.
 */

/**
 * Shells whose start counts as "a shell was opened", by name or by path
 * (`/bin/bash -l`), in any case. PowerShell (`pwsh` on Linux too) and cmd:
 * `docker exec -it win powershell` was no shell (found by a probe); a
 * Windows path (`C:\Windows\System32\cmd.exe`) is not split at `\`.
 */
export const SHELLS = ['sh', 'bash', 'rbash', 'ash', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'pwsh', 'pwsh.exe', 'powershell', 'powershell.exe', 'cmd', 'cmd.exe'] as const;

/**
 * Programs that open a shell themselves, whatever their arguments: `login -f
 * root`, `newgrp` (a new shell with another group), and the terminal
 * multiplexers tmux and screen, whose sessions run shells (their listing
 * commands, `tmux ls`, count too: in a container they are rare, and a
 * missed shell costs more than a second look).
 */
export const SHELL_OPENERS = ['login', 'newgrp', 'tmux', 'screen'] as const;

/**
 * How a launcher's first word that is no option is read: `program`, the
 * program it runs; `word` (timeout's duration, gosu's user) or `directory`
 * (chroot), then the program; `user` (su), then arguments for the shell,
 * which make it run a script, not an interactive shell; `file` (script's
 * typescript), ignored.
 */
type Operand = 'program' | 'word' | 'directory' | 'user' | 'file';

/** How a launcher takes its options and the program it runs (util-linux, coreutils, sudo). */
interface Launcher {
  /** Options whose argument is the next word, or the rest of its word when short (`-uapp`). */
  args?: readonly string[];
  /** Options whose argument is the command run (`su -c bash`, `script -c bash`); given attached (`--command=ls`, `-cls`), it is not read. */
  command?: readonly string[];
  /** Options after which it opens a shell when no program follows (`sudo -i`, `sudo -s`). */
  shell?: readonly string[];
  /**
   * Options whose argument is the user, after which the first operand is the
   * program (`runuser -u app ls`), read as the launcher `<name> <option>` of
   * {@link LAUNCHER_MODES}; without one, the first operand is the user, as su
   * reads it (`runuser -l app`).
   */
  asUser?: readonly string[];
  operand: Operand;
  /**
   * How the words after a `word` operand are read, when the launcher takes
   * options there too: `flock FILE -c CMD`, `sg GROUP -c CMD`. Read as the
   * launcher `<name> operand` of {@link LAUNCHER_MODES}; without it, the
   * next word is the program.
   */
  then?: Launcher;
  /** Given no program, it opens a shell: su, script, nsenter, unshare, and chroot once it has its directory. */
  bare?: boolean;
}

/**
 * The launchers. `busybox` runs the applet its next word names and `python`
 * what `pty.spawn(...)` names in its code; they are read apart (see
 * {@link launchesCte}). Not read: env's `-S` with options in its string,
 * options after the program's name (`sudo bash` is a shell whatever
 * follows), `unshare -R dir`, which reads in lower case as `-r` (no
 * argument), so `dir` is taken for the program, and likewise `flock -E 1`
 * (read as `-e`, no argument) and chrt's `-p`/`-d` (no argument, read as
 * `-P`/`-D`, which take one).
 */
export const SHELL_LAUNCHERS: Readonly<Record<string, Launcher>> = {
  env: { args: ['-u', '--unset', '-c', '--chdir'], command: ['-s', '--split-string'], operand: 'program' },
  sudo: {
    args: ['-u', '--user', '-g', '--group', '-p', '--prompt', '-r', '--role', '-t', '--type', '-c', '--close-from', '-d', '--chdir', '--chroot', '--command-timeout', '--other-user', '--host'],
    shell: ['-i', '-s', '--login', '--shell'],
    operand: 'program',
  },
  // OpenBSD's doas, also in Alpine and Debian: `doas -s` runs the user's shell.
  doas: { args: ['-a', '-c', '-u'], shell: ['-s'], operand: 'program' },
  su: { args: ['-s', '--shell', '-g', '--group', '--supp-group', '-w', '--whitelist-environment'], command: ['-c', '--command', '--session-command'], operand: 'user', bare: true },
  // util-linux runuser: `runuser -u app cmd` runs cmd, `runuser [-l] app` opens app's shell as su does.
  runuser: {
    args: ['-g', '--group', '--supp-group', '-s', '--shell', '-w', '--whitelist-environment'],
    command: ['-c', '--command', '--session-command'],
    asUser: ['-u', '--user'],
    operand: 'user',
    bare: true,
  },
  // The setuid helpers of container entrypoints: `gosu user[:group] cmd`, `su-exec user[:group] cmd`.
  gosu: { operand: 'word' },
  'su-exec': { operand: 'word' },
  setsid: { operand: 'program' },
  nice: { args: ['-n', '--adjustment'], operand: 'program' },
  nohup: { operand: 'program' },
  timeout: { args: ['-s', '--signal', '-k', '--kill-after'], operand: 'word' },
  stdbuf: { args: ['-i', '--input', '-o', '--output', '-e', '--error'], operand: 'program' },
  nsenter: { args: ['-t', '--target', '-s', '--setuid', '-g', '--setgid'], operand: 'program', bare: true },
  // Given no program, unshare runs $SHELL. `-S`/`-G` read as `-s`/`-g`; `-R`, see above.
  unshare: {
    args: ['-s', '--setuid', '-g', '--setgid', '-w', '--wd', '--root', '--map-user', '--map-group', '--map-users', '--map-groups', '--propagation', '--setgroups', '--monotonic', '--boottime'],
    operand: 'program',
    bare: true,
  },
  chroot: { args: ['--userspec', '--groups'], operand: 'directory' },
  script: { command: ['-c', '--command'], operand: 'file', bare: true },
  // util-linux: `ionice -c3 bash`, `taskset -c 0 bash` (its mask or CPU list, then the program),
  // `chrt -f 1 bash` (its priority), `flock /tmp/l bash` (its lock file; `-c` a command),
  // `setpriv --reuid=0 bash`; `sg wheel bash` (shadow). Found by a probe.
  ionice: { args: ['-c', '--class', '-n', '--classdata'], operand: 'program' },
  taskset: { operand: 'word' },
  chrt: { args: ['-t', '--sched-runtime', '-p', '--sched-period', '-d', '--sched-deadline'], operand: 'word' },
  // flock's -E (an exit code) reads in lower case as -e (an exclusive lock, no argument), the common one: taken as that.
  flock: { args: ['-w', '--timeout', '--wait', '--conflict-exit-code'], command: ['-c', '--command'], operand: 'word', then: { command: ['-c', '--command'], operand: 'program' } },
  setpriv: {
    args: ['--reuid', '--regid', '--ruid', '--rgid', '--euid', '--egid', '--groups', '--inh-caps', '--ambient-caps', '--bounding-set', '--securebits', '--pdeathsig', '--selinux-label', '--apparmor-profile', '--landlock-access', '--landlock-rule'],
    operand: 'program',
  },
  sg: { command: ['-c'], operand: 'word', then: { command: ['-c'], operand: 'program' } },
  // The init processes of container entrypoints: `tini -- bash`, `dumb-init bash`.
  tini: { args: ['-e', '-p'], operand: 'program' },
  'dumb-init': { args: ['-r', '--rewrite'], operand: 'program' },
  // expect's unbuffer, and xargs and watch, which run the program they are given. xargs's
  // `-I {}`, `-L 1`, `-E eof` and `-P 4` are written in lower case, as words are read: written
  // `-I`, they matched no word on SQLite and PostgreSQL (`xargs -I {} bash -c ...` was no shell
  // there) and `-i` on SQL Server (found by a review). So `-i`, `-l`, `-e` (GNU: an argument
  // attached, or none) and `-p` (no argument) read as them, as `unshare -R` above.
  unbuffer: { operand: 'program' },
  xargs: { args: ['-a', '--arg-file', '-d', '--delimiter', '-e', '-i', '-l', '--max-lines', '-n', '--max-args', '-p', '--max-procs', '-s', '--max-chars', '--process-slot-var'], operand: 'program' },
  watch: { args: ['-n', '--interval', '-q', '--equexit'], operand: 'program' },
};

/**
 * A launcher read another way after one of its {@link Launcher.asUser}
 * options: `runuser -u` takes the program as its operand, as sudo does.
 * Entered only through that option, never by a program's name.
 */
const LAUNCHER_MODES: Readonly<Record<string, Launcher>> = Object.fromEntries(
  Object.entries(SHELL_LAUNCHERS).flatMap(([name, l]) => [
    ...(l.asUser ? [[`${name} ${l.asUser[0]}`, { args: l.args, operand: 'program' } satisfies Launcher]] : []),
    ...(l.then ? [[`${name} operand`, l.then]] : []),
  ]),
);

/** Every launcher and mode, by the state that reads its options. */
const READERS: Readonly<Record<string, Launcher>> = { ...SHELL_LAUNCHERS, ...LAUNCHER_MODES };

/**
 * How many steps a command line is read for at most: a word each, and one
 * more per letter of an option cluster (`-Hiu`). SQL Server stops a recursion
 * at 100.
 */
export const MAX_STEPS = 48;

/**
 * How many characters of a command line are read at most. Each step copies
 * the words it has not read yet (`rest`): of a 4000-character line (the most
 * stored, MAX_COMMAND_LINE_LENGTH) of short words (`env A=1 A=1 ... ls`),
 * the 48 steps took 0.6 ms a line on SQLite and 1.5 ms on PostgreSQL, 4 and
 * 8 times what they took of a 400-character one (found by a probe). Read of
 * its first 512, a line costs at most MAX_STEPS copies of 512 characters,
 * whatever its length.
 */
export const MAX_CHARS = 512;

/**
 * Whether the walk goes on past a row of `launches` that is not decided yet:
 * it has read fewer than {@link MAX_STEPS} words (or the line has ended: the
 * step after it decides), and the word it reads is not the last of a
 * command line cut at {@link MAX_CHARS} (it may be cut, and what follows is
 * not read).
 */
const GOES_ON = `(step < ${MAX_STEPS} OR word = '') AND (more = 0 OR rest <> '')`;

/**
 * The launches rows where the walk stopped undecided, at {@link MAX_STEPS}
 * or {@link MAX_CHARS}: a command line of launchers longer than the reports
 * read (`env A=1 A=1 ... bash`, `nice -n 1 -n 1 ... bash`). It counts as a
 * shell (fails closed), marked `unresolved`: reading no further is no proof
 * that no shell follows, and a line padded to be cut would hide one.
 */
const UNRESOLVED = `state NOT IN ('shell', 'no') AND NOT (${GOES_ON})`;

/**
 * A CONTAINER_EXEC that opened a shell: a TTY or interactive session, or a
 * command line whose first word names a shell or opener (`program`, from
 * {@link commandProgram}), or that {@link launchesCte} finds opens one
 * through a launcher, or cannot tell ({@link shellUnresolved}). Reads the
 * rows of `eventsWithDoc`.
 */
export function shellOpened(dialect: Dialect): string {
  return `(${jsonTrue(dialect, 'process.tty', 'doc')}
      OR ${jsonTrue(dialect, 'process.interactive', 'doc')}
      OR program IN (${[...SHELLS, ...SHELL_OPENERS].map((s) => `'${s}'`).join(', ')})
      OR id IN (SELECT id FROM launches WHERE state = 'shell' OR (${UNRESOLVED})))`;
}

/**
 * The `unresolved` column of a row {@link shellOpened} counts: 1 when it
 * counts only because its launchers were not read to their end (see
 * {@link UNRESOLVED}), 0 when it opened a shell: a TTY or interactive
 * session, a shell named. A command line's walk ends one way only, and one
 * whose first word is a shell is not walked.
 */
export function shellUnresolved(dialect: Dialect): string {
  return `CASE WHEN ${jsonTrue(dialect, 'process.tty', 'doc')} THEN 0
              WHEN ${jsonTrue(dialect, 'process.interactive', 'doc')} THEN 0
              WHEN id IN (SELECT id FROM launches WHERE ${UNRESOLVED}) THEN 1 ELSE 0 END`;
}

/** The base name of the first word of `command_line`, in lower case: the program it starts. */
export function commandProgram(dialect: Dialect): string {
  const f = sqlText(dialect);
  return f.baseName(f.firstWord(lowerCommand(dialect)));
}

/**
 * `command_line` in lower case, without leading spaces, ending in a space. On
 * SQL Server as NVARCHAR(MAX): appending a space to a full NVARCHAR(4000)
 * would be cut back to 4000 characters. On PostgreSQL under the "C"
 * collation, which folds ASCII letters only, as SQLite's lower() does: under
 * the database's UTF-8 collation the KELVIN SIGN (U+212A) became `k`, so
 * `\u212Ash`, which runs nothing, was a ksh there and not on SQLite (found by
 * a probe). Program names are ASCII.
 */
function lowerCommand(dialect: Dialect): string {
  const f = sqlText(dialect);
  const lower = dialect === 'mssql' ? 'LOWER(CAST(command_line AS NVARCHAR(MAX)))' : dialect === 'postgres' ? 'lower(command_line COLLATE "C")' : 'lower(command_line)';
  return f.concat(f.ltrim(lower), "' '");
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
 * opened) or `no`, or undecided at {@link MAX_STEPS} or at the end of the
 * first {@link MAX_CHARS} characters, the most it reads: `more` is 0 when
 * they hold the whole command line, 1 when it goes on, 2 when it goes on and
 * has `pty.spawn(` (python's code is read on when that is not within them).
 */
export function launchesCte(dialect: Dialect): string {
  const f = sqlText(dialect);
  const command = lowerCommand(dialect);
  // Only the command lines a launcher starts: the first word decides the others (shellOpened).
  // Walking all 200 000 of a benchmark took 1.9 s on PostgreSQL, three times the rest of the report.
  const launched = `(${commandProgram(dialect)} IN (${list(['busybox', ...Object.keys(SHELL_LAUNCHERS)])}) OR ${commandProgram(dialect)} LIKE 'python%')`;
  // A cluster of short options is read as getopt reads it: a step takes its first letter as a
  // word of its own and puts the other letters back as the next word (`-Hiu app`: `-H`, then
  // `-iu app`); the state stays. An option that takes an argument keeps the rest of its word.
  const split = splitsCluster(f);
  // The first MAX_CHARS characters, ending in a space as `rest` does (the line may be cut in a word).
  const read = f.concat(f.at(command, '1', String(MAX_CHARS)), "' '");
  const more = `CASE WHEN ${f.trimmedLength(command)} <= ${MAX_CHARS} THEN 0 WHEN ${f.position(command, "'pty.spawn('")} > 0 THEN 2 ELSE 1 END`;
  return `launches (id, word, rest, state, step, more) AS (
  SELECT id, ${f.cast(f.firstWord(read))}, ${f.cast(f.afterFirstWord(read))}, ${f.state("'cmd'")}, 0, ${more}
  FROM ${eventsTable(dialect)}
  WHERE event_type = 'CONTAINER_EXEC'
    AND ${sinceDays(dialect, 'event_timestamp', 'days')}
    AND ${launched}
  UNION ALL
  SELECT id,
         ${f.cast(`CASE WHEN ${split} THEN ${f.at('word', '1', '2')} ELSE ${f.firstWord('rest')} END`)},
         ${f.cast(`CASE WHEN ${split} THEN ${f.concat(f.concat("'-'", f.from('word', '3')), f.concat("' '", 'rest'))} ELSE ${f.afterFirstWord('rest')} END`)},
         ${f.state(`CASE WHEN ${split} THEN state ELSE ${nextState(f)} END`)},
         step + 1,
         more
  FROM launches
  WHERE state NOT IN ('shell', 'no') AND ${GOES_ON}
)`;
}

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
const plus = (s: string) => `${s}+`;

/** The states in which `name` (a launcher or mode) reads its options and operands. */
function statesOf(name: string): string[] {
  const l = READERS[name]!;
  return l.operand === 'user' ? [plus(name), plus(`${name}-user`)] : l.bare ? [plus(name)] : l.shell ? [name, plus(name)] : [name];
}

/** The state `name` is entered in: a launcher that opens a shell given no program ends in `+`. */
const entered = (name: string) => (READERS[name]!.bare ? plus(name) : name);

/** `word` is one of `opts` with its argument attached: `--command=ls`, `-cls`. */
const attached = (opts: readonly string[]) => opts.map((o) => (o.startsWith('--') ? `word LIKE '${o}=%'` : `word LIKE '${o}_%'`)).join(' OR ');

/** Short options given as letters (`-u` as `u`). */
const letters = (opts: readonly string[] = []) => opts.filter((o) => /^-[a-z]$/.test(o)).map((o) => o[1]!);

/** Whether `word` is a cluster of short options (`-Hiu`) whose first letter takes no argument, in a launcher's state. */
function splitsCluster(f: SqlText): string {
  const readers = Object.keys(READERS).map((n) => {
    const l = READERS[n]!;
    const taking = [...letters(l.args), ...letters(l.command), ...letters(l.asUser)];
    return `(state IN (${list(statesOf(n))})${taking.length ? ` AND ${f.at('word', '2', '1')} NOT IN (${list(taking)})` : ''})`;
  });
  return `(word LIKE '-__%' AND word NOT LIKE '--%' AND (${readers.join(' OR ')}))`;
}

/** The state after `word` (`''` when the command line has ended) in `state`. */
function nextState(f: SqlText): string {
  const names = Object.keys(SHELL_LAUNCHERS);
  const byProgram = Object.keys(READERS).filter((n) => READERS[n]!.operand === 'program');
  const base = f.baseName('word');
  // The program a word names: a shell, a launcher (in its first state), or nothing that opens one. A
  // simple CASE takes the base name once, and only of a word read as a program (taking it of every
  // word made the walk 2.3x slower on SQLite). Python only when its code calls pty.spawn.
  const program = `CASE ${base} ${[...SHELLS, ...SHELL_OPENERS].map((s) => `WHEN '${s}' THEN 'shell'`).join(' ')}
              WHEN 'busybox' THEN 'cmd'
${names.map((n) => `              WHEN '${n}' THEN '${entered(n)}'`).join('\n')}
              ELSE CASE WHEN ${base} LIKE 'python%' AND (${f.position('rest', "'pty.spawn('")} > 0 OR more = 2) THEN 'python' ELSE 'no' END END`;
  // What pty.spawn('/bin/bash') or pty.spawn(["bash", "-i"]) runs: its first word, quotes and brackets read as spaces.
  const quotes = ["''''", `'"'`, "'['", "','"];
  const spawnArg = quotes.reduce((t, c) => `replace(${t}, ${c}, ' ')`, f.from('word', `${f.position('word', "'pty.spawn('")} + 10`));
  const spawned = f.baseName(f.firstWord(f.concat(f.ltrim(spawnArg), "' '")));
  return `CASE WHEN state LIKE 'skip:%' THEN CASE WHEN word = '' THEN 'no' ELSE ${f.from('state', '6')} END
         WHEN word = '' THEN CASE WHEN state LIKE '%+' THEN 'shell' ELSE 'no' END
         WHEN state = 'python' THEN CASE WHEN ${f.position('word', "'pty.spawn('")} > 0 AND ${spawned} IN (${list(SHELLS)}) THEN 'shell' ELSE 'python' END
         WHEN state IN ('cmd', 'cmd+')
           OR (state IN (${list(byProgram.flatMap(statesOf))}) AND word NOT LIKE '-%' AND (state <> 'env' OR word NOT LIKE '%=%'))
         THEN ${program}
${Object.keys(READERS).map((n) => optionStep(f, n)).filter(Boolean).map((w) => `         ${w}`).join('\n')}
         ELSE 'no' END`;
}

/** `WHEN state IN (...) THEN ...`: the step through one of `name`'s options or operands (a program is read by {@link nextState}). */
function optionStep(f: SqlText, name: string): string {
  const l = READERS[name]!;
  const states = statesOf(name);
  // One IN list each, not a comparison per option: PostgreSQL's JIT compiled the longer CASE for
  // longer than the report then ran.
  const option = (opts: readonly string[]) => `word IN (${list(opts)})`;
  const when: string[] = [];
  // After `--`, the next word is an operand even if it starts with `-`.
  const afterProgram = states.every((s) => s.endsWith('+')) ? "'cmd+'" : states.some((s) => s.endsWith('+')) ? "CASE WHEN state LIKE '%+' THEN 'cmd+' ELSE 'cmd' END" : "'cmd'";
  // After a `word` operand: the next word is the program, or the launcher reads more options (flock FILE -c CMD).
  const afterWord = l.then ? `'${entered(`${name} operand`)}'` : "'cmd'";
  const dashes = { program: afterProgram, word: `'skip:${afterWord.slice(1)}`, directory: "'skip:cmd+'", user: 'state', file: 'state' }[l.operand];
  if (dashes !== 'state') when.push(`WHEN word = '--' THEN ${dashes}`);
  if (l.command) {
    when.push(`WHEN ${option(l.command)} THEN 'cmd'`);
    // The command attached to its option (`-cls`, `--command=ls`) is not read: no shell, rather than su's or script's own.
    when.push(`WHEN ${attached(l.command)} THEN 'no'`);
  }
  if (l.asUser) {
    const mode = entered(`${name} ${l.asUser[0]}`);
    when.push(`WHEN ${option(l.asUser)} THEN 'skip:${mode}'`);
    // The user attached (`-uapp`, `--user=app`): the mode at once (found by a review).
    when.push(`WHEN ${attached(l.asUser)} THEN '${mode}'`);
  }
  if (l.args) when.push(`WHEN ${option(l.args)} THEN ${f.concat("'skip:'", 'state')}`);
  if (l.shell) when.push(`WHEN ${option(l.shell)} THEN '${plus(name)}'`);
  // Other options keep the state; an operand that is the program was read by nextState.
  const operand = { program: 'state', word: afterWord, directory: "'cmd+'", user: `CASE WHEN state = '${plus(name)}' THEN '${plus(`${name}-user`)}' ELSE 'no' END`, file: 'state' }[l.operand];
  if (operand !== 'state') when.push(`WHEN word LIKE '-%' THEN state`);
  if (when.length === 0) return '';
  return `WHEN state IN (${list(states)}) THEN CASE ${when.join(' ')} ELSE ${operand} END`;
}

/** The string functions the CTE is written with, per dialect. */
interface SqlText {
  /** Text up to the first space of `text`, which ends in a space or is empty. */
  firstWord(text: string): string;
  /** Text after the first space of `text` (which ends in a space), without leading spaces. */
  afterFirstWord(text: string): string;
  /**
   * The base name of the word `path`, in lower case: the text after its last
   * `/`, taken of its last {@link BASE_NAME_TAIL} characters (see there).
   */
  baseName(path: string): string;
  /** `text` without leading spaces. */
  ltrim(text: string): string;
  /** The length of `text` without its trailing spaces (SQL Server's LEN leaves them out by itself). */
  trimmedLength(text: string): string;
  /** Where `needle` first starts in `text`, 0 when nowhere. */
  position(text: string, needle: string): string;
  /** `text` from character `start` on. */
  from(text: string, start: string): string;
  /** `length` characters of `text` from character `start`. */
  at(text: string, start: string, length: string): string;
  concat(a: string, b: string): string;
  /** A text column of the CTE: SQL Server wants one type in both of its parts. */
  cast(text: string): string;
  /** The state column, likewise. */
  state(text: string): string;
}

/**
 * How many characters of a word's end its base name is read from: more than
 * any program name the reports compare has (`powershell.exe`, `python3.12`).
 * SQLite has no reverse search: its base name is `rtrim(p, replace(p, '/',
 * ''))`, whose time grows with the length of `p` times the number of
 * characters in its set, all of `p`'s: a word of 2000 `x` then 2000 `y` took
 * 8 ms, and 1000 execs of `sudo` and such a word 16.6 s (the first word of
 * every exec is read so; found by a probe). Read of the last 64, it is
 * bounded. A base name longer than 63 characters is read as the tail behind a
 * space, which names no program (a word has no space), on every database
 * alike.
 */
export const BASE_NAME_TAIL = 64;

function sqlText(dialect: Dialect): SqlText {
  const f = dialectText(dialect);
  return { ...f, baseName: (p) => f.afterLastSlash(f.concat("' '", f.right(f.concat("'/'", p), String(BASE_NAME_TAIL)))) };
}

/** The string functions of one dialect; `afterLastSlash` on a short text only (see {@link BASE_NAME_TAIL}). */
function dialectText(dialect: Dialect): Omit<SqlText, 'baseName'> & { afterLastSlash(text: string): string; right(text: string, length: string): string } {
  switch (dialect) {
    case 'mssql':
      return {
        // `+ ' '` for the empty rest: LEFT's length -1 is an error that stops the whole report.
        firstWord: (t) => `LEFT(${t}, CHARINDEX(' ', ${t} + ' ') - 1)`,
        afterFirstWord: (t) => `LTRIM(SUBSTRING(${t}, CHARINDEX(' ', ${t}) + 1, 4000))`,
        afterLastSlash: (p) => `RIGHT(${p}, CHARINDEX('/', REVERSE(${p}) + '/') - 1)`,
        right: (t, n) => `RIGHT(${t}, ${n})`,
        ltrim: (t) => `LTRIM(${t})`,
        trimmedLength: (t) => `LEN(${t})`,
        position: (t, n) => `CHARINDEX(${n}, ${t})`,
        from: (t, s) => `SUBSTRING(${t}, ${s}, 4000)`,
        at: (t, s, n) => `SUBSTRING(${t}, ${s}, ${n})`,
        concat: (a, b) => `${a} + ${b}`,
        cast: (t) => `CAST(${t} AS NVARCHAR(MAX))`,
        state: (t) => `CAST(${t} AS VARCHAR(32))`,
      };
    case 'postgres':
      return {
        firstWord: (t) => `split_part(${t}, ' ', 1)`,
        afterFirstWord: (t) => `ltrim(substr(${t}, strpos(${t}, ' ') + 1))`,
        afterLastSlash: (p) => `regexp_replace(${p}, '^.*/', '')`,
        right: (t, n) => `right(${t}, ${n})`,
        ltrim: (t) => `ltrim(${t})`,
        trimmedLength: (t) => `length(rtrim(${t}))`,
        position: (t, n) => `strpos(${t}, ${n})`,
        from: (t, s) => `substr(${t}, ${s})`,
        at: (t, s, n) => `substr(${t}, ${s}, ${n})`,
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
        afterLastSlash: (p) => `substr(${p}, length(rtrim(${p}, replace(${p}, '/', ''))) + 1)`,
        right: (t, n) => `substr(${t}, -${n})`,
        ltrim: (t) => `ltrim(${t})`,
        trimmedLength: (t) => `length(rtrim(${t}))`,
        position: (t, n) => `instr(${t}, ${n})`,
        from: (t, s) => `substr(${t}, ${s})`,
        at: (t, s, n) => `substr(${t}, ${s}, ${n})`,
        concat: (a, b) => `${a} || ${b}`,
        cast: (t) => t,
        state: (t) => t,
      };
  }
}
