/**
 * The checks shared by the PostgreSQL and SQLite tests: the committed DDL
 * applies twice, fixture rows go in through `toRow`, and every committed
 * report query (and its parameterised form) returns what the oracle says.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  bindQuery,
  INSERT_COLUMNS,
  newEventId,
  REPORT_QUERIES,
  REPORT_QUERY_NAMES,
  resolveParams,
  type ColumnValue,
  type QueryParamValues,
  type ReportQueryName,
} from '../../src/index.js';
import { normalise, oracle, rejectFixtures, reportFixtures, rowOf, type RejectFixture } from './report-fixtures.js';

/** The repository root (sql/ lives there). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..', '..');

/** What the suite needs from a database. */
export interface TestDb {
  dialect: 'postgres' | 'sqlite';
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
  /** Inserts one row of `INSERT_COLUMNS` values. */
  insert(row: ColumnValue[]): Promise<void>;
  /** Inserts one row of the rejects table. */
  insertReject(row: RejectFixture): Promise<void>;
  /** Runs one query, with driver placeholders bound when `bound` is given. */
  all(sql: string, bound?: { positional: number[]; named: Record<string, number> }): Promise<Record<string, unknown>[]>;
  /** Names of the columns of `table`, in table order. */
  columns(table: string): Promise<string[]>;
}

/** Parameter sets run through `bindQuery`, besides the committed files' defaults. */
const CUSTOM: ReadonlyArray<[ReportQueryName, QueryParamValues]> = [
  ['webauthn-failures', { days: 11 }],
  ['container-shell-sessions', { days: 365 }],
  ['failures-by-user-ip', { days: 30 }],
  ['failures-by-user-ip', { days: 120 }],
  ['failure-bursts-by-ip', { window_minutes: 60, min_failures: 3 }],
  ['counter-regressions', { days: 120 }],
  ['container-shells', { days: 365 }],
  ['rejects-by-reason', { days: 365 }],
  ['future-dated-events', { skew_minutes: 1 }],
];

