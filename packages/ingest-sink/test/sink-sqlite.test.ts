import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTableStatements, REPORT_QUERIES } from '@audit-trail/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSink, type Sink } from '../src/index.js';
import { freeSlabs } from '../src/rows/text-slabs.js';
import { chainEvent, makeEvent, makeEvents } from './helpers/events.js';
import { checkEventIdConflicts } from './helpers/id-conflicts.js';
import { tempDir } from './helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
const sinks: Sink[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  await cleanup();
});

function open(worker = true, extra: Parameters<typeof createSink>[0] & object = {}): Sink {
  const sink = createSink({ connection: { dialect: 'sqlite', filename: join(dir, 'audit.db'), worker }, ...extra });
  sinks.push(sink);
  return sink;
}

function db() {
  return new Database(join(dir, 'audit.db'), { readonly: true });
}

describe.each([true, false])('SQLite sink (worker thread: %s)', (worker) => {
  it('commits batches; resending the same events adds no rows and counts duplicates', async () => {
    const sink = open(worker);
    const events = makeEvents(250);
    const receipt = await sink.write(events);
    expect(receipt).toEqual({ accepted: 250, rejected: 0 });
    await sink.flush();
    await sink.write(events.slice(0, 100).map((e) => JSON.stringify(e)));
    await sink.flush();
    const d = db();
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 250 });
    const row = d.prepare('SELECT event_id, event_type, user_id, client_ip, sign_count, event_json FROM security_audit_events WHERE event_id = ?').get(events[7]!.event_id) as Record<string, unknown>;
    expect(row).toMatchObject({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: 'user-1', client_ip: '192.0.2.10', sign_count: 7 });
    expect(JSON.parse(row.event_json as string)).toEqual(events[7]);
    expect(d.pragma('journal_mode', { simple: true })).toBe('wal');
    d.close();
    const s = sink.stats();
    expect(s).toMatchObject({ received: 350, committed: 250, duplicates: 100, rejected: 0, spooledEvents: 0, spooledBytes: 0 });
  });

  it('stamps the rows of one transaction with one ingested_at, in the column default\'s format, between the write and its commit', async () => {
    // Full batches only (the delay is long), so 1200 events are exactly two transactions.
    const sink = open(worker, { batch: { maxRows: 600, maxDelayMs: 60_000 } });
    const before = new Date().toISOString();
    await sink.write(makeEvents(1200));
    await sink.flush();
    const after = new Date().toISOString();
    const d = db();
    const stamps = d.prepare('SELECT ingested_at AS at, count(*) AS n FROM security_audit_events GROUP BY ingested_at ORDER BY at').all() as { at: string; n: number }[];
    const defaultFormat = d.prepare("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS t").get() as { t: string };
    d.close();
    expect(stamps.map((s) => s.n)).toEqual([600, 600]);
    for (const { at } of stamps) {
      expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(at.length).toBe(defaultFormat.t.length);
      expect(at >= before && at <= after).toBe(true);
    }
  });

  it('names the file it cannot open (a directory, a file that is not a database): SQLite\'s own message does not', async () => {
    for (const [filename, reason] of [[dir, 'unable to open database file'], [join(dir, 'not-a-db.txt'), 'file is not a database']] as const) {
      if (filename.endsWith('.txt')) writeFileSync(filename, 'plain text, long enough to be read as a header '.repeat(4));
      const sink = createSink({ connection: { dialect: 'sqlite', filename, worker }, spool: { dir: join(dir, `spool-${reason.length}`) } });
      await expect(sink.ready).rejects.toMatchObject({ code: 'SINK_DB', message: `sqlite: cannot open ${filename}: ${reason}` });
      await sink.close();
    }
  });

  it('hands the buffers of committed rows back for reuse (queued rows keep their text outside the V8 heap)', async () => {
    const sink = open(worker);
    const before = freeSlabs();
    // ~300 KB of row text: several chunks, each in a 64 KiB buffer from the pool.
    await sink.write(makeEvents(300));
    await sink.flush();
    expect(sink.stats().committed).toBe(300);
    // Without the hand-back, the pool would be short of the buffers those chunks took.
    expect(freeSlabs()).toBeGreaterThanOrEqual(Math.max(1, before));
  });

  it('with a memory budget far below the load, keeps records on disk and reads them back in spool order', async () => {
    const sink = open(worker, { spool: { memoryBytes: 6_000 }, batch: { maxRows: 50 } });
    const events = makeEvents(1200);
    // 24 concurrent writes: most land while the queue is over its budget.
    const receipts = await Promise.all(Array.from({ length: 24 }, (_, i) => sink.write(events.slice(i * 50, i * 50 + 50))));
    expect(receipts.reduce((n, r) => n + r.accepted, 0)).toBe(1200);
    await sink.flush();
    const d = db();
    const stored = (d.prepare('SELECT event_id FROM security_audit_events ORDER BY id').all() as { event_id: string }[]).map((r) => r.event_id);
    d.close();
    // One writer, batches committed in spool order: the table holds the events in write order.
    expect(stored).toEqual(events.map((e) => e.event_id));
    const s = sink.stats();
    expect(s).toMatchObject({ received: 1200, committed: 1200, duplicates: 0, spooledEvents: 0, spooledBytes: 0 });
    expect(s.readBack).toBeGreaterThan(600);
  });

  it('flush() waits for every write called before it, even one not yet validated; close() refuses one still waiting for its turn', async () => {
    const sink = open(worker);
    await sink.ready;
    const events = makeEvents(30);
    // Neither write is awaited: both still wait for their validation turn when flush() is called.
    const writes = [sink.write(events.slice(0, 10)), sink.write(events.slice(10, 30))];
    await sink.flush();
    expect(sink.stats()).toMatchObject({ received: 30, committed: 30 });
    await expect(Promise.all(writes)).resolves.toEqual([{ accepted: 10, rejected: 0 }, { accepted: 20, rejected: 0 }]);
    const late = sink.write(makeEvents(1));
    await sink.close();
    await expect(late).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });

  it('with a memory budget of 0 still delivers everything (each read takes at least one record)', async () => {
    const sink = open(worker, { spool: { memoryBytes: 0 }, batch: { maxRows: 40 } });
    const events = makeEvents(120);
    await Promise.all([sink.write(events.slice(0, 60)), sink.write(events.slice(60))]);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ committed: 120, spooledEvents: 0, readBack: 120 });
  });

    it('puts a poison record into rejects with its reason and raw payload while its batch-mates commit', async () => {
    const sink = open(worker);
    const good = makeEvents(3);
    const poison = '{"event_type":"WEBAUTHN_AUTH_FAILURE","user_id":"x\\u001b[31m; DROP TABLE security_audit_events;--"}';
    const receipt = await sink.write([JSON.stringify(good[0]), poison, good[1]!, { line: 'not json \n at all', source: 'forward:swarm.audit.n1' }, good[2]!]);
    expect(receipt).toEqual({ accepted: 3, rejected: 2 });
    await sink.flush();
    const d = db();
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 3 });
    const rejects = d.prepare('SELECT source, reason, raw_payload, received_at FROM security_audit_rejects ORDER BY id').all() as Record<string, string>[];
    d.close();
    expect(rejects).toHaveLength(2);
    expect(rejects[0]).toMatchObject({ source: 'direct', raw_payload: poison });
    expect(JSON.parse(rejects[0]!.reason as string)).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'event_id' })]));
    expect(rejects[1]).toMatchObject({ source: 'forward:swarm.audit.n1', raw_payload: 'not json \n at all' });
    expect(rejects[1]!.reason).toMatch(/not valid JSON/);
    expect(rejects[0]!.received_at).toBeTruthy();
    expect(rejects[0]!.received_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(sink.stats()).toMatchObject({ committed: 3, rejected: 2 });
  });

  it('stores an item written with a reject reason in the rejects table under that reason, unvalidated', async () => {
    const sink = open(worker, { spool: { dir: join(dir, 'spool') } });
    const valid = makeEvent();
    // Even a valid event line: the caller's verdict stands (a receiver refused it).
    const r = await sink.write([{ line: JSON.stringify(valid), source: 'forward:test', reject: 'CONTAINER_EVENT_UNTRUSTED_TAG: from "web"' }, makeEvent()]);
    expect(r).toEqual({ accepted: 1, rejected: 1 });
    await sink.flush();
    const d = db();
    const rejects = d.prepare('SELECT source, reason, raw_payload FROM security_audit_rejects').all();
    d.close();
    expect(rejects).toEqual([{ source: 'forward:test', reason: 'CONTAINER_EVENT_UNTRUSTED_TAG: from "web"', raw_payload: JSON.stringify(valid) }]);
    expect(sink.stats()).toMatchObject({ committed: 1, rejected: 1 });
    for (const reject of ['', 42]) {
      await expect(sink.write({ line: '{}', reject } as never)).rejects.toMatchObject({ code: 'SINK_BAD_ITEM', message: expect.stringMatching(/reject reason must be a non-empty string/) });
    }
  });

  it('isolates a row SQLite refuses although it passed validation (a CHECK an operator added): it becomes a reject, its batch-mates commit', async () => {
    // The sink's own DDL plus a CHECK on user_agent; migrate() keeps an existing table.
    const setup = new Database(join(dir, 'audit.db'));
    const ddl = createTableStatements('sqlite').map((sql) => sql.replace(/\buser_agent_raw TEXT\b/, "user_agent_raw TEXT CHECK (user_agent_raw NOT LIKE '%refuse-me%')"));
    expect(ddl.join('\n')).toContain('CHECK (user_agent_raw');
    for (const sql of ddl) setup.exec(sql);
    setup.close();
    const sink = open(worker, { retry: { initialDelayMs: 5, maxDelayMs: 20 } });
    const good = makeEvents(4);
    const refused = makeEvent({ user_agent: 'refuse-me/1.0' });
    expect(await sink.write([good[0]!, good[1]!, refused, good[2]!, good[3]!])).toEqual({ accepted: 5, rejected: 0 });
    await sink.flush();
    const d = db();
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 4 });
    const rejects = d.prepare('SELECT reason, raw_payload FROM security_audit_rejects').all() as Record<string, string>[];
    d.close();
    expect(rejects).toHaveLength(1);
    // The driver's code travelled with the error (as dbCode), so the row was isolated instead of retried forever.
    expect(rejects[0]!.reason).toMatch(/^DB_REFUSED: sqlite: CHECK constraint failed/);
    expect(JSON.parse(rejects[0]!.raw_payload!).event_id).toBe(refused.event_id);
    expect(sink.stats()).toMatchObject({ committed: 4, rejected: 1 });
  });

  it('sends a different event_id on a taken (chain_id, seq) to rejects, in the same batch and across batches', async () => {
    const sink = open(worker);
    const chain = makeEvent().event_id as string;
    const first = chainEvent(chain, 1);
    const second = chainEvent(chain, 2);
    await sink.write([first, second]);
    await sink.flush();
    const forgedLater = chainEvent(chain, 2);
    const a = chainEvent(chain, 3);
    const forgedSameBatch = chainEvent(chain, 3);
    // Each claimant carries its own source: the conflict reject must name the one it came from.
    const receipt = await sink.write([
      { line: JSON.stringify(forgedLater), source: 'forward:later' },
      { line: JSON.stringify(a), source: 'forward:a' },
      { line: JSON.stringify(forgedSameBatch), source: 'forward:same-batch' },
      first,
    ]);
    expect(receipt).toEqual({ accepted: 4, rejected: 0 });
    await sink.flush();
    const d = db();
    const ids = (d.prepare('SELECT event_id FROM security_audit_events ORDER BY seq').all() as { event_id: string }[]).map((r) => r.event_id);
    const rejects = d.prepare('SELECT source, reason, raw_payload FROM security_audit_rejects ORDER BY id').all() as { source: string; reason: string; raw_payload: string }[];
    expect(Object.fromEntries(rejects.map((r) => [JSON.parse(r.raw_payload).event_id, r.source]))).toEqual({
      [forgedLater.event_id as string]: 'forward:later',
      [forgedSameBatch.event_id as string]: 'forward:same-batch',
    });
    d.close();
    expect(ids).toEqual([first.event_id, second.event_id, a.event_id]);
    expect(rejects).toHaveLength(2);
    const reasons = rejects.map((r) => r.reason).join('\n');
    expect(reasons).toContain(`seq=2 is already held by event_id=${second.event_id}`);
    expect(reasons).toContain(`seq=3 is already held by event_id=${a.event_id};`);
    expect(rejects.map((r) => JSON.parse(r.raw_payload).event_id).sort()).toEqual([forgedLater.event_id, forgedSameBatch.event_id].sort());
    expect(sink.stats()).toMatchObject({ committed: 3, duplicates: 1, rejected: 2, chainConflicts: 2 });
  });

  it('an event_id stored with other content: the newcomer is an EVENT_ID_CONFLICT reject; the same event written out again is a duplicate', async () => {
    const sink = open(worker);
    await checkEventIdConflicts(sink, async () => {
      const d = db();
      try {
        const ids = (d.prepare('SELECT event_id FROM security_audit_events').all() as { event_id: string }[]).map((r) => r.event_id);
        const rejects = d.prepare('SELECT source, reason, raw_payload FROM security_audit_rejects ORDER BY id').all() as { source: string; reason: string; raw_payload: string }[];
        return { ids, rejects };
      } finally {
        d.close();
      }
    });
  });
});

