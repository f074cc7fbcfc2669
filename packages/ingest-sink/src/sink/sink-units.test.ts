import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainEvent, makeEvent } from '../../test/helpers/events.js';
import { loadDriver } from '../adapters/load-driver.js';
import { backoffDelay } from './backoff.js';
import { parseDbUrl, redactUrl } from './connection.js';
import { openReader } from '../reader/open-reader.js';
import { resolveDbUrl } from './db-url-from-env.js';
import { dedupeBatch } from './dedupe-batch.js';
import { sameEvent } from '../adapters/same-event.js';
import { TRANSPORT_FIELDS } from '@audit-trail/schema';
import { isDataError, isTransientError, isTransientPostgresError } from './error-kind.js';
import { pgBeginAlone } from '../adapters/postgres/postgres-sql.js';
import { resolveSinkOptions } from './options.js';
import { migrationError } from './errors.js';
import { futureTally, prepareRows } from './prepare.js';

const row = (e: Record<string, unknown>) => prepareRows([{ line: JSON.stringify(e) }], 'direct')[0]!;

describe('sink units', () => {
  it('counts the valid events dated more than the skew after now, to the second, and no reject', () => {
    const now = Date.parse('2026-12-06T12:00:00.250Z');
    const at = (ms: number) => makeEvent({ event_time: new Date(now + ms).toISOString() });
    const edge = makeEvent({ event_time: '2026-12-06T12:05:00.999Z' }); // the threshold's own second
    const past = makeEvent({ event_time: '2026-12-06T12:05:01Z' }); // the second after it, no fraction
    const far = makeEvent({ event_time: '9999-12-31T23:59:59.999999Z' });
    const invalid = { ...at(3_600_000), client_ip: 'not an address' };
    const tally = futureTally(5 * 60_000, now);
    expect(tally.after).toBe('2026-12-06T12:05:00');
    const rows = prepareRows([at(-86_400_000), at(0), at(4 * 60_000), edge, past, far, at(10 * 60_000), invalid].map((e) => ({ line: JSON.stringify(e) })), 'direct', undefined, tally);
    expect(rows.map((r) => r.kind)).toEqual(['event', 'event', 'event', 'event', 'event', 'event', 'event', 'reject']);
    expect(tally.count).toBe(3);
    // Without a tally nothing is counted, and the rows are the same.
    expect(prepareRows([{ line: JSON.stringify(far) }], 'direct')[0]!.kind).toBe('event');
  });

  it('backoff grows exponentially with full jitter, capped', () => {
    const o = { initialDelayMs: 100, maxDelayMs: 5000, factor: 2 };
    expect(backoffDelay(0, o, () => 1)).toBe(100);
    expect(backoffDelay(3, o, () => 1)).toBe(800);
    expect(backoffDelay(30, o, () => 1)).toBe(5000);
    expect(backoffDelay(3, o, () => 0.5)).toBe(400);
    expect(backoffDelay(3, o, () => 0)).toBe(25);
  });

  it('dedupes a batch: rival chain claims go to the round after the last row of their key; copies of a kept row and repeated reject keys are dropped', () => {
    const chain = makeEvent().event_id as string;
    const a = chainEvent(chain, 1);
    const rival = chainEvent(chain, 1);
    const rival2 = chainEvent(chain, 1);
    const plain = makeEvent();
    const b = dedupeBatch([row(a), row(plain), row(rival), row(a), prepareRows([{ line: 'x' }], 's')[0]!, row(rival2), prepareRows([{ line: 'x' }], 's')[0]!]);
    expect(b.rejects).toHaveLength(1);
    expect(b.duplicateRejects).toBe(1);
    // The second a is a copy of the first (same line, same source): dropped, and counted as the first turns out.
    expect(b.rounds.map((r) => r.map((e) => e.eventId))).toEqual([[a.event_id, plain.event_id], [rival.event_id], [rival2.event_id]]);
    expect(b.copies.map((c) => [c.row.eventId, c.n])).toEqual([[a.event_id, 1]]);
    expect([...b.keys.keys()].sort()).toEqual([a.event_id, plain.event_id, rival.event_id, rival2.event_id, `${chain}/1`].sort());
  });

  it('dedupes a batch: a copy from another source, or of the event written out otherwise, goes to a later round; 5000 copies of one line are one row', () => {
    const e = makeEvent();
    const line = JSON.stringify(e);
    const many = dedupeBatch(prepareRows(Array.from({ length: 5000 }, () => ({ line })), 'direct'));
    expect(many.rounds.map((r) => r.length)).toEqual([1]);
    expect(many.copies.map((c) => c.n)).toEqual([4999]);
    const mixed = dedupeBatch(prepareRows([{ line }, { line, source: 'forward:10.0.0.9' }, { line: JSON.stringify(e, null, 1) }, { line }, { line, source: 'forward:10.0.0.9' }], 'direct'));
    expect(mixed.rounds.map((r) => r.map((x) => x.source))).toEqual([['direct'], ['forward:10.0.0.9'], ['direct']]);
    expect(mixed.copies.map((c) => [c.row.source, c.n])).toEqual([['direct', 1], ['forward:10.0.0.9', 1]]);
  });

  it('dedupes a batch: every repeat of an event_id that is not a copy goes to a later round, so the database decides it as it would in separate batches', () => {
    const chain = makeEvent().event_id as string;
    const a = chainEvent(chain, 1);
    const rival = chainEvent(chain, 1);
    const aOther = { ...a, user_id: 'mallory' };
    const plain = makeEvent();
    const lines = [
      JSON.stringify(a),
      JSON.stringify(rival), // round 1: a holds the position in round 0
      JSON.stringify(aOther), // round 1 by its id, round 2 by its position: 2
      JSON.stringify(Object.fromEntries(Object.entries(a).reverse())), // a again: round 3
      JSON.stringify(plain),
      JSON.stringify({ ...plain, user_id: 'eve' }), // round 1
      JSON.stringify({ ...plain, user_id: 'trudy' }), // round 2: after eve
      JSON.stringify({ time: 1, ...plain }), // plain again: round 3
    ];
    const b = dedupeBatch(prepareRows(lines.map((line) => ({ line })), 'direct'));
    expect(b.rounds.map((r) => r.map((e) => `${e.eventId === a.event_id ? 'a' : e.eventId === plain.event_id ? 'plain' : 'rival'}:${JSON.parse(e.raw).user_id}`))).toEqual([
      ['a:user-1', 'plain:user-1'],
      ['rival:user-1', 'plain:eve'],
      ['a:mallory', 'plain:trudy'],
      ['a:user-1', 'plain:user-1'],
    ]);
    // Every round unique by event_id and by chain position.
    for (const r of b.rounds) {
      expect(new Set(r.map((e) => e.eventId)).size).toBe(r.length);
      const claims = r.filter((e) => e.chainId !== null).map((e) => `${e.chainId}/${e.seq}`);
      expect(new Set(claims).size).toBe(claims.length);
    }
  });

  it('sameEvent: equal text, or equal JSON without the transport fields; any other difference is another event', () => {
    const t = TRANSPORT_FIELDS;
    const e = { event_type: 'X', user_id: 'u', n: 1, nested: { a: [1, { b: null }], c: 'd' } };
    const text = JSON.stringify(e);
    expect(sameEvent(text, text, t)).toBe(true);
    expect(sameEvent(text, JSON.stringify(e, null, 2), t)).toBe(true);
    expect(sameEvent(text, JSON.stringify({ nested: { c: 'd', a: [1, { b: null }] }, n: 1.0, user_id: 'u', event_type: 'X' }), t)).toBe(true);
    expect(sameEvent(text, JSON.stringify({ level: 30, time: 5, pid: 1, hostname: 'h', msg: 'm', ...e }), t)).toBe(true);
    expect(sameEvent(text, '{"event_type":"X","user_id":"\u0075","n":1,"nested":{"a":[1,{"b":null}],"c":"d"}}', t)).toBe(true);
    for (const other of [
      { ...e, user_id: 'U' },
      { ...e, n: 2 },
      { ...e, n: '1' },
      { ...e, extra: null },
      { ...e, nested: { a: [{ b: null }, 1], c: 'd' } },
      { ...e, nested: { a: [1, { b: null }, 2], c: 'd' } },
      { ...e, nested: { a: [1, {}], c: 'd' } },
      { ...e, nested: { a: { 0: 1, 1: { b: null } }, c: 'd' } },
    ]) {
      expect(sameEvent(text, JSON.stringify(other), t), JSON.stringify(other)).toBe(false);
    }
    // A field that is not a transport field counts, and text that is not a JSON object is never the same.
    expect(sameEvent(text, JSON.stringify({ ...e, host: 'h' }), t)).toBe(false);
    for (const bad of ['{"event_type":', '[1]', 'null', '']) expect(sameEvent(text, bad, t)).toBe(false);
    expect(sameEvent('[1]', '[1]', t)).toBe(true);
    // Too deep to compare (the schema allows no such event): different, not a thrown RangeError.
    const deep = (leaf: number) => `{"a":${'['.repeat(20_000)}${leaf}${']'.repeat(20_000)}}`;
    expect(sameEvent(deep(1), deep(2), t)).toBe(false);
    // Two mapped events of one derived-id detector are one source record, whatever the mapping made of them.
    const mapped = { ...e, detector: { name: 'kubernetes-audit', rule: 'exec' }, schema_version: '1.1.0' };
    expect(sameEvent(JSON.stringify(mapped), JSON.stringify({ ...mapped, schema_version: '1.2.0', outcome: 'failure' }), t)).toBe(true);
    for (const name of ['docker-events', 'falco']) expect(sameEvent(JSON.stringify({ ...e, detector: { name } }), JSON.stringify({ ...e, n: 9, detector: { name } }), t)).toBe(true);
    // Not for another type or time under the id (a forged line), nor a detector an app names, nor across detectors.
    expect(sameEvent(JSON.stringify(mapped), JSON.stringify({ ...mapped, event_type: 'CONTAINER_PRIVILEGED' }), t)).toBe(false);
    expect(sameEvent(JSON.stringify({ ...mapped, event_time: '2026-12-06T10:00:00.000Z' }), JSON.stringify({ ...mapped, event_time: '2026-12-06T10:00:00.001Z' }), t)).toBe(false);
    expect(sameEvent(JSON.stringify({ ...e, detector: { name: 'app' } }), JSON.stringify({ ...e, n: 9, detector: { name: 'app' } }), t)).toBe(false);
    expect(sameEvent(JSON.stringify({ ...e, detector: { name: 'falco' } }), JSON.stringify({ ...e, detector: { name: 'docker-events' } }), t)).toBe(false);
  });

  it('parses database URLs and refuses others with SINK_BAD_URL', () => {
    expect(parseDbUrl('sqlite:./audit.db')).toEqual({ dialect: 'sqlite', filename: './audit.db' });
    expect(parseDbUrl('sqlite:///var/lib/a%20b.db')).toEqual({ dialect: 'sqlite', filename: '/var/lib/a b.db' });
    // Not the file /audit.db at the root, as the path //audit.db would be.
    expect(() => parseDbUrl('sqlite://audit.db')).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringContaining('write sqlite:./audit.db for a file in the working directory') }));
    expect(parseDbUrl('postgresql://u:p@h/db')).toEqual({ dialect: 'postgres', connectionString: 'postgresql://u:p@h/db' });
    for (const bad of ['sqlite::memory:', 'mysql://h/db', 'nonsense', 'sqlite:', 42, null, undefined]) expect(() => parseDbUrl(bad as string)).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL' }));
    // A misspelt boolean is refused, not read as false: encrypt=ture would turn encryption off.
    expect(parseDbUrl('mssql://sa@h/db?encrypt=FALSE&trustServerCertificate=yes&pool.max=4&requestTimeout=30000')).toMatchObject({ config: { options: { encrypt: false, trustServerCertificate: true }, pool: { max: 4 }, requestTimeout: 30000 } });
    for (const [url, message] of [
      ['mssql://sa@h/db?encrypt=ture', 'encrypt must be true or false (got "ture")'],
      ['mssql://sa@h/db?trustServerCertificate=on', 'trustServerCertificate must be true or false (got "on")'],
      ['mssql://sa@h/db?pool.max=-1', 'pool.max must be a whole number from 1 (got "-1")'],
      ['mssql://sa@h/db?requestTimeout=soon', 'requestTimeout must be a whole number from 1 (got "soon")'],
      ['mssql://sa@h/db?stagingLoad=bulkk', 'stagingLoad must be values or bulk (got "bulkk")'],
      ['mssql://sa:p%zz@h/db', 'the password of the database URL holds a malformed %-escape (write % as %25)'],
      ['sqlite:./my 100%.db', 'the file name of the database URL holds a malformed %-escape (write % as %25)'],
    ]) {
      expect(() => parseDbUrl(url!), url).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message }));
    }
    expect(redactUrl('postgres://user:s3cret@host:5432/db')).toBe('postgres://user:***@host:5432/db');
    expect(redactUrl('mssql://sa:p%40ss@h/db?x=1')).toBe('mssql://sa:***@h/db?x=1');
    // A raw @ in a password: parsers split user info at the last @ of the authority.
    expect(redactUrl('postgres://postgres:p@ssw0rd-SECRET@127.0.0.1:5432/db')).toBe('postgres://postgres:***@127.0.0.1:5432/db');
    expect(redactUrl('postgres://u:pw@h/db?application_name=a@b')).toBe('postgres://u:***@h/db?application_name=a@b');
    // A raw # or / in the password, and the ?password= pg takes as the password.
    expect(redactUrl('postgres://postgres:S3cr#etPW@127.0.0.1:1/x')).toBe('postgres://postgres:***@127.0.0.1:1/x');
    expect(redactUrl('postgres://postgres:a/b@127.0.0.1/x')).toBe('postgres://postgres:***@127.0.0.1/x');
    expect(redactUrl('postgres://u:pw@h/db?sslmode=require&password=QuerySecret&x=1')).toBe('postgres://u:***@h/db?sslmode=require&password=***&x=1');
    expect(redactUrl('mssql://h/db?Password=Q')).toBe('mssql://h/db?Password=***');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(redactUrl('sqlite:./a@b:c.db')).toBe('sqlite:./a@b:c.db');
  });

  it('refuses a server URL not written scheme://host, and redacts its password in any spelling', () => {
    // WHATWG URL takes each of these; pg read them as localhost without a user (or a host named
    // "base"), and `report` and `ingest` printed them with the password (found by a probe).
    for (const url of [' postgres://u:PWMARK@h/db', 'postgres:/u:PWMARK@h/db', 'postgres:u:PWMARK@h/db', '\tpostgresql://u:PWMARK@h/db', 'mssql:/sa:PWMARK@h/db', 'sqlserver:sa:PWMARK@h/db']) {
      let err: unknown;
      try {
        parseDbUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(url)).toMatchObject({ code: 'SINK_BAD_URL', message: expect.stringMatching(/must start with (postgres|postgresql|mssql|sqlserver):\/\//) });
      expect((err as Error).message).not.toContain('PWMARK');
      expect(redactUrl(url), JSON.stringify(url)).not.toContain('PWMARK');
    }
    expect(redactUrl('postgres:/u:pw@h/db')).toBe('postgres:/u:***@h/db');
    expect(redactUrl(' postgres://u:pw@h/db')).toBe(' postgres://u:***@h/db');
    // pg-connection-string reads query names as URLSearchParams does: %-decoded.
    expect(redactUrl('postgres://u@h/db?pass%77ord=PWMARK&x=1')).toBe('postgres://u@h/db?pass%77ord=***&x=1');
    expect(parseDbUrl('POSTGRES://u@h/db')).toMatchObject({ dialect: 'postgres' });
    // A scheme in any case, sqlite's too (RFC 3986): SQLITE: was refused as 'unsupported database URL scheme "sqlite:" (expected sqlite:, ...)' (found by a probe).
    expect(parseDbUrl('SQLITE:./audit.db')).toEqual({ dialect: 'sqlite', filename: './audit.db' });
    expect(parseDbUrl('Sqlite:///var/lib/a.db')).toEqual({ dialect: 'sqlite', filename: '/var/lib/a.db' });
    expect(() => parseDbUrl('SQLite://audit.db')).toThrow(expect.objectContaining({ code: 'SINK_BAD_URL', message: expect.stringContaining('write sqlite:./audit.db for a file in the working directory') }));
  });

  it('takes the password from an AUDIT_TRAIL_DB_PASSWORD_FILE a Windows editor saved without its byte order mark (it was the password\'s first character, and authentication failed; found by a review)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-url-'));
    try {
      writeFileSync(join(dir, 'pw'), '\uFEFFs3cret\r\n');
      const url = resolveDbUrl('postgres://audit@db:5432/audit', { AUDIT_TRAIL_DB_PASSWORD_FILE: join(dir, 'pw') });
      expect(decodeURIComponent(new URL(url).password)).toBe('s3cret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the URL from AUDIT_TRAIL_DB_URL and the password from AUDIT_TRAIL_DB_PASSWORD_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-url-'));
    try {
      writeFileSync(join(dir, 'pw'), 'p@ss:w/rd\n');
      const url = resolveDbUrl(undefined, { AUDIT_TRAIL_DB_URL: 'postgres://audit@db:5432/audit', AUDIT_TRAIL_DB_PASSWORD_FILE: join(dir, 'pw') });
      expect(new URL(url).password).toBe(encodeURIComponent('p@ss:w/rd'));
      expect(decodeURIComponent(new URL(url).password)).toBe('p@ss:w/rd');
      expect(resolveDbUrl(undefined, {})).toBe('sqlite:./audit.db');
      expect(() => resolveDbUrl('postgres://h/db', { AUDIT_TRAIL_DB_PASSWORD_FILE: join(dir, 'missing') })).toThrow(expect.objectContaining({ code: 'SINK_BAD_OPTION' }));
      // The file is named, as for a directory or a file too large.
      expect(() => resolveDbUrl('postgres://h/db', { AUDIT_TRAIL_DB_PASSWORD_FILE: join(dir, 'missing') })).toThrow(`cannot read AUDIT_TRAIL_DB_PASSWORD_FILE file ${join(dir, 'missing')}: no such file or directory (ENOENT)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies defaults and rejects bad option values', () => {
    const o = resolveSinkOptions('sqlite:/tmp/x.db');
    expect(o).toMatchObject({ migrate: true, batch: { maxRows: 1000 }, spool: { dir: '/tmp/x.db.spool', fsync: 'batch', onFull: 'wait', memoryBytes: 3 * 1024 * 1000 } });
    expect(resolveSinkOptions('postgres://h/db')).toMatchObject({ migrate: false, batch: { maxRows: 5000 }, spool: { memoryBytes: 3 * 1024 * 5000 } });
    expect(resolveSinkOptions({ url: 'sqlite:/tmp/x.db', batch: { maxRows: 10 } }).spool.memoryBytes).toBe(2 * 1024 * 1024);
    // The directory's own name: the working directory above it may hold any word (a clone in /tmp/secretprobe).
    expect(basename(resolveSinkOptions('postgres://u:secret@h/db').spool.dir)).not.toContain('secret');
    expect(() => resolveSinkOptions({ spool: { onFull: 'drop' as never } })).toThrow(expect.objectContaining({ code: 'SINK_BAD_OPTION' }));
    expect(() => resolveSinkOptions({ batch: { maxRows: -1 } })).toThrow(expect.objectContaining({ code: 'SINK_BAD_OPTION' }));
    for (const dir of ['', 5, null]) expect(() => resolveSinkOptions({ spool: { dir: dir as string } })).toThrow(expect.objectContaining({ code: 'SINK_BAD_OPTION', message: 'spool.dir must be a non-empty path' }));
  });

  it('names the package to install when a driver is missing', async () => {
    await expect(loadDriver('@audit-trail/no-such-driver' as never)).rejects.toMatchObject({ code: 'SINK_DRIVER_MISSING', packageName: '@audit-trail/no-such-driver', message: expect.stringContaining('npm install @audit-trail/no-such-driver') });
  });

  it('tells data errors (split the batch) from connection errors (retry)', () => {
    expect(isDataError({ dbCode: '22001' })).toBe(true);
    expect(isDataError({ dbCode: '23502' })).toBe(true);
    expect(isDataError({ dbCode: 'SQLITE_CONSTRAINT_CHECK' })).toBe(true);
    expect(isDataError({ cause: { number: 8152 } })).toBe(true);
    expect(isDataError({ dbCode: '08006' })).toBe(false);
    expect(isDataError({ dbCode: 'ECONNREFUSED' })).toBe(false);
    expect(isDataError({ cause: { number: 2627 } })).toBe(false);
  });

  it('counts a bulk load\'s too-long value (4815) as a data error like 2628/8152, and a deadlock or Azure SQL transient error as neither (found by a review)', () => {
    expect(isDataError({ cause: { number: 4815 } })).toBe(true);
    expect(isDataError({ cause: { originalError: { info: { number: 4815 } } } })).toBe(true);
    for (const number of [1205, 40501, 40613, 40197]) {
      expect(isDataError({ cause: { number } })).toBe(false);
      expect(isTransientError({ number }), String(number)).toBe(true);
      expect(isTransientError({ cause: { number } })).toBe(true);
    }
    expect(isTransientError({ originalError: { info: { number: 1205 } } })).toBe(true);
    for (const err of [{ number: 2627 }, { number: 4815 }, { code: 'ESOCKET' }, new Error('x'), null]) expect(isTransientError(err)).toBe(false);
  });

  it('gives a PostgreSQL batch run again longer each time to take the writers\' lock alone: 2, 4, then 8 s (a fixed 2 s could run out on every attempt behind a long batch; found by a review)', () => {
    expect([1, 2, 3, 4].map((a) => /lock_timeout = (\d+);/.exec(pgBeginAlone(a))![1])).toEqual(['2000', '4000', '8000', '8000']);
  });

  it('tells a PostgreSQL deadlock or serialization failure (run the batch again) from data errors and outages', () => {
    for (const code of ['40P01', '40001', '55P03']) {
      expect(isTransientPostgresError({ code }), code).toBe(true);
      expect(isTransientPostgresError({ dbCode: code, cause: { code } })).toBe(true);
      expect(isDataError({ dbCode: code })).toBe(false);
    }
    for (const err of [{ code: '23505' }, { code: '08006' }, { code: 'ECONNRESET' }, { number: 1205 }, new Error('x'), null]) expect(isTransientPostgresError(err)).toBe(false);
  });

  it('refuses sink options that would silently do something else: a typo, a non-object, an in-memory or zero-size connection', () => {
    const cases: [unknown, string][] = [
      [5, 'createSink takes a database URL or an options object (got number)'],
      [null, 'createSink takes a database URL or an options object (got null)'],
      [{ urll: 'postgres://x' }, 'options.urll is not an option (expected url, connection, migrate, batch, spool, retry, fallback, defaultSource, checkIntervalMs, futureSkewMs, onError)'],
      [{ futureSkewMs: -1 }, 'futureSkewMs must be a non-negative number'],
      [{ futureSkewMs: 1e20 }, 'futureSkewMs must be at most 31536000000 (a year)'],
      [{ batch: { maxRow: 10 } }, 'batch.maxRow is not an option (expected maxRows, maxBytes, maxDelayMs)'],
      [{ spool: { onfull: 'reject' } }, 'spool.onfull is not an option (expected dir, fsync, maxBytes, memoryBytes, onFull, segmentBytes)'],
      [{ url: 'sqlite:./a.db', connection: { dialect: 'sqlite', filename: 'b.db' } }, 'give url or connection, not both'],
      [{ onError: 'log' }, 'onError must be a function'],
      [{ connection: { dialect: 'sqlite', filename: ':memory:' } }, 'an in-memory SQLite database is not durable; name a file'],
      [{ connection: { dialect: 'sqlite', filename: 'a.db', busyTimeout: 10 } }, 'connection (sqlite).busyTimeout is not an option (expected dialect, filename, worker, busyTimeoutMs)'],
      [{ connection: { dialect: 'postgres', connectionString: 'postgres://h/db', max: -1 } }, 'connection.max must be a whole number from 1'],
      [{ connection: { dialect: 'postgres', load: 'copyy' } }, 'connection.load must be auto, copy or unnest'],
      [{ connection: { dialect: 'mysql' } }, 'connection.dialect must be sqlite, postgres or mssql (got "mysql")'],
      // pg throws on these inside its socket handler (an uncaught exception, its message showing the value).
      [{ connection: { dialect: 'postgres', host: 'h', password: 93_4711 } }, 'connection.password must be a string (or a function returning one, as pg takes), got a number'],
      [{ connection: { dialect: 'postgres', host: 'h', user: 12 } }, 'connection.user must be a string, got a number'],
    ];
    for (const [options, message] of cases) expect(() => resolveSinkOptions(options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'SINK_BAD_OPTION', message }));
    // Other keys of a PostgreSQL connection are pg.Pool's own, passed on as they are.
    expect(resolveSinkOptions({ connection: { dialect: 'postgres', connectionString: 'postgres://h/db', statement_timeout: 5000 } as never }).connection).toMatchObject({ statement_timeout: 5000 });
    expect(resolveSinkOptions({ connection: { dialect: 'postgres', host: 'h', password: (async () => 'pw') as never } }).connection).toMatchObject({ host: 'h' });
    // null is not given, as pg takes it (PGUSER / PGPASSWORD then): an empty YAML value must not stop the start.
    expect(resolveSinkOptions({ connection: { dialect: 'postgres', host: 'h', user: null as never, password: null as never } }).connection).toMatchObject({ host: 'h' });
  });

  it('opens no PostgreSQL reader with a password pg cannot send, without showing it', async () => {
    const err = await openReader({ dialect: 'postgres', host: '127.0.0.1', port: 1, password: 934_711 as never }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SINK_BAD_OPTION', message: expect.stringContaining('connection.password must be a string') });
    expect((err as Error).message).not.toContain('934711');
  });
});

describe('migrationError', () => {
  it('tells a database user that may not create the tables to migrate as their owner and write without migrating: PostgreSQL 42501, SQL Server 262 (on mssql\'s error or tedious\' beneath it); other errors as dbError words them', () => {
    const hint = 'this database user may not create or change the audit tables';
    expect(migrationError('postgres', { message: 'permission denied for schema public', code: '42501' })).toMatchObject({ code: 'SINK_DB', dbCode: '42501', message: expect.stringContaining(hint) });
    expect(migrationError('mssql', Object.assign(new Error("CREATE TABLE permission denied in database 'audit'."), { number: 262 })).message).toContain(hint);
    expect(migrationError('mssql', Object.assign(new Error('x'), { code: 'EREQUEST', originalError: { info: { number: 262 } } })).message).toContain(hint);
    expect(migrationError('postgres', { message: 'relation "x" does not exist', code: '42P01' }).message).toBe('postgres: relation "x" does not exist');
    expect(migrationError('mssql', Object.assign(new Error('Login failed'), { number: 18456 })).message).toBe('mssql: Login failed');
  });
});
