// Usage mistakes that every command answers alike: one line on stderr naming
// the flag and the value (control characters escaped), exit 2, and nothing
// opened or created first.
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeEvents } from '../../ingest-sink/test/helpers/events.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPORT_ALIASES } from '../src/report/run-report.js';
import { runCli } from './support/run-cli.js';
import { tempDir } from '../../ingest-sink/test/helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-cli-usage-')));
afterEach(() => cleanup());

/** Any C0/C1 control character but the line feed that ends a message line. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('--as-of', () => {
  it('takes an RFC 3339 date-time with a time zone offset or Z, or "now"; anything else ("12", a date, no zone, February 30) is a usage error naming the flag and the value', async () => {
    for (const value of ['now', '2026-03-01T12:00:00Z', '2026-03-01t12:00:00.123456z', '2026-03-01T12:00:00+05:30', '2024-02-29T23:59:59-00:00']) {
      // Empty stdin: nothing to verify (exit 1), but the value was taken.
      const r = await runCli(['verify', '--as-of', value, '-']);
      expect({ value, code: r.code, err: r.err }).toEqual({ value, code: 1, err: expect.stringContaining('no signed chain in the input') });
    }
    for (const value of ['12', '2026-03-01', '2026-03-01T12:00:00', '2026-03-01 12:00:00Z', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T12:00:00+24:00', 'yesterday', '1741000000']) {
      const r = await runCli(['verify', '--as-of', value, '-']);
      expect({ value, code: r.code, out: r.out }).toEqual({ value, code: 2, out: '' });
      expect(r.err).toContain(`audit-trail verify: --as-of must be an RFC 3339 date-time with a time zone offset or Z (2026-03-01T12:00:00Z) or "now", got "${value}"\n`);
    }
  });
});

describe('integer flags', () => {
  it('--batch and the other integer flags of ingest, salvage, report and verify take whole numbers within bounds only: 1.5, 1e3, 0x10, 0 or too large is a usage error naming the flag and the value, before anything is created', async () => {
    const db = `sqlite:${join(dir, 'a.db')}`;
    const quarantine = join(dir, 'q.bad');
    writeFileSync(quarantine, 'not a spool record');
    const cases: [string[], string][] = [
      [['ingest', '--db', db, '--batch', '1.5', '-'], '--batch must be a whole number from 1 to 100000, got "1.5"'],
      [['ingest', '--db', db, '--batch', '1e3', '-'], '--batch must be a whole number from 1 to 100000, got "1e3"'],
      [['ingest', '--db', db, '--batch', '0x10', '-'], '--batch must be a whole number from 1 to 100000, got "0x10"'],
      [['ingest', '--db', db, '--batch', '0', '-'], '--batch must be a whole number from 1 to 100000, got "0"'],
      [['ingest', '--db', db, '--batch', '100001', '-'], '--batch must be a whole number from 1 to 100000, got "100001"'],
      [['salvage', '--db', db, '--batch', '1.5', quarantine], '--batch must be a whole number from 1 to 100000, got "1.5"'],
      // --dry-run checks the flags of the run it previews: it took a bad value with exit 0, and the real run then refused it.
      [['salvage', '--dry-run', '--batch', '0', quarantine], '--batch must be a whole number from 1 to 100000, got "0"'],
      [['report', 'failures', '--db', db, '--days', '99999999999999999999'], '--days must be a whole number from 1 to 36500, got "99999999999999999999"'],
      [['report', 'bursts', '--db', db, '--min-failures', '1'], '--min-failures must be a whole number from 2 to 1000000, got "1"'],
      [['verify', '--slack', '2.5', '-'], '--slack must be a whole number from 0 to 604800000, got "2.5"'],
      [['verify', '--key-steps', '1e6', '-'], '--key-steps must be a whole number from 0 to 1000000000000, got "1e6"'],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect({ argv, code: r.code, out: r.out, err: r.err }).toEqual({ argv, code: 2, out: '', err: `audit-trail ${argv[0]}: ${message}\nRun "audit-trail ${argv[0]} --help" for usage.\n` });
    }
    expect(readdirSync(dir)).toEqual(['q.bad']);
  });

  it('is a usage error, without the password, when a server URL is not written scheme://host: pg read it as another server and the password was printed', async () => {
    // `report` said "cannot open postgres:/u:PW@...", `ingest` summed up under the URL as given
    // (found by a probe): redactUrl looked for the password after `://` only.
    const quarantine = join(dir, 'q.bad');
    writeFileSync(quarantine, 'not a spool record');
    const commands: string[][] = [['migrate'], ['report', 'failures'], ['verify'], ['ingest', '-'], ['salvage', quarantine], ['serve', '--forward', '127.0.0.1:0', '--health', 'off']];
    for (const url of ['postgres:/audit:PWMARK_93x@127.0.0.1:1/audit', ' postgres://audit:PWMARK_93x@127.0.0.1:1/audit', 'mssql:sa:PWMARK_93x@127.0.0.1:1/audit']) {
      for (const [name, ...rest] of commands) {
        const r = await runCli([name!, '--db', url, ...rest], { stdin: '{}\n' });
        expect({ url, name, code: r.code, out: r.out }).toEqual({ url, name, code: 2, out: '' });
        expect(r.err).toMatch(/must start with (postgres|mssql):\/\//);
        expect(r.err).not.toContain('PWMARK');
      }
    }
    expect(readdirSync(dir)).toEqual(['q.bad']);
  });
});

describe('--db with a URL no driver takes', () => {
  it('is a usage error (exit 2) with the same message in every command, before anything is read or created', async () => {
    const quarantine = join(dir, 'q.bad');
    writeFileSync(quarantine, 'not a spool record');
    const commands: string[][] = [['migrate'], ['report', 'failures'], ['verify'], ['ingest', '-'], ['salvage', quarantine], ['serve', '--forward', '127.0.0.1:0', '--health', 'off']];
    for (const [name, ...rest] of commands) {
      const r = await runCli([name!, '--db', 'foo://x', ...rest]);
      expect({ name, code: r.code, out: r.out, err: r.err }).toEqual({
        name,
        code: 2,
        out: '',
        err: `audit-trail ${name}: unsupported database URL scheme "foo:" (expected sqlite:, postgres:// or mssql://)\nRun "audit-trail ${name} --help" for usage.\n`,
      });
    }
    expect(readdirSync(dir)).toEqual(['q.bad']);
  });
});

describe('report', () => {
  let server: Server;
  let connections = 0;
  let port: number;
  beforeEach(async () => {
    connections = 0;
    // A "database" that counts connections and hangs up on each.
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('checks its report name, flags and values before connecting to the database or creating a file', async () => {
    const url = `postgres://audit@127.0.0.1:${port}/audit`;
    const cases: [string[], string][] = [
      [['report', 'failures', '--db', url, '--days', '0'], '--days must be a whole number from 1 to 36500, got "0"'],
      [['report', 'bursts', '--db', url, '--window-minutes', '0'], '--window-minutes must be a whole number from 1 to 10080, got "0"'],
      [['report', 'failures', '--db', url, '--window-minutes', '5'], 'report "failures" has no --window-minutes option'],
      [['report', 'nosuch', '--db', url], 'unknown report "nosuch"'],
      [['report', 'failures', '--db', url, '--format', 'xml'], '--format must be one of table, csv, json, got "xml"'],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect({ argv, code: r.code, out: r.out }).toEqual({ argv, code: 2, out: '' });
      expect(r.err).toContain(`audit-trail report: ${message}`);
    }
    expect(connections).toBe(0);
    // The default database (sqlite:./audit.db, in the working directory) is not created either.
    const sqlite = join(dir, 'audit.db');
    const r = await runCli(['report', 'failures', '--db', `sqlite:${sqlite}`, '--days', '0']);
    expect(r.code).toBe(2);
    expect(existsSync(sqlite)).toBe(false);
  });
});

describe('echoed values', () => {
  it('are written with their control characters escaped in every error message: a report or command name, a flag value, an unknown option, a file name', async () => {
    const esc = '\u001b[2J\u001b]0;pwned\u0007\u009b31m';
    const cases: string[][] = [
      ['report', `x${esc}`, '--db', `sqlite:${join(dir, 'a.db')}`],
      [`x${esc}`],
      ['verify', '--as-of', esc, '-'],
      ['ingest', '--batch', esc, '-'],
      ['ingest', `--x${esc}`],
      ['verify', '--secret-file', esc, 'x.ndjson'],
      ['ingest', '--db', `sqlite:${join(dir, 'a.db')}`, join(dir, `missing${esc}.ndjson`)],
      ['salvage', '--dry-run', join(dir, `missing${esc}.bad`)],
      ['report', 'failures', esc],
    ];
    for (const argv of cases) {
      const r = await runCli(argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).not.toMatch(CONTROL);
      expect(r.err).toContain('\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m');
    }
  });
});

describe('audit-trail without arguments', () => {
  it('prints the help on stderr and exits 2 (a usage mistake); --help, -h and help print it on stdout and exit 0', async () => {
    const none = await runCli([]);
    expect(none).toEqual({ code: 2, out: '', err: expect.stringContaining('Usage: audit-trail <command> [options]') });
    for (const flag of ['--help', '-h', 'help']) {
      const asked = await runCli([flag]);
      expect(asked).toEqual({ code: 0, out: none.err, err: '' });
    }
    // The summary of report names every report (it named five of eight).
    const reportLine = none.err.split('\n').find((l) => l.trimStart().startsWith('report'))!;
    expect(reportLine.slice(reportLine.indexOf(':') + 1).split(',').map((n) => n.trim()).sort()).toEqual(Object.keys(REPORT_ALIASES).sort());
    // A name on Object.prototype is not a command either.
    expect(await runCli(['constructor'])).toMatchObject({ code: 2, out: '', err: expect.stringContaining('audit-trail: unknown command "constructor"') });
  });
});

describe('"--" ends the options', () => {
  const repo = resolve(import.meta.dirname, '../../..');
  /** The CLI as a process in `cwd` (a file named -h lives there, not in the repository), tsx loaded by path. */
  const runIn = (cwd: string, args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((done) => {
      const node = ['--import', pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href, '--conditions', '@audit-trail/source', join(repo, 'packages/cli/src/bin.ts')];
      execFile(process.execPath, [...node, ...args], { cwd, env: { ...process.env, AUDIT_TRAIL_DB_URL: '' } }, (err, out, errText) => done({ code: err ? Number(err.code) : 0, out, err: errText }));
    });

  it('a file named -h or --help after "--" is read, not taken for a request for help (which exited 0 without verifying or storing anything)', async () => {
    // Unsigned lines: verify must say nothing was verified (exit 1), not print its usage and exit 0.
    writeFileSync(join(dir, '-h'), `${makeEvents(3).map((e) => JSON.stringify(e)).join('\n')}\n`);
    writeFileSync(join(dir, '--help'), `${JSON.stringify(makeEvents(1)[0])}\n`);
    const verify = await runIn(dir, ['verify', '--', '-h']);
    expect(verify).toEqual({ code: 1, out: expect.not.stringContaining('Usage:'), err: 'audit-trail verify: no signed chain in the input (3 records, 3 unsigned, 0 other lines): nothing was verified\n' });
    const ingest = await runIn(dir, ['ingest', '--db', 'sqlite:./dash.db', '--', '-h', '--help']);
    expect(ingest).toEqual({ code: 0, out: 'sqlite:./dash.db: read 4, committed 4, duplicates 0, rejected 0\n', err: '' });
    // Before "--", -h still asks for help.
    expect(await runCli(['ingest', '-h', '--', 'x'])).toMatchObject({ code: 0, out: expect.stringContaining('Usage: audit-trail ingest') });
  }, 60_000);
});