describe('SQLite sink: events dated ahead of its clock', () => {
  it('stores them like any other and counts those received more than futureSkewMs ahead in futureDated (a resend is received again)', async () => {
    const ahead = (ms: number) => makeEvent({ event_time: new Date(Date.now() + ms).toISOString() });
    const events = [ahead(-86_400_000), ahead(60_000), ahead(4 * 60_000), ahead(3_600_000), ahead(30 * 86_400_000), { ...ahead(3_600_000), client_ip: '::1::' }];
    const sink = open(true, { futureSkewMs: 10 * 60_000 });
    expect(await sink.write(events)).toEqual({ accepted: 5, rejected: 1 });
    await sink.flush();
    expect(sink.stats()).toMatchObject({ received: 6, committed: 5, rejected: 1, futureDated: 2 });
    // A resend is a duplicate; it was received again, and dated ahead again.
    await sink.write(events.slice(3, 4));
    await sink.flush();
    expect(sink.stats()).toMatchObject({ duplicates: 1, futureDated: 3 });
    const d = db();
    try {
      expect(d.prepare('SELECT COUNT(*) AS n FROM security_audit_events').get()).toEqual({ n: 5 });
    } finally {
      d.close();
    }
    // The default skew is five minutes.
    const defaults = open(true, { spool: { dir: join(dir, 'spool-2') } });
    await defaults.write(events.slice(1, 3).map((e) => ({ ...e, event_id: makeEvent().event_id })));
    await defaults.write([ahead(6 * 60_000)]);
    expect(defaults.stats().futureDated).toBe(1);
  });
});