/** Registers the tests; `db()` returns the open database (set up by the caller's beforeAll). */
export function defineReportTests(db: () => TestDb): void {
  const now = Date.now();
  const events = reportFixtures(now);
  const ddlPath = () => join(REPO_ROOT, 'sql', db().dialect, '001_security_audit_events.sql');

  it('applies the committed DDL twice and creates every column in order', async () => {
    const ddl = await readFile(ddlPath(), 'utf8');
    await db().exec(ddl);
    await db().exec(ddl);
    const { COLUMNS, REJECT_COLUMNS } = await import('../../src/index.js');
    expect(await db().columns('security_audit_events')).toEqual(COLUMNS.map((c) => c.name));
    expect(await db().columns('security_audit_rejects')).toEqual(REJECT_COLUMNS.map((c) => c.name));
  });

  it('stores fixture events built with toRow', async () => {
    for (const e of events) await db().insert(rowOf(e));
    const [count] = await db().all('SELECT COUNT(*) AS n FROM security_audit_events');
    expect(Number(count!.n)).toBe(events.length);
    const [row] = await db().all(
      `SELECT sign_count, credential_id, event_json FROM security_audit_events WHERE event_type = 'WEBAUTHN_COUNTER_REGRESSION' ORDER BY event_timestamp DESC`,
    );
    expect(Number(row!.sign_count)).toBe(41);
    expect(JSON.parse(String(row!.event_json)).webauthn.stored_sign_count).toBe(57);
    for (const r of rejectFixtures(now)) await db().insertReject(r);
  });

  for (const name of REPORT_QUERY_NAMES) {
    it(`runs sql/queries/<dialect>/${name}.sql as committed (defaults) and matches the oracle`, async () => {
      const text = await readFile(join(REPO_ROOT, 'sql', 'queries', db().dialect, `${name}.sql`), 'utf8');
      const params = resolveParams(REPORT_QUERIES[name]);
      const expected = (oracle[name] as (ev: typeof events, n: number, p: typeof params) => unknown[])(events, now, params as never);
      expect(expected.length).toBeGreaterThan(0);
      const rows = (await db().all(text)).map(normalise);
      expect(rows).toEqual(expected);
    });
  }

  for (const [name, values] of CUSTOM) {
    it(`binds ${name} with ${JSON.stringify(values)} and matches the oracle`, async () => {
      const q = REPORT_QUERIES[name];
      const bound = bindQuery(q, db().dialect, values);
      const params = resolveParams(q, values);
      const expected = (oracle[name] as (ev: typeof events, n: number, p: typeof params) => unknown[])(events, now, params as never);
      const rows = (await db().all(bound.text, bound)).map(normalise);
      expect(rows).toEqual(expected);
      // Each custom set changes the answer, so the parameter is really used.
      const defaults = (oracle[name] as (ev: typeof events, n: number, p: typeof params) => unknown[])(events, now, resolveParams(q) as never);
      expect(rows).not.toEqual(defaults);
    });
  }

  it('finds the known burst and shells with default parameters (oracle sanity)', async () => {
    const run = async (name: ReportQueryName) => {
      const bound = bindQuery(REPORT_QUERIES[name], db().dialect);
      return (await db().all(bound.text, bound)).map(normalise);
    };
    expect(await run('failure-bursts-by-ip')).toEqual([
      expect.objectContaining({ client_ip: '192.0.2.66', peak_failures: 6, peak_users: 3 }),
    ]);
    // The Kubernetes API execs have no image, node or container id: two shells in one
    // container (namespace/pod/name), one person; the refused attempt is no shell opened.
    expect(await run('container-shells')).toEqual([
      expect.objectContaining({ image: 'registry.example.com/web-api:3.1.0', node: 'node-b', shells: 8, containers: 3 }),
      expect.objectContaining({ image: null, node: null, shells: 2, containers: 1, users: 1 }),
      // kubectl debug names the debug container's image, so it is a group of its own.
      expect.objectContaining({ image: 'busybox:1.36', node: null, shells: 1, containers: 1, users: 1 }),
      expect.objectContaining({ image: 'registry.example.com/payments-api:1.8.2', node: 'worker-3', shells: 1 }),
    ]);
    expect(await run('counter-regressions')).toEqual([
      expect.objectContaining({ user_id: 'u_clone', sign_count: 41, stored_sign_count: 57 }),
      expect.objectContaining({ user_id: 'u_kept' }),
    ]);
    // Registration failures and rejected regressions count; a regression let through does not.
    const failures = await run('webauthn-failures');
    expect(failures.map((r) => r.event_type)).toEqual(expect.arrayContaining(['WEBAUTHN_REG_FAILURE', 'WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_COUNTER_REGRESSION']));
    expect(failures.map((r) => r.user_id)).not.toContain('u_kept');
    expect(failures.find((r) => r.user_id === 'u_h')).toMatchObject({ event_type: 'WEBAUTHN_REG_FAILURE', client_ip: '203.0.113.5', node: 'worker-7' });
    // Who opened which shell: the Falco one on Kubernetes names its person and in-container
    // user; the Kubernetes audit log names the person (and whom they acted as) and the pod,
    // no node or container id; a refused attempt is listed with its outcome.
    const sessions = await run('container-shell-sessions');
    expect(sessions.map((r) => [r.outcome, r.node, r.container_id, r.exec_user, r.user_id, r.command_line, r.detector])).toEqual([
      ['success', null, null, null, 'alice@example.com', '/bin/sh', 'kubernetes-audit'],
      ['success', null, null, null, 'bob@example.com', 'sh', 'kubernetes-audit'],
      ['success', null, null, null, 'alice@example.com', 'bash', 'kubernetes-audit'],
      ['failure', null, null, null, 'mallory@example.com', '/bin/bash', 'kubernetes-audit'],
      ['success', 'node-b', 'aaaaaaaaaaaa', null, null, 'bash', 'docker-events'],
      ['success', 'node-b', 'eeeeeeeeeeee', null, null, 'BASH -i', 'docker-events'],
      ['success', 'node-b', 'eeeeeeeeeeee', null, null, '/usr/bin/env bash', 'docker-events'],
      ['success', 'node-b', 'eeeeeeeeeeee', null, null, 'busybox sh', 'docker-events'],
      // env's options and variables before the shell; not `env SHELL=/bin/bash python3` nor `busybox ls /bin/sh`.
      ['success', 'node-b', 'eeeeeeeeeeee', null, null, 'env -i bash', 'docker-events'],
      ['success', 'node-b', 'eeeeeeeeeeee', null, null, '/usr/bin/env -u HOME TERM=xterm /bin/sh -l', 'docker-events'],
      ['success', 'node-b', 'aaaaaaaaaaaa', null, null, '/bin/bash -l', 'docker-events'],
      ['success', 'node-b', 'bbbbbbbbbbbb', null, null, 'python3 -i', 'docker-events'],
      ['success', 'worker-3', expect.any(String), null, 'system:serviceaccount:ops:debugger', '/bin/sh -c id', 'falco'],
    ]);
    // kubectl debug names the debug container, its image, and the container it reaches (--target).
    expect(sessions.filter((r) => r.detector === 'kubernetes-audit').map((r) => [r.k8s_namespace, r.k8s_pod, r.container_name, r.target_container, r.image, r.impersonated_user_id])).toEqual([
      ['shop', 'cart-5d8f7c9b4-x2x7q', 'app', null, null, null],
      ['shop', 'cart-5d8f7c9b4-x2x7q', 'debugger-7xk2p', 'app', 'busybox:1.36', null],
      ['shop', 'cart-5d8f7c9b4-x2x7q', 'app', null, null, 'system:serviceaccount:shop:deployer'],
      ['shop', 'cart-5d8f7c9b4-x2x7q', 'app', null, null, null],
    ]);
    expect((await run('rejects-by-reason')).map((r) => [r.reason_code, r.rejects])).toEqual([
      ['CONTAINER_EVENT_UNTRUSTED_TAG', 3],
      ['SCHEMA_INVALID', 2],
      ['CHAIN_POSITION_CONFLICT', 1],
      ['OTHER', 1],
    ]);
  });

  /** Inserts rows of `service`, runs `fn`, deletes them again: the other tests see the fixtures alone. */
  const withRows = async (service: string, rows: Array<Record<string, string | null>>, fn: () => Promise<void>) => {
    const literal = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
    for (const r of rows) {
      const row = { event_id: newEventId(), outcome: 'success', severity: '1', service, event_json: '{}', ...r };
      await db().exec(`INSERT INTO security_audit_events (${Object.keys(row).join(', ')}) VALUES (${Object.values(row).map(literal).join(', ')})`);
    }
    try {
      await fn();
    } finally {
      await db().exec(`DELETE FROM security_audit_events WHERE service = ${literal(service)}`);
    }
  };
  const runReport = async (name: ReportQueryName) => {
    const bound = bindQuery(REPORT_QUERIES[name], db().dialect);
    return (await db().all(bound.text, bound)).map(normalise);
  };

  it('counts a shell opened through su, sudo, login or a launcher that runs one, reading the launcher\'s options as it does; not a launcher running something else (Docker events carry no TTY flag; found by a probe)', async () => {
    const opened = [
      'su -', 'su', 'SU - app', 'su -c bash app', 'su -s /bin/bash app', 'su -lc /bin/sh', 'busybox su -',
      'sudo -i', 'sudo -s', 'sudo bash', 'sudo -u app bash', 'sudo -iu app', 'sudo -E -u app -- /bin/bash -l', 'sudo su -', 'login -f root',
      'script -q -c /bin/bash /dev/null', 'script -qc bash', 'script /dev/null',
      'setsid bash', 'setsid -w /bin/sh', 'nice bash', 'nice -n 10 bash', 'nice -10 zsh', 'nohup bash', 'timeout 3600 bash', 'timeout -s KILL 60 bash', 'timeout -- 60 sh',
      'stdbuf -o0 bash', 'stdbuf -o 0 -e 0 bash', 'nsenter -t 1 -a bash', 'nsenter -t 1 -m -u -n -i', 'chroot / bash', 'chroot --userspec app:app /srv /bin/sh', 'chroot /srv',
      'runuser -u app -- bash', 'env -u HOME TERM=xterm sudo -u app bash', 'nohup timeout 60 setsid bash',
      `python3 -c import pty;pty.spawn('/bin/bash')`, `python3 -c import pty; pty.spawn("/bin/sh")`, `/usr/bin/python -c import pty;pty.spawn(["/bin/bash","-i"])`,
      // Option clusters read as getopt reads them, and the launchers of container entrypoints.
      'sudo -Hi', 'sudo -Es', 'sudo -Hiu app', 'sudo -nEu app -- bash', 'su -ls /bin/bash app', 'nsenter -at 1 bash',
      'doas -s', 'doas -u app bash', 'doas -n -u app -- /bin/sh', 'gosu app bash', 'gosu app:app /bin/sh -l', 'su-exec nobody sh',
      'unshare -Urm', 'unshare -r bash', 'unshare --fork --pid --mount-proc bash', 'unshare -S 0 -G 0 -- bash',
      'runuser -l app', 'runuser - app', 'runuser app', 'runuser -s /bin/sh app', 'runuser --user=app bash', 'runuser -uapp -- /bin/sh',
      // More launchers and shell openers (found by a probe).
      'ionice -c3 bash', 'ionice -c 2 -n 7 /bin/sh', 'taskset -c 0 bash', 'taskset 0x1 sh', 'chrt -f 1 bash', 'chrt --rr 10 sh', 'flock /tmp/l bash', 'flock -w 5 /tmp/l -c bash', 'flock -e /tmp/l bash', 'flock -xn /tmp/l bash',
      'setpriv --reuid=0 bash', 'setpriv --reuid 0 --regid 0 --init-groups -- /bin/sh', 'sg wheel bash', 'sg wheel -c bash', 'tini -- bash', 'tini -s -e 143 -- sh', 'dumb-init bash', 'dumb-init -r 15:9 -- /bin/bash',
      'unbuffer -p bash', 'xargs -o bash', 'xargs -n 1 -o -- sh',
      // xargs's upper-case options that take an argument (words are compared in lower case; found by a review).
      'xargs -I {} bash -c x', 'xargs -L 1 sh', 'xargs -E eof -0 bash', 'xargs -P 4 -n 1 sh', 'watch -n 5 bash', 'newgrp', 'newgrp docker', 'tmux', 'tmux new -s x', 'screen -S x',
      // Upper case folds as ASCII on every database.
      'SUDO -U app /BIN/KSH', 'Sudo Bash',
      // PowerShell and cmd (Windows containers; pwsh on Linux).
      'powershell', 'PowerShell.exe -NoLogo', '/usr/bin/pwsh -NoProfile', 'cmd', 'cmd.exe /k', 'sudo pwsh',
    ];
    const other = [
      'env python3 sh', 'env -i python3 /bin/sh', 'sudo ls', 'sudo -i ls', 'sudo -u bash ls', 'sudo', 'sudo -u app', 'timeout 5 cat', 'timeout -s 9 5 cat bash', 'nice make', 'nice -n 10 make sh',
      'chroot /srv ls', 'subash', '/usr/local/bin/subash -i', 'su -c ls app', 'su --command=ls app', 'su -cls', 'su app script.sh', 'script -c ls /tmp/out', 'script --command=ls',
      'setsid ls', 'nohup', 'stdbuf -o 0 make', 'nsenter -t 1 -a ps', 'runuser -u bash -- ls', 'busybox ls', 'python3 app.py sh', 'python3 -c import pty;pty.spawn(cmd)',
      'sudo -Hu app ls', 'sudo -pi ls', 'sudo -Eu bash ls', 'doas ls', 'doas -u app', 'doas -u sh ls', 'gosu app ls', 'gosu app', 'gosu bash ls',
      'ionice -c3 make', 'taskset -c 0 make', 'taskset bash', 'chrt -f 1 make', 'flock /tmp/l make', 'flock -c ls /tmp/l', 'flock /tmp/l -c ls', 'sg wheel -c ls', 'setpriv --reuid=0 ls', 'sg wheel make', 'sg bash', 'tini -- node app.js', 'dumb-init node app.js',
      'unbuffer ls', 'xargs -n 1 echo', 'watch -n 5 date', 'tmux-exporter', 'screenfetch',
      'su-exec app:app node server.js', 'unshare -r ls', 'unshare -w /bin/sh ls', 'runuser app ls', 'runuser -u app', 'runuser -u app -- ls', 'runuser -cls app', 'runuser -uapp ls', 'runuser --user=app ls', 'runuser --user=app',
      // Only ASCII letters fold: the KELVIN SIGN (U+212A) is no k, and no program is named with it
      // (PostgreSQL's lower() under a UTF-8 collation made it one: a ksh that cannot run; found by a probe).
      '\u212Ash', 'sudo \u212Ash', '/bin/\u212ASH -i',
      'cmdline-tool', 'powershell-lint x.ps1', 'pwshell',
    ];
    const base = Date.now() - 86_400_000;
    const rows = [...opened, ...other].map((command_line, k) => ({
      event_type: 'CONTAINER_EXEC',
      event_timestamp: new Date(base + k * 1000).toISOString(),
      command_line,
      container_id: 'wrappers0000',
      image: 'wrappers:1',
    }));
    await withRows('shell-wrappers', rows, async () => {
      const listed = (await runReport('container-shell-sessions')).filter((r) => r.container_id === 'wrappers0000').map((r) => r.command_line);
      expect(listed).toEqual([...opened].reverse());
      const [group] = (await runReport('container-shells')).filter((r) => r.image === 'wrappers:1');
      expect(group).toMatchObject({ shells: opened.length, containers: 1 });
    });
  });

  it('counts a command line whose launchers are not read to their end as a shell, marked unresolved, and reads one to the last step exactly: a launcher chain past the reports\' 48 steps or 512 characters was no shell, `env A=1 ... bash` hid one (found by a probe)', async () => {
    const vars = (n: number) => 'A=1 '.repeat(n);
    // Read to their end, as before: the longest env read (47 words, then bash), and lines that end at the last step.
    const opened = [`env ${vars(46)}bash`, `su${' -'.repeat(47)}`, `env ${vars(10)}PATH=/usr/local/bin:${'/x'.repeat(200)} bash`];
    // Not read to their end: the 48 steps (words and option letters), or the first 512 characters, cut in a word.
    const unresolved = [
      `env ${vars(47)}bash`,
      `env ${vars(900)}bash`,
      `nice ${'-n 1 '.repeat(30)}bash`,
      `sudo -${'H'.repeat(60)} bash`,
      `env A=${'x'.repeat(600)} bash`,
      // No shell follows, but the reports cannot tell without reading on.
      `env ${vars(900)}ls`,
      `sudo -u app /usr/bin/${'x'.repeat(3000)}`,
      // python whose pty.spawn( is past the 512 characters read.
      `python3 -c ${'x'.repeat(600)};import pty;pty.spawn("/bin/sh")`,
    ];
    // Long, and no shell: what decides is read within the steps and characters.
    const other = [
      `env ${vars(10)}ls ${'x '.repeat(1500)}`,
      `timeout 5 ls ${'-la '.repeat(900)}`,
      `env ${vars(47)}`,
      `python3 -c ${'x=1; '.repeat(700)}`,
      `sudo /opt/${'x'.repeat(60)}bash`,
      `sudo -u app ${'/x'.repeat(200)}/ls ${'x '.repeat(1500)}`,
    ];
    // A TTY session is a shell, however long its command line: not unresolved.
    const tty = `env ${vars(900)}bash`;
    const base = Date.now() - 86_400_000;
    const row = (command_line: string, k: number, event_json = '{}') => ({
      event_type: 'CONTAINER_EXEC',
      event_timestamp: new Date(base + k * 1000).toISOString(),
      command_line,
      container_id: 'unread000000',
      image: 'unread:1',
      event_json,
    });
    const lines = [...opened, ...unresolved, ...other];
    const rows = [...lines.map((l, k) => row(l, k)), row(tty, lines.length, '{"process":{"tty":true}}')];
    for (const r of rows) expect(r.command_line.length, r.command_line.slice(0, 20)).toBeLessThanOrEqual(4000);
    await withRows('unread-launchers', rows, async () => {
      const listed = (await runReport('container-shell-sessions')).filter((r) => r.container_id === 'unread000000').map((r) => [r.command_line, r.unresolved]);
      expect(listed).toEqual([[tty, 0], ...[...opened.map((l) => [l, 0]), ...unresolved.map((l) => [l, 1])].reverse()]);
      const [group] = (await runReport('container-shells')).filter((r) => r.image === 'unread:1');
      expect(group).toMatchObject({ shells: opened.length + unresolved.length + 1, unresolved: unresolved.length });
    });
  });

  it('lists shells-by-image groups without an image or node last, on every database (SQLite sorted NULL first, PostgreSQL last; found by a probe)', async () => {
    const at = new Date(Date.now() - 86_400_000).toISOString();
    const shell = (image: string | null, swarm_node: string | null) => ({ event_type: 'CONTAINER_EXEC', event_timestamp: at, command_line: 'bash', image, swarm_node });
    // Inserted in the reverse of the order expected, each group one shell, as ties.
    const rows = [shell(null, 'order-node'), shell('order:1', null), shell('order:1', 'order-node'), shell('order:0', null)];
    await withRows('null-order', rows, async () => {
      const groups = (await runReport('container-shells')).filter((r) => r.image?.toString().startsWith('order:') || r.node === 'order-node');
      expect(groups.map((r) => [r.image, r.node])).toEqual([
        ['order:0', null],
        ['order:1', 'order-node'],
        ['order:1', null],
        [null, 'order-node'],
      ]);
    });
  });

  it('lists failures at one instant newest row first in failures-by-user-ip, as webauthn-failures does (the order was left to the database)', async () => {
    const at = new Date(Date.now() - 86_400_000).toISOString();
    const users = ['u_tie_1', 'u_tie_2', 'u_tie_3', 'u_tie_4'];
    const rows = users.map((user_id) => ({ event_type: 'WEBAUTHN_AUTH_FAILURE', event_timestamp: at, user_id, outcome: 'failure' }));
    await withRows('same-instant', rows, async () => {
      // Updated, the first two are stored anew after the others (PostgreSQL), so no scan order is id order by chance.
      await db().exec(`UPDATE security_audit_events SET client_ip = '192.0.2.1' WHERE user_id IN ('u_tie_1', 'u_tie_2')`);
      for (const name of ['failures-by-user-ip', 'webauthn-failures'] as const) {
        const listed = (await runReport(name)).map((r) => r.user_id).filter((u) => users.includes(String(u)));
        expect(listed, name).toEqual([...users].reverse());
      }
    });
  });

  it('future-dated-events is exact at the skew\'s edge: an event exactly :skew_minutes after it was stored is not listed, one a millisecond later is (SQLite added the minutes as a rounded fraction of a day; found by a review)', async () => {
    // 20 instants, 1.037 s apart: a rounding error shows at some of them (about 3 in 10 before the fix).
    const base = Date.now() - 86_400_000;
    const rows = Array.from({ length: 20 }, (_, k) => base + k * 1037).flatMap((stored) =>
      [0, 1].map((extraMs) => ({ id: newEventId(), stored: new Date(stored).toISOString(), at: new Date(stored + 5 * 60_000 + extraMs).toISOString(), listed: extraMs === 1 })),
    );
    for (const r of rows) {
      await db().exec(
        `INSERT INTO security_audit_events (event_id, event_timestamp, ingested_at, event_type, outcome, severity, service, event_json) ` +
          `VALUES ('${r.id}', '${r.at}', '${r.stored}', 'CONTAINER_STOP', 'success', 1, 'skew-edge', '{}')`,
      );
    }
    try {
      const bound = bindQuery(REPORT_QUERIES['future-dated-events'], db().dialect, { skew_minutes: 5 });
      const listed = (await db().all(bound.text, bound)).filter((r) => r.service === 'skew-edge').map((r) => r.event_id);
      expect(new Set(listed)).toEqual(new Set(rows.filter((r) => r.listed).map((r) => r.id)));
    } finally {
      await db().exec(`DELETE FROM security_audit_events WHERE service = 'skew-edge'`);
    }
  });
}

/** `INSERT INTO security_audit_rejects (received_at, source, reason, raw_payload)` with `$n` or `?` placeholders. */
export function insertRejectSql(dialect: 'postgres' | 'sqlite'): string {
  const marks = [1, 2, 3, 4].map((i) => (dialect === 'postgres' ? `$${i}` : '?'));
  return `INSERT INTO security_audit_rejects (received_at, source, reason, raw_payload) VALUES (${marks.join(', ')})`;
}

/** `INSERT INTO security_audit_events (...) VALUES (...)` with `$n` or `?` placeholders. */
export function insertSql(dialect: 'postgres' | 'sqlite'): string {
  const names = INSERT_COLUMNS.map((c) => c.name);
  const marks = names.map((_, i) => (dialect === 'postgres' ? `$${i + 1}` : '?'));
  return `INSERT INTO security_audit_events (${names.join(', ')}) VALUES (${marks.join(', ')})`;
}
