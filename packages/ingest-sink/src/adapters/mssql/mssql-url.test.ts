import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeMssql } from '../../../test/helpers/fake-mssql.js';
import { makeEvents } from '../../../test/helpers/events.js';
import { parseDbUrl, type MssqlConnection } from '../../sink/connection.js';
import { DB_PASSWORD_FILE_ENV, resolveDbUrl } from '../../sink/db-url-from-env.js';
import { dedupeBatch } from '../../sink/dedupe-batch.js';
import { SinkError } from '../../sink/errors.js';
import { prepareRows } from '../../sink/prepare.js';
import { resolveSinkOptions } from '../../sink/options.js';
import { createMssqlAdapter } from './mssql-adapter.js';

const batchOf = (events: Record<string, unknown>[]) => ({ ...dedupeBatch(prepareRows(events.map((e) => ({ line: JSON.stringify(e) })), 'direct')) });

/** mssql:// and sqlserver:// URLs as the adapter's configuration (connection.ts parseMssql). */
describe('mssql URLs', () => {
  it('parses mssql URLs with named instance, TLS and pool options, and never mutates the config it is given', async () => {
    const c = parseDbUrl('mssql://audit%40w:p%40ss%3Aw0rd@sql.example/audit?encrypt=true&trustServerCertificate=false&instanceName=SQLEXPRESS&pool.max=4&babelfish=true&stagingLoad=values');
    expect(c).toEqual({
      dialect: 'mssql',
      config: { server: 'sql.example', user: 'audit@w', password: 'p@ss:w0rd', database: 'audit', options: { encrypt: true, trustServerCertificate: false, instanceName: 'SQLEXPRESS' }, pool: { max: 4 } },
      babelfish: true,
      stagingLoad: 'values',
    });
    const frozen = structuredClone((c as MssqlConnection).config);
    const { driver, calls } = fakeMssql();
    const a = await createMssqlAdapter(c as MssqlConnection, { driver });
    await a.write(batchOf(makeEvents(1)));
    expect((c as MssqlConnection).config).toEqual(frozen);
    expect((calls[0] as { config: unknown }).config).not.toBe((c as MssqlConnection).config);
  });

  it('reads its parameters whatever their case, as ADO.NET keywords are, and refuses one it does not know: instancename=X was ignored and the default instance on 1433 connected (found by a probe)', () => {
    expect((parseDbUrl('mssql://u:p@sql.example/audit?instancename=SQLEXPRESS&TrustServerCertificate=true&ENCRYPT=false&stagingload=values&Pool.Max=3') as MssqlConnection)).toMatchObject({
      config: { server: 'sql.example', options: { instanceName: 'SQLEXPRESS', trustServerCertificate: true, encrypt: false }, pool: { max: 3 } },
      stagingLoad: 'values',
    });
    for (const [url, name] of [
      ['mssql://u:p@sql.example/audit?instanceNmae=SQLEXPRESS', 'instanceNmae'],
      ['mssql://u:p@sql.example/audit?encrypt=true&trustServerCert=true', 'trustServerCert'],
      ['mssql://u:p@sql.example/audit?applicationName=x', 'applicationName'],
    ]) {
      expect(() => parseDbUrl(url!), url).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringMatching(new RegExp(`^the database URL has a parameter mssql does not take here: ${name}; known: encrypt, trustServerCertificate, instanceName`)) }));
    }
    // Port 0, which mssql reads as its default 1433 (`config.port || 1433`), is refused too.
    expect(() => parseDbUrl('mssql://u:p@sql.example:0/audit')).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringContaining('port 0') }));
    // The same setting twice, in two spellings, is not guessed between.
    expect(() => parseDbUrl('mssql://u:p@sql.example/audit?encrypt=true&Encrypt=false')).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringContaining('encrypt is given twice') }));
  });

  it('refuses one setting given under two of its names, not keeping one of them unsaid: instance and instanceName, poolMax and pool.max, or an instance in the host and in instanceName= (found by a review)', () => {
    for (const [url, twice] of [
      ['mssql://u:p@sql.example/audit?instance=A&instanceName=B', 'instanceName'],
      ['mssql://u:p@sql.example/audit?instanceName=B&INSTANCE=A', 'instanceName'],
      ['mssql://u:p@sql.example/audit?poolMax=3&pool.max=10', 'pool.max'],
      ['mssql://u:p@sql.example/audit?pool.idleTimeoutMillis=1&poolidletimeoutmillis=2', 'pool.idleTimeoutMillis'],
      ['mssql://u:p@sql.example%5CA/audit?instanceName=B', 'instanceName'],
    ] as const) {
      expect(() => parseDbUrl(url), url).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringContaining(`${twice} is given twice`) }));
    }
    expect((parseDbUrl('mssql://u:p@sql.example%5CA/audit') as MssqlConnection).config).toMatchObject({ server: 'sql.example\\A' });
  });

  it('refuses a URL with both a port and an instance name, which mssql would connect by SQL Server Browser ignoring the port, naming both (found by a review)', () => {
    for (const [url, param] of [
      ['mssql://u:p@sql.example:1433/audit?instanceName=SQLEXPRESS', 'instanceName'],
      ['sqlserver://u:p@sql.example:14330/audit?instance=SQLEXPRESS', 'instance'],
    ] as const) {
      expect(() => parseDbUrl(url), url).toThrow(SinkError);
      expect(() => parseDbUrl(url), url).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringMatching(new RegExp(`^the database URL sets both a port \\(${new URL(url).port}\\) and ${param}="SQLEXPRESS": .*SQL Server Browser`)) }));
    }
    // Either alone is fine.
    expect((parseDbUrl('mssql://u:p@sql.example/audit?instanceName=SQLEXPRESS') as MssqlConnection).config).toMatchObject({ server: 'sql.example', options: { instanceName: 'SQLEXPRESS' } });
    expect((parseDbUrl('mssql://u:p@sql.example:14330/audit') as MssqlConnection).config).toMatchObject({ server: 'sql.example', port: 14330, options: {} });
  });

  it('refuses a connection object with both a port and an instance name, as the URL form is refused (config.port or options.port; options.instanceName or server "host\\\\instance")', () => {
    const resolve = (config: MssqlConnection['config']) => resolveSinkOptions({ connection: { dialect: 'mssql', config }, spool: { dir: '/tmp/at-unused-spool' } });
    for (const config of [
      { server: 'sql.example', port: 14330, options: { instanceName: 'SQLEXPRESS' } },
      { server: 'sql.example', options: { port: 14330, instanceName: 'SQLEXPRESS' } },
      { server: 'sql.example\\SQLEXPRESS', port: 14330 },
    ]) {
      expect(() => resolve(config), JSON.stringify(config)).toThrow(expect.objectContaining({ code: 'SINK_BAD_OPTION', message: expect.stringMatching(/^connection\.config sets both a port \(14330\) and an instance name \("SQLEXPRESS"\): .*SQL Server Browser/) }));
    }
    // Either alone is fine, and so is a server name ending in a bare backslash (mssql then names no instance).
    for (const config of [
      { server: 'sql.example', options: { instanceName: 'SQLEXPRESS' } },
      { server: 'sql.example\\SQLEXPRESS' },
      { server: 'sql.example', port: 14330 },
      { server: 'sql.example\\', port: 14330 },
    ]) {
      expect(resolve(config).connection, JSON.stringify(config)).toMatchObject({ dialect: 'mssql', config });
    }
  });

  it('reads a named instance written in the host (host%5Cname) as the object form\'s server "host\\name": a port beside it is refused, as with instanceName= (mssql dropped the port; found by a probe)', () => {
    expect((parseDbUrl('mssql://u:p@sql.example%5CSQLEXPRESS/audit') as MssqlConnection).config).toMatchObject({ server: 'sql.example\\SQLEXPRESS', options: {} });
    for (const url of ['mssql://u:p@sql.example%5CSQLEXPRESS:1433/audit', 'sqlserver://sql.example%5cSQLEXPRESS:14330/audit']) {
      expect(() => parseDbUrl(url), url).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringMatching(new RegExp(`^the database URL sets both a port \\(${new URL(url).port}\\) and an instance name in its host \\("SQLEXPRESS"\\): .*SQL Server Browser`)) }));
    }
    // A host ending in a bare backslash names no instance (mssql then connects to the port).
    expect((parseDbUrl('mssql://u:p@sql.example%5C:14330/audit') as MssqlConnection).config).toMatchObject({ server: 'sql.example\\', port: 14330 });
  });

  it('says how to name an instance when the host holds a raw backslash (mssql://host\\SQLEXPRESS), which no URL parser takes, instead of "not a database URL"; the password is not repeated (found by a probe)', () => {
    for (const url of ['mssql://u:s3cret@sql.example\\SQLEXPRESS/audit', 'sqlserver://sql.example\\SQLEXPRESS:1433', 'MSSQL://u:s3cret@sql.example\\SQLEXPRESS']) {
      expect(() => parseDbUrl(url), url).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringContaining('?instanceName=') }));
      expect(() => parseDbUrl(url), url).not.toThrow(/s3cret/);
    }
    // With the password from AUDIT_TRAIL_DB_PASSWORD_FILE too.
    const dir = mkdtempSync(join(tmpdir(), 'at-mssql-url-'));
    try {
      writeFileSync(join(dir, 'pw'), 'pw\n');
      expect(() => resolveDbUrl('mssql://sa@sql.example\\SQLEXPRESS/audit', { [DB_PASSWORD_FILE_ENV]: join(dir, 'pw') })).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringContaining('?instanceName=') }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Other unparsable URLs keep the general message.
    expect(() => parseDbUrl('mssql://u:p@[::1/audit')).toThrow(/^not a database URL/);
  });

  it('gives mssql an IPv6 host without the brackets the URL writes it in (tedious looks "[::1]" up as a name: ENOTFOUND; found by a review)', () => {
    expect((parseDbUrl('mssql://u:p@[::1]:1433/audit') as MssqlConnection).config).toMatchObject({ server: '::1', port: 1433, database: 'audit' });
    expect((parseDbUrl('sqlserver://[2001:db8::5]/audit') as MssqlConnection).config.server).toBe('2001:db8::5');
    expect((parseDbUrl('mssql://sql.example/audit') as MssqlConnection).config.server).toBe('sql.example');
  });
});