describe('SQLite sink: the node of an event', () => {
  it('stores the Kubernetes node the event names, else the one its collector names (Fluent Bit kubernetes.host); the reports show it, and rows stored before the column read the event', async () => {
    const sink = open();
    const own = makeEvent({ runtime: { host: 'api-7f9c', k8s_node: 'worker-1' } });
    const collected = makeEvent({ runtime: { host: 'api-7f9c' } });
    await sink.write([
      { line: JSON.stringify(own), meta: { k8s_node: 'worker-9' } },
      { line: JSON.stringify(collected), meta: { k8s_node: 'worker-2' } },
    ]);
    await sink.flush();
    await sink.close();
    // A row written before the column existed: its k8s_node is NULL.
    const rw = new Database(join(dir, 'audit.db'));
    rw.prepare('UPDATE security_audit_events SET k8s_node = NULL WHERE event_id = ?').run(own.event_id);
    const report = REPORT_QUERIES['webauthn-failures'].sql.sqlite;
    const nodes = rw.prepare(report).all({ days: 90 }) as { user_id: string; node: string }[];
    const column = rw.prepare('SELECT event_id, k8s_node FROM security_audit_events').all() as { event_id: string; k8s_node: string | null }[];
    rw.close();
    expect(Object.fromEntries(column.map((r) => [r.event_id, r.k8s_node]))).toEqual({ [own.event_id as string]: null, [collected.event_id as string]: 'worker-2' });
    expect(nodes.map((r) => r.node).sort()).toEqual(['worker-1', 'worker-2']);
  });
});

