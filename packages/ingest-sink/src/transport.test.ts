import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import fs, { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeEvents } from '../test/helpers/events.js';
import { createTempDatabase, PG_ADMIN_URL } from '../test/helpers/postgres.js';
import { startTcpProxy } from '../test/helpers/tcp-proxy.js';
import { tempDir } from '../test/helpers/tmp.js';
import { createSink } from './sink/create-sink.js';
import sinkTransport from './transport.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('at-transport-')));
afterEach(() => cleanup());

/** packages/ingest-sink. */
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Node flags without `--conditions @audit-trail/source` (or `-C`, or the `=` form). */
function withoutSourceCondition(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === '@audit-trail/source') i++;
    else if (a !== '--conditions=@audit-trail/source') out.push(a);
  }
  return out;
}

/**
 * Captures what the transport writes on stderr (fs.writeSync(2, ...), or
 * process.stderr when that fails), keeping it off the test's output.
 */
function captureStderr(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const writeSync = fs.writeSync;
  const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd !== 2) return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    lines.push(String(data));
    return Buffer.byteLength(String(data));
  }) as typeof fs.writeSync);
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
  return {
    lines,
    restore: () => {
      spy.mockRestore();
      process.stderr.write = write;
    },
  };
}

describe('pino transport', () => {
  it('writes audit lines logged through pino into the sink, exactly as pino wrote them', async () => {
    const file = join(dir, 'audit.db');
    const stream = await sinkTransport({ url: `sqlite:${file}`, chunk: 7 });
    const logger = pino({ base: { pid: 1, hostname: 'h' } }, stream);
    const events = makeEvents(40);
    for (const e of events) logger.info(e);
    logger.info('not an audit event');
    stream.end();
    await once(stream, 'close');
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT event_id, event_json FROM security_audit_events').all() as { event_id: string; event_json: string }[];
    const rejects = db.prepare('SELECT source, reason FROM security_audit_rejects').all() as { source: string; reason: string }[];
    db.close();
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    const stored = JSON.parse(rows[0]!.event_json);
    expect(stored).toMatchObject({ level: 30, pid: 1, hostname: 'h' });
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.source).toBe('pino');
  });

  it('stores every line that is not JSON as a reject, as the sink does, not only those JSON.parse takes (pino-abstract-transport parses each line even with parse "lines" and dropped the others unsaid: a pino level formatter returning {} writes "{,...")', async () => {
    const file = join(dir, 'audit.db');
    const stream = await sinkTransport({ url: `sqlite:${file}` });
    // What pino writes with `formatters: { level: () => ({}) }` (pino 10), then other lines that are not JSON.
    pino({ base: null, formatters: { level: () => ({}) } }, stream).info({ user_id: 'u-1' }, 'login failed');
    const others = ['plain text', 'null', '{"cut":"in the mid', 'a\u0000b', '\u2028', '\ufeff', '\u000b'];
    for (const line of others) stream.write(`${line}\n`);
    stream.end();
    await once(stream, 'close');
    const db = new Database(file, { readonly: true });
    const rejects = db.prepare('SELECT raw_payload FROM security_audit_rejects').all() as { raw_payload: string }[];
    db.close();
    expect(rejects).toHaveLength(1 + others.length);
    expect(rejects.map((r) => r.raw_payload)).toContain('plain text');
    expect(rejects.some((r) => r.raw_payload.startsWith('{,'))).toBe(true);
  });

  it('keeps its source and its report of the sink\'s failures when the options give defaultSource or onError as undefined (a spread put them over: rejects stored as "direct", failures unsaid; found by a review)', async () => {
    const { lines: stderr, restore } = captureStderr();
    try {
      const file = join(dir, 'audit.db');
      const stream = await sinkTransport({ url: `sqlite:${file}`, chunk: undefined, lingerMs: undefined, closeTimeoutMs: undefined, source: undefined, defaultSource: undefined, onError: undefined });
      pino({ base: null }, stream).info('not an audit event');
      stream.end();
      await once(stream, 'close');
      const db = new Database(file, { readonly: true });
      const rejects = db.prepare('SELECT source FROM security_audit_rejects').all();
      db.close();
      expect(rejects).toEqual([{ source: 'pino' }]);
      // Tables not migrated: the sink's check fails at start, and the transport says so.
      const bare = await sinkTransport({ url: `sqlite:${join(dir, 'bare.db')}`, migrate: false, closeTimeoutMs: 0, onError: undefined });
      await expect.poll(() => stderr.join(''), { timeout: 5000 }).toContain('the sink cannot deliver yet');
      bare.end();
      await once(bare, 'close');
    } finally {
      restore();
    }
  });

  it('refuses options of its own of the wrong kind or out of range, as the sink does its options (SINK_BAD_OPTION naming the option)', async () => {
    const { restore } = captureStderr();
    try {
      const url = `sqlite:${join(dir, 'audit.db')}`;
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ chunk: 'big' }, /^chunk must be a whole number from 1 to 100000, not "big"$/],
        [{ chunk: 0 }, /^chunk must be/],
        [{ chunk: 2.5 }, /^chunk must be/],
        [{ lingerMs: -5 }, /^lingerMs must be a whole number from 0/],
        [{ lingerMs: 2 ** 31 }, /^lingerMs must be/],
        [{ closeTimeoutMs: 'x' }, /^closeTimeoutMs must be a whole number from 0/],
        [{ closeTimeoutMs: '5000' }, /^closeTimeoutMs must be/],
        [{ closeTimeoutMs: -1 }, /^closeTimeoutMs must be/],
        [{ closeTimeoutMs: Number.NaN }, /^closeTimeoutMs must be/],
      ];
      for (const [opts, message] of bad) {
        await expect(sinkTransport({ url, ...opts } as never), JSON.stringify(opts)).rejects.toMatchObject({ code: 'SINK_BAD_OPTION', message: expect.stringMatching(message) });
      }
      const stream = await sinkTransport({ url, chunk: 1, lingerMs: 0, closeTimeoutMs: 0 });
      stream.end();
      await once(stream, 'close');
    } finally {
      restore();
    }
  });

  it('refuses to start without a database (no url, no connection, or a url given as undefined: an unset environment variable; or as null, which createSink() also takes for none) rather than write the audit trail into ./audit.db in the working directory, unsaid (found by a probe)', async () => {
    const { restore } = captureStderr();
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      for (const opts of [{}, { url: undefined }, { connection: undefined, spool: { dir: join(dir, 'spool') } }, { url: null }, { url: null, connection: null }]) {
        await expect(sinkTransport(opts as never), JSON.stringify(opts)).rejects.toMatchObject({ code: 'SINK_BAD_OPTION', message: expect.stringMatching(/^the transport needs options\.url or options\.connection/) });
      }
      expect(fs.existsSync(join(dir, 'audit.db'))).toBe(false);
    } finally {
      process.chdir(cwd);
      restore();
    }
  });

  it('runs as pino.transport() does it, in a worker thread by its package name, with the options thread-stream adds', async () => {
    // What `target: '@audit-trail/ingest-sink/transport'` resolves to in an application: the built file
    // (npm ci builds it). Here pino would resolve the name with vitest's --conditions=@audit-trail/source, to
    // the TypeScript source, which a worker cannot load; so the test names the file the exports map gives.
    const exported = (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./transport']!.import.default;
    expect(exported).toBe('./dist/transport.js');
    // One target (pino adds pinoWillSendConfig, thread-stream $context), and targets (pino's own worker passes each its options).
    for (const form of ['target', 'targets'] as const) {
      const file = join(dir, `${form}.db`);
      const target = { target: join(PACKAGE_DIR, exported), options: { url: `sqlite:${file}`, chunk: 5 } };
      // Nor may the worker inherit that condition: the transport's own imports would load TypeScript too.
      const worker = { execArgv: withoutSourceCondition(process.execArgv) };
      const transport = pino.transport(form === 'target' ? { ...target, worker } : { targets: [target], worker });
      const errors: Error[] = [];
      transport.on('error', (e: Error) => errors.push(e));
      const logger = pino({ base: { pid: 1, hostname: 'h' } }, transport);
      const events = makeEvents(12);
      for (const e of events) logger.info(e);
      const closed = once(transport, 'close');
      transport.end();
      await closed;
      expect(errors, form).toEqual([]);
      const db = new Database(file, { readonly: true });
      const ids = (db.prepare('SELECT event_id FROM security_audit_events').all() as { event_id: string }[]).map((r) => r.event_id);
      db.close();
      expect(ids.sort(), form).toEqual(events.map((e) => e.event_id as string).sort());
    }
  });

  it('retries a write the sink refuses (spool full, onFull "reject", PostgreSQL unreachable) instead of dropping its lines: all stored once the database is back', async () => {
    const pg = await createTempDatabase('at_transport');
    const proxy = await startTcpProxy(5432);
    const { lines: stderr, restore } = captureStderr();
    try {
      const url = pg.url.replace(':5432/', `:${proxy.port}/`);
      const stream = await sinkTransport({ url, migrate: true, chunk: 50, spool: { dir: join(dir, 'spool'), maxBytes: 64 * 1024, memoryBytes: 32 * 1024, onFull: 'reject' }, retry: { initialDelayMs: 20, maxDelayMs: 100 } });
      proxy.cut();
      const logger = pino({ base: null }, stream);
      const events = makeEvents(1000);
      for (const e of events) logger.info(e);
      // The spool (64 KiB) holds about a hundred of them: the rest are refused until the database is back.
      await new Promise((r) => setTimeout(r, 1500));
      expect(stderr.join('')).toContain('"code":"SINK_SPOOL_FULL"');
      proxy.restore();
      stream.end();
      await once(stream, 'close');
      const { rows } = await pg.query('SELECT event_id::text AS id FROM security_audit_events');
      expect(rows.length).toBe(1000);
      expect(new Set(rows.map((r) => r.id as string))).toEqual(new Set(events.map((e) => e.event_id as string)));
    } finally {
      restore();
      await proxy.close();
      await pg.drop();
    }
  }, 30_000);

  it('keeps the order pino wrote the lines in while the sink refuses writes (spool full, onFull "reject"): stored in written order once the database is back (found by a probe: a signed chain went backwards)', async () => {
    const file = join(dir, 'audit.db');
    const { restore } = captureStderr();
    // Another connection holding SQLite's write lock stops delivery (SQLITE_BUSY, retried as an outage); SQLite
    // commits one batch after the other, so the rows' ids are the order the sink delivered them in.
    const stream = await sinkTransport({ connection: { dialect: 'sqlite', filename: file, busyTimeoutMs: 20 }, chunk: 20, lingerMs: 10, spool: { dir: join(dir, 'spool'), maxBytes: 32 * 1024, memoryBytes: 16 * 1024, onFull: 'reject' }, retry: { initialDelayMs: 20, maxDelayMs: 100 } });
    const lock = new Database(file);
    try {
      lock.exec('BEGIN EXCLUSIVE');
      const logger = pino({ base: null }, stream);
      const events = makeEvents(30 * 21);
      // Chunks of 20 lines and of 1 (a partial chunk, written after lingerMs): once the spool is nearly full it
      // refuses a chunk of 20 that does not fit, while a chunk of 1 after it still fits.
      for (let i = 0; i < events.length; i += 21) {
        for (const e of events.slice(i, i + 20)) logger.info(e);
        await new Promise((r) => setTimeout(r, 40));
        logger.info(events[i + 20]);
        await new Promise((r) => setTimeout(r, 40));
      }
      lock.exec('COMMIT');
      stream.end();
      await once(stream, 'close');
      const rows = lock.prepare('SELECT event_id FROM security_audit_events ORDER BY id').all() as { event_id: string }[];
      expect(rows.map((r) => r.event_id)).toEqual(events.map((e) => e.event_id as string));
    } finally {
      restore();
      lock.close();
    }
  }, 60_000);

  it('says once on stderr why the sink cannot deliver (PostgreSQL tables not migrated): the lines stay in its spool and are stored once they are', async () => {
    const pg = await createTempDatabase('at_transport');
    const { lines: stderr, restore } = captureStderr();
    try {
      const spool = join(dir, 'spool');
      const stream = await sinkTransport({ url: pg.url, chunk: 5, closeTimeoutMs: 300, spool: { dir: spool }, retry: { initialDelayMs: 20, maxDelayMs: 50 } });
      const logger = pino({ base: null }, stream);
      const events = makeEvents(10);
      for (const e of events) logger.info(e);
      await expect.poll(() => stderr.join(''), { timeout: 5000 }).toContain('the sink cannot deliver yet');
      await new Promise((r) => setTimeout(r, 300));
      stream.end();
      await once(stream, 'close');
      const said = stderr.filter((l) => l.includes('the sink cannot deliver yet'));
      // Once per kind of failure (the start's check, then each failed batch), though the sink retried many times.
      const codes = said.map((l) => JSON.parse(l).code as string);
      expect(codes).toEqual([...new Set(codes)]);
      expect(JSON.parse(said[0]!)).toMatchObject({ code: 'SINK_NOT_MIGRATED', error: expect.stringContaining('audit-trail migrate') });
      const sink = createSink({ url: pg.url, migrate: true, spool: { dir: spool } });
      await sink.flush();
      await sink.close();
      const { rows } = await pg.query('SELECT count(*)::int AS n FROM security_audit_events');
      expect(rows[0].n).toBe(10);
    } finally {
      restore();
      await pg.drop();
    }
  }, 30_000);

  it('closes at once while PostgreSQL is unreachable, whatever closeTimeoutMs: every line is in the spool, stored by the next start (found by a probe: 10-13 s after SIGTERM)', async () => {
    const pg = await createTempDatabase('at_transport');
    const proxy = await startTcpProxy(5432);
    const { restore } = captureStderr();
    try {
      const url = pg.url.replace(':5432/', `:${proxy.port}/`);
      const spool = { dir: join(dir, 'spool') };
      proxy.cut();
      // Far past this test's own bound: close() must not wait it out.
      const stream = await sinkTransport({ url, migrate: true, chunk: 20, closeTimeoutMs: 600_000, spool, retry: { initialDelayMs: 20, maxDelayMs: 100 } });
      const logger = pino({ base: null }, stream);
      const events = makeEvents(200);
      for (const e of events) logger.info(e);
      stream.end();
      await once(stream, 'close');
      proxy.restore();
      const sink = createSink({ url, migrate: true, spool });
      await sink.flush();
      await sink.close();
      const { rows } = await pg.query('SELECT event_id::text AS id FROM security_audit_events');
      expect(rows.map((r) => r.id as string).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    } finally {
      restore();
      await proxy.close();
      await pg.drop();
    }
  }, 20_000);

  it('once pino ends the stream, keeps the lines the database has not caught up with in the spool, instead of counting them lost at closeTimeoutMs (found by a probe: a burst logged before exit, database up, 37 378 of 100 000 lines lost)', async () => {
    const pg = await createTempDatabase('at_transport');
    const { lines: stderr, restore } = captureStderr();
    try {
      const spool = { dir: join(dir, 'spool'), memoryBytes: 2 * 1024 * 1024 };
      const setup = createSink({ url: pg.url, migrate: true, spool: { dir: join(dir, 'setup-spool') } });
      await setup.close();
      // The database answers but does not keep up: every insert waits for this lock (a slow disk, a long
      // transaction). Released before STALLED_WRITE_MS (15 s), after which the sink would spool anyway.
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE security_audit_events IN ACCESS EXCLUSIVE MODE');
      const stream = await sinkTransport({ url: pg.url, chunk: 200, closeTimeoutMs: 1000, spool });
      const logger = pino({ base: null }, stream);
      // About 5 MiB of lines: more than the sink's memory budget of 2 MiB.
      const events = makeEvents(12_000);
      for (const e of events) logger.info(e);
      stream.end();
      await once(stream, 'close');
      await pg.query('ROLLBACK');
      expect(stderr.join('')).not.toMatch(/not written/);
      const sink = createSink({ url: pg.url, spool });
      await sink.flush();
      await sink.close();
      const { rows } = await pg.query('SELECT event_id::text AS id FROM security_audit_events');
      expect(rows.length).toBe(events.length);
      expect(rows.map((r) => r.id as string).sort()).toEqual(events.map((e) => e.event_id as string).sort());
    } finally {
      restore();
      await pg.query('ROLLBACK').catch(() => undefined);
      await pg.drop();
    }
  }, 30_000);

  /**
   * 1000 lines into a 64 KiB spool with PostgreSQL cut (a proxy the test
   * owns), then the stream ended: what the transport says of the lines it
   * could not write, with `onFull` as given.
   */
  async function lostAtClose(onFull: 'reject' | 'wait'): Promise<{ err: Error & { code?: string }; stderr: string }> {
    const pg = await createTempDatabase('at_transport');
    const proxy = await startTcpProxy(5432);
    const { lines, restore } = captureStderr();
    try {
      const url = pg.url.replace(':5432/', `:${proxy.port}/`);
      const stream = await sinkTransport({ url, migrate: true, chunk: 50, closeTimeoutMs: 300, spool: { dir: join(dir, 'spool'), maxBytes: 64 * 1024, memoryBytes: 32 * 1024, onFull }, retry: { initialDelayMs: 20, maxDelayMs: 100 } });
      proxy.cut();
      const logger = pino({ base: null }, stream);
      for (const e of makeEvents(1000)) logger.info(e);
      await new Promise((r) => setTimeout(r, 500));
      const failed = once(stream, 'error');
      stream.end();
      const [err] = (await failed) as [Error & { code?: string }];
      return { err, stderr: lines.join('') };
    } finally {
      restore();
      await proxy.close();
      await pg.drop();
    }
  }

  it('when the sink still refuses at close, gives up after closeTimeoutMs and says how many lines were not written', async () => {
    const { err } = await lostAtClose('reject');
    expect(err.message).toMatch(/^\d+ audit line\(s\) not written: /);
    expect(Number(/^(\d+)/.exec(err.message)![1])).toBeGreaterThan(500);
    expect(err.code).toBe('SINK_SPOOL_FULL');
  }, 30_000);

  it('when lines still wait for room in a full spool at close (onFull "wait", PostgreSQL unreachable), says so and why, not only "the sink is closed" (found by a probe)', async () => {
    const { err, stderr } = await lostAtClose('wait');
    expect(err.code).toBe('SINK_CLOSED');
    expect(err.message).toMatch(/^\d+ audit line\(s\) not written: the sink closed while they waited to be taken \(its spool held \d+ of 65536 bytes; the sink's last error: SINK_DB: postgres: /);
    expect(stderr).toMatch(/"msg":"audit-trail transport: \d+ audit line\(s\) not written: the sink closed while they waited to be taken \(its spool held/);
  }, 30_000);
  it('in a process that exits while the sink refuses its writes (PostgreSQL unreachable, spool full, onFull "reject"), gives up after closeTimeoutMs, within thread-stream\'s 10 s, and says on stderr how many lines were not written (found by a probe: 10 s, then lost with nothing said)', () => {
    const target = join(PACKAGE_DIR, 'dist/transport.js');
    const events = join(dir, 'events.ndjson');
    fs.writeFileSync(events, makeEvents(3000).map((e) => `${JSON.stringify(e)}\n`).join(''));
    const spool = join(dir, 'spool');
    // Nothing listens on the port of a server just closed.
    const port = spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' }).stdout.trim();
    const script = `import pino from 'pino';
import { readFileSync } from 'node:fs';
const t = pino.transport({ target: ${JSON.stringify(target)}, options: { url: 'postgres://postgres@127.0.0.1:${port}/audit', closeTimeoutMs: 1000, chunk: 50, spool: { dir: ${JSON.stringify(spool)}, maxBytes: 50000, onFull: 'reject' } } });
t.on('error', () => {});
const log = pino({ base: null }, t);
for (const line of readFileSync(${JSON.stringify(events)}, 'utf8').trim().split('\\n')) log.info(JSON.parse(line));
await new Promise((r) => setTimeout(r, 1000));
process.exit(0);`;
    // Bounded below thread-stream's 10 s end(): past it the process is killed and the test fails.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 9000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const said = /"msg":"audit-trail transport: (\d+) audit line\(s\) not written: [^"]*","code":"SINK_SPOOL_FULL","lost":(\d+)}/.exec(r.stderr);
    expect(said, r.stderr).not.toBeNull();
    const lost = Number(said![1]);
    // The rest is in the spool, for the next start: 50 000 bytes hold about a hundred lines.
    expect(lost).toBeGreaterThan(2500);
    expect(lost).toBeLessThan(3000);
  }, 20_000);

  it('as the README shows for two destinations (one pino.transport() each, a main-thread pino.multistream()), stores every line of an audit logger and writes it to the file too, creating the file\'s directory (without mkdir: true, pino/file\'s worker failed with ENOENT and the example crashed the process; found by a probe)', () => {
    const target = join(PACKAGE_DIR, 'dist/transport.js');
    const file = join(dir, 'audit.db');
    // In a directory that does not exist yet, as /var/log/audit on a fresh host or container.
    const ndjson = join(dir, 'log', 'audit', 'audit.ndjson');
    // A file, not --input-type=module -e: the SQLite worker thread would inherit that flag and refuse it.
    const pinoPath = createRequire(join(PACKAGE_DIR, 'package.json')).resolve('pino');
    const loggerPath = join(PACKAGE_DIR, '../logger/dist/index.js');
    const main = join(dir, 'service.mjs');
    fs.writeFileSync(main, `import pino from ${JSON.stringify(pinoPath)};
import { createAuditLogger } from ${JSON.stringify(loggerPath)};
const toSink = pino.transport({ target: ${JSON.stringify(target)}, options: { url: ${JSON.stringify(`sqlite:${file}`)}, spool: { dir: ${JSON.stringify(join(dir, 'spool'))} } } });
const toFile = pino.transport({ target: 'pino/file', options: { destination: ${JSON.stringify(ndjson)}, mkdir: true } });
const audit = createAuditLogger({ service: 'readme', destination: pino.multistream([{ stream: toSink }, { stream: toFile }]) });
for (let i = 0; i < 40; i++) audit.containerStart({ container: { id: 'abcdefabcdef' } });
await audit.close(5000);
process.exit(0);`);
    const r = spawnSync(process.execPath, [main], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = fs.readFileSync(ndjson, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(40);
    const db = new Database(file, { readonly: true });
    const ids = (db.prepare('SELECT event_id FROM security_audit_events ORDER BY id').all() as { event_id: string }[]).map((row) => row.event_id);
    db.close();
    expect(ids).toEqual(lines.map((l) => JSON.parse(l).event_id as string));
  }, 40_000);

  it('says why it cannot deliver, or start, on stderr even in a process that exits at once (found by a probe: the worker\'s process.stderr is relayed by the main thread, blocked while the transport closes)', () => {
    const target = join(PACKAGE_DIR, 'dist/transport.js');
    const event = JSON.stringify(makeEvents(1)[0]);
    const run = (url: string) => {
      // A service that logs one line and falls off the end: pino ends the transport at exit (lib/transport.js autoEnd).
      const script = `import pino from 'pino';
const t = pino.transport({ target: ${JSON.stringify(target)}, options: { url: ${JSON.stringify(url)}, spool: { dir: ${JSON.stringify(join(dir, 'spool'))} } } });
t.on('error', () => {});
pino({ base: null }, t).info(${event});`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      return r.stderr;
    };
    const missing = `${PG_ADMIN_URL.replace(/\/[^/]*$/, '/')}at_transport_missing_${process.pid}`;
    expect(run(missing)).toMatch(/"msg":"audit-trail transport: the sink cannot deliver yet[^"]*","code":"SINK_DB","error":"[^}]*does not exist/);
    expect(run('notaurl://x')).toMatch(/"msg":"audit-trail transport: cannot start[^"]*","code":"SINK_BAD_URL"/);
  }, 70_000);
});