describe('stdin that is a directory', () => {
  const repo = resolve(import.meta.dirname, '../../..');
  /** The CLI as a process whose stdin is the directory `stdinDir` (`audit-trail ingest < logs/`). */
  const runWithStdin = (stdinDir: string, args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((done) => {
      const fd = openSync(stdinDir, 'r');
      const node = ['--import', pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href, '--conditions', '@audit-trail/source', join(repo, 'packages/cli/src/bin.ts')];
      const child = spawn(process.execPath, [...node, ...args], { cwd: dir, stdio: [fd, 'pipe', 'pipe'], env: { ...process.env, AUDIT_TRAIL_DB_URL: '' } });
      closeSync(fd);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (err += d));
      child.on('close', (code) => done({ code, out, err }));
    });

  it('is a usage error naming stdin, as a directory named as FILE is, where Node read it as empty: ingest stored nothing and exited 0, verify said there was no chain', async () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const message = 'cannot read stdin: is a directory (EISDIR)';
    const ingest = await runWithStdin(logs, ['ingest', '--db', 'sqlite:./in.db']);
    expect(ingest).toEqual({ code: 2, out: '', err: `audit-trail ingest: ${message}\nRun "audit-trail ingest --help" for usage.\n` });
    // Checked with the files, before the database or its spool is created.
    expect(existsSync(join(dir, 'in.db'))).toBe(false);
    const verify = await runWithStdin(logs, ['verify', '-']);
    expect(verify).toEqual({ code: 2, out: '', err: `audit-trail verify: ${message}\nRun "audit-trail verify --help" for usage.\n` });
  }, 60_000);
});

describe('files that cannot be read', () => {
  it('are named with what is wrong in words and the system code, whatever the file is for: input, key, config, password (key and config files said only "ENOENT"; found by a probe)', async () => {
    const missing = '/nonexistent-at-dir/missing';
    const reason = 'no such file or directory (ENOENT)';
    expect((await runCli(['verify', '--secret-file', `k1=${missing}`, missing])).err).toContain(`cannot read key file ${missing}: ${reason}`);
    expect((await runCli(['serve', '--config', missing])).err).toContain(`cannot read config file ${missing}: ${reason}`);
    expect((await runCli(['ingest', '--db', 'postgres://u@127.0.0.1:1/x', missing], { env: { AUDIT_TRAIL_DB_PASSWORD_FILE: missing } })).err).toContain(`cannot read AUDIT_TRAIL_DB_PASSWORD_FILE file ${missing}: ${reason}`);
    expect((await runCli(['ingest', '--db', 'sqlite:/nonexistent-at-dir/x.db', missing])).err).toContain(`cannot read ${missing}: ${reason}`);
  });
});