describe('SQLite sink: hostile input', () => {
  it('stores hostile strings intact or as rejects, never breaking the batch', async () => {
    const sink = open();
    const ansi = makeEvent({ user_agent: 'Mozilla\u001b[2J\r\nX-Injected: 1' });
    const lone = '{"event_type":"WEBAUTHN_AUTH_FAILURE","user_id":"\ud800"}';
    const nul = 'abc\u0000def';
    const huge = 'x'.repeat(9 * 1024 * 1024);
    const withMeta = { line: JSON.stringify(makeEvent()), meta: { source_tag: 't'.repeat(1000), container_name: '/web\u0000x' }, source: 'syslog' };
    const r = await sink.write([ansi, lone, nul, huge, withMeta]);
    expect(r).toEqual({ accepted: 2, rejected: 3 });
    await sink.flush();
    const d = db();
    const rejects = d.prepare('SELECT reason, raw_payload FROM security_audit_rejects ORDER BY id').all() as { reason: string; raw_payload: string }[];
    const tagged = d.prepare('SELECT source_tag, container_name FROM security_audit_events WHERE event_id = ?').get(JSON.parse(withMeta.line).event_id) as Record<string, string>;
    const stored = d.prepare('SELECT user_agent_raw FROM security_audit_events WHERE event_id = ?').get(ansi.event_id) as Record<string, string>;
    d.close();
    expect(rejects[0]!.raw_payload).toBe('{"event_type":"WEBAUTHN_AUTH_FAILURE","user_id":"\ufffd"}');
    expect(rejects[1]!.raw_payload).toBe('abc\ufffddef');
    expect(rejects[2]!.reason).toMatch(/exceeds the limit/);
    expect(rejects[2]!.raw_payload).toHaveLength(1024 * 1024);
    expect(tagged.source_tag).toHaveLength(256);
    expect(tagged.container_name).toBe('/web\ufffdx');
    expect(stored.user_agent_raw).not.toContain('\u001b');
  });

  it('refuses a line that holds a member name twice (SQLite reads the first, JSON.parse the last): a reject with its reason, its batch-mates commit', async () => {
    const sink = open();
    const [before, after] = makeEvents(2);
    const good = JSON.stringify(makeEvent({ user_id: 'alice' }));
    const twice = good.replace('"user_id":"alice"', '"user_id":"mallory","user_id":"alice"');
    expect(JSON.parse(twice).user_id).toBe('alice');
    expect(await sink.write([before!, twice, after!])).toEqual({ accepted: 2, rejected: 1 });
    await sink.flush();
    const d = db();
    const reject = d.prepare("SELECT reason, raw_payload, json_extract(raw_payload, '$.user_id') AS sqlite_reads FROM security_audit_rejects").get();
    expect(reject).toEqual({ reason: expect.stringContaining('the name \\"user_id\\" occurs twice in one object (RFC 7493'), raw_payload: twice, sqlite_reads: 'mallory' });
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 2 });
    d.close();
  });

  it('spools a line over the limit cut to what its reject keeps: a 70 Mi-character line, waiting in the spool, is replayed as a reject and the event behind it commits', async () => {
    const spool = join(dir, 'spool');
    const [before, after] = makeEvents(2);
    const huge = `{"pad":"${'x'.repeat(70 * 1024 * 1024)}"}`;
    // Nothing can be delivered yet (no server on port 1): the three lines wait in the spool.
    const waiting = createSink({ url: 'postgres://audit@127.0.0.1:1/audit', migrate: false, spool: { dir: spool } });
    expect(await waiting.write([JSON.stringify(before), huge, JSON.stringify(after)])).toEqual({ accepted: 2, rejected: 1 });
    await waiting.close({ timeoutMs: 200 });
    // The spool handed to this database by hand (README: its `destination` file deleted), or the sink would refuse it.
    await rm(join(spool, 'destination'));
    // Whole, that line would have been a 70 MiB spool record, which replay takes for corruption.
    const sink = open(true, { spool: { dir: spool } });
    await sink.ready;
    await sink.flush();
    expect(sink.stats()).toMatchObject({ replayed: 3, committed: 2, rejected: 1, spoolCorruptTails: 0 });
    const d = db();
    const reject = d.prepare('SELECT reason, raw_payload FROM security_audit_rejects').get() as { reason: string; raw_payload: string };
    expect(d.prepare('SELECT count(*) AS n FROM security_audit_events').get()).toEqual({ n: 2 });
    d.close();
    expect(reject.reason).toBe(`LINE_TOO_LONG: line of ${huge.length} characters exceeds the limit of ${8 * 1024 * 1024}; the first ${1024 * 1024} are kept`);
    expect(reject.raw_payload).toBe(huge.slice(0, 1024 * 1024));
  });

  it('refuses a write with an item too large for a spool record (its meta) with SINK_BAD_ITEM, accepting nothing of it', async () => {
    const sink = open();
    const item = { line: JSON.stringify(makeEvent()), meta: { source_tag: 't'.repeat(65 * 1024 * 1024) } };
    await expect(sink.write([makeEvent(), item])).rejects.toMatchObject({ code: 'SINK_BAD_ITEM', message: expect.stringMatching(/exceeds the spool's record limit/) });
    expect(sink.stats().received).toBe(0);
  });

  it('refuses items that are not events, lines or wrapped lines with a typed error', async () => {
    const sink = open();
    await expect(sink.write([42 as never])).rejects.toMatchObject({ code: 'SINK_BAD_ITEM' });
    await expect(sink.write(null as never)).rejects.toMatchObject({ code: 'SINK_BAD_ITEM' });
    expect(sink.stats().received).toBe(0);
  });

  it('migrate() is idempotent and write() after close() fails with SINK_CLOSED', async () => {
    const sink = open();
    await sink.migrate();
    await sink.migrate();
    await sink.close();
    await expect(sink.write(makeEvent())).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });
});
